"""examples/quickstart.py, as the README shows it, runs and draws its PNG."""

import os
import subprocess
import sys

from conftest import SOURCE


def test_quickstart_runs_and_writes_a_png(tmp_path):
    out = tmp_path / "quickstart.png"
    env = dict(os.environ, MPLBACKEND="Agg", MPLCONFIGDIR=str(tmp_path / "mpl"))
    r = subprocess.run([sys.executable, os.path.join(SOURCE, "examples", "quickstart.py"), str(out)], cwd=tmp_path,
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "The 5 best of 48 configurations" in r.stdout
    assert "vs buy-and-hold" in r.stdout
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20000
