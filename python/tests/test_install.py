"""`meson install` puts the package where the interpreter finds it, and it works from there:
installed into a scratch DESTDIR, imported from its site-packages directory alone."""

import glob
import os
import shutil
import subprocess
import sys

import pytest

from conftest import STOCKS

BUILD = os.environ.get("REBAL_BUILD")


@pytest.mark.skipif(not BUILD or not shutil.which("meson"), reason="needs the meson build directory (meson test)")
def test_meson_install_puts_an_importable_package(tmp_path):
    dest = tmp_path / "dest"
    r = subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild", "--destdir", str(dest), "--tags",
                        "runtime,python-runtime"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    inits = glob.glob(str(dest / "**" / "rebal" / "__init__.py"), recursive=True)
    assert len(inits) == 1, inits
    pkg_dir = os.path.dirname(os.path.dirname(inits[0]))
    assert glob.glob(os.path.join(pkg_dir, "rebal", "_core*.so"))
    assert "-packages" in pkg_dir  # the interpreter's packages directory under the prefix
    code = ("import rebal, sys; s = rebal.Store(':memory:'); s.import_csv(sys.argv[1]); "
            "r = rebal.run(s, {'AAPL': 0.5, 'MSFT': 0.5}, strategy='buy-and-hold'); "
            "print(rebal.__file__, r.metrics['bars'])")
    env = dict(os.environ, PYTHONPATH=pkg_dir)
    out = subprocess.run([sys.executable, "-c", code, STOCKS], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(pkg_dir) and out.stdout.split()[-1] == "123"
