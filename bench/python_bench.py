#!/usr/bin/env python3
"""python_bench.py REBAL GEN_LONG - the Python package against the CLI, in one run.

1. The 1,000-band threshold sweep on 10 assets x 5,000 daily bars, 1 thread, results stored:
   `rebal sweep` as a whole process (fork to exit) against rebal.sweep() called from a warm
   interpreter, with the prices in a Store and in a DataFrame (imported into memory by the
   call; again with the frame's store cleared from the cache of recent frames, i.e. imported
   every call), and without a results store (rows to the DataFrame only). Median of RUNS (default
   11) runs each, interleaved, after one untimed run of each. Target: Python's overhead under
   10 % (rebal.sweep at most 1.10 x the CLI).
2. A 1,000,000-row result turned into a DataFrame (1,000,000 configurations of 2 assets x 60
   daily bars, 2 threads): the columns made by the extension plus the frame built on them.
   Target: under 1 s.
Run by `meson test -C build --benchmark python` (./build.sh bench)."""

import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

import rebal
from rebal import _core, _sweep

RUNS = int(os.environ.get("RUNS", "11"))


def remove(*paths):
    for p in paths:
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.unlink(p + suffix)
            except FileNotFoundError:
                pass


def main():
    rebal_exe, gen_long = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    work = tempfile.mkdtemp(prefix="rebal-pybench-")
    os.chdir(work)
    subprocess.run([gen_long, "prices.csv", "10", "5000"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([rebal_exe, "import", "--db", "prices.db", "--quiet", "prices.csv"], check=True)
    symbols = ["AAA" + c for c in "ABCDEFGHIJ"]
    assets = ",".join("%s=0.1" % s for s in symbols)
    with open("bands.ini", "w") as f:
        f.write("[data]\nassets = %s\n\n[costs]\nfee-bps = 10\n\n[threshold]\nband = 0.0001:0.1:0.0001\n" % assets)
    os.environ["OMP_NUM_THREADS"] = "1"
    store = rebal.Store("prices.db", readonly=True)
    frame = store.prices(symbols)

    def cli():
        remove("results.db")
        t = time.perf_counter()
        subprocess.run([rebal_exe, "sweep", "bands.ini", "--db", "prices.db", "--results", "results.db",
                        "--threads", "1", "--quiet"], check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t

    def py(prices, results):
        remove("results.db")
        t = time.perf_counter()
        df = rebal.sweep(prices, "bands.ini", threads=1, progress=False, results=results)
        took = time.perf_counter() - t
        assert len(df) == 1000
        return took

    def py_imported(prices):
        rebal._RECENT.clear()  # the package's cache of recent frames: this call imports the frame
        return py(prices, "results.db")

    contenders = [
        ("rebal sweep (CLI, whole process)", cli),
        ("rebal.sweep(Store, results=...)", lambda: py(store, "results.db")),
        ("rebal.sweep(DataFrame, results=...)", lambda: py(frame, "results.db")),
        ("  the same, imported every call", lambda: py_imported(frame)),
        ("rebal.sweep(Store), no results store", lambda: py(store, None)),
    ]
    times = {name: [] for name, _ in contenders}
    for name, f in contenders:  # warm-up: caches, first touches
        f()
    for _ in range(RUNS):
        for name, f in contenders:
            times[name].append(f())
    print("# 1,000 threshold bands, 10 assets x 5,000 daily bars, 1 thread, median of %d runs" % RUNS)
    cli_ms = statistics.median(times[contenders[0][0]]) * 1e3
    for name, _ in contenders:
        ms = statistics.median(times[name]) * 1e3
        print("  %-40s %8.1f ms  %5.2fx the CLI" % (name, ms, ms / cli_ms))
    ratio = statistics.median(times[contenders[1][0]]) * 1e3 / cli_ms
    met = ratio <= 1.10
    print("target: rebal.sweep(Store, results) at most 1.10x the CLI: %.2fx, %s" % (ratio, "met" if met else "MISSED"))

    # 2. A million rows into a DataFrame.
    idx = pd.date_range("2020-01-01", periods=60, freq="D")
    rng = np.random.default_rng(1)
    px = pd.DataFrame({"X": 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 60))),
                       "Y": 50 * np.exp(np.cumsum(rng.normal(0, 0.01, 60)))}, index=idx)
    text, _ = _sweep.spec_text({"data": {"assets": "X=0.5,Y=0.5"}, "threshold": {"band": "0.0001:0.5:0.0001"},
                                "costs": {"fee_bps": list(range(200))}})
    mem = rebal._store_of(px)
    t = time.perf_counter()
    summary, cols, _ = _core.sweep(mem, text, threads=2)
    t1 = time.perf_counter()
    df = _sweep.frame_of(cols)
    t2 = time.perf_counter()
    convert = summary["columns_seconds"] + (t2 - t1)
    print("# 1,000,000 configurations, 2 assets x 60 bars, 2 threads")
    print("  whole call %.2f s: the library's sweep %.2f s (the batch simulator %.2f s), columns %.3f s, "
          "DataFrame %.3f s" % (t2 - t, summary["library_seconds"], summary["seconds"], summary["columns_seconds"],
                                t2 - t1))
    print("  %d rows x %d columns, %.0f MB" % (len(df), df.shape[1], df.memory_usage(deep=False).sum() / 1e6))
    print("target: a 1,000,000-row result into a DataFrame under 1 s: %.3f s, %s" % (convert,
                                                                                    "met" if convert < 1 else "MISSED"))
    return 0 if met and convert < 1 else 1


if __name__ == "__main__":
    sys.exit(main())
