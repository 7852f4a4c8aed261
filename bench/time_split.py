#!/usr/bin/python3
"""time_split.py PERF_DATA [PERF_DATA ...] - where a batch run's time goes, by category.

Reads perf profiles (perf record, on a build with debug information: `meson setup B
-Dbuildtype=release -Ddebug=true`, so that samples of the inlined kernel name their source
line) and prints the share of the samples in each of the categories bench/README.md's time
split tables use:

  kernel      the bar loop's passes over the configurations: value, distance, who acts
  statistics  the per-bar metric statistics (metric_acc.h) and their rare work
  rebalances  trading: the lanes, the exact state after a trade, decisions, tax lots
  shared      shared states (engine/batch/share.c)
  setup       block setup, the driver, each run's final metrics, resolving the settings
  results     SQLite (the price store and the results store), the CLI
  other       generating prices (sweep_bench), libc, the operating system

Each with its share of the samples and the CPU time it stands for (perf's cpu-clock event
counts nanoseconds).

A sample of the bar loop (engine/batch/kernel.c, where the passes are inlined into one
function) is put in the category of the kernel.c function its source line belongs to. Only
samples of the processes named by --comm (default: rebal and sweep_bench) are counted.
Usage: perf record -F 10000 -o P.data B/bench/sweep_bench threshold 10000 1
       bench/time_split.py P.data
"""
import collections
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
KERNEL_C = os.path.join(HERE, "..", "engine", "batch", "kernel.c")

ORDER = ["kernel", "statistics", "rebalances", "shared", "setup", "results", "other"]
LABELS = {
    "kernel": "kernel: value, distance, who acts",
    "statistics": "per-bar metric statistics",
    "rebalances": "rebalances (lanes, exact state, decisions, lots)",
    "shared": "shared states",
    "setup": "setup, driver, final metrics",
    "results": "SQLite (price store, results store), CLI",
    "other": "generating prices, libc, system",
}

# kernel.c's functions by category (the rest of kernel.c: setup)
KERNEL_FUNCS = {
    "kernel": {"value_pass", "distance_pass", "action_pass", "list_actors", "pad_count", "value_and_actions"},
    "statistics": {"stats_step", "statistics", "rare_falls", "mix_return", "bench_step", "bench_returns"},
    "rebalances": {"refresh_touched"},
}

FILES = {
    "kernel": {"batch_internal.h"},
    "statistics": {"metric_acc.h"},
    "rebalances": {"rebalance_lanes.c", "rebalance_lanes_avx512.c", "trade.h", "trades.c", "state.c", "actions.c", "lots.c", "portfolio.c",
                   "costs.c", "route.c", "route_order.c", "simulate.c", "venues.c", "overlay_sim.c"},
    "shared": {"share.c"},
    "setup": {"setup.c", "driver.c", "block.c", "finish.c", "inputs.c", "metrics.c", "metric_bonus.c",
              "metric_risk.c", "metric_tail.c", "metric_table.c", "periods.c", "resolve.c", "resolve_series.c",
              "resolve_overlay.c", "resolve_venues.c", "spec.c", "run.c", "benchmark.c", "overlay_path.c",
              "csum.h", "targets_table.c"},
}


def kernel_functions():
    """(first line, name) of each function defined in kernel.c, in order."""
    starts = []
    with open(KERNEL_C) as f:
        for no, line in enumerate(f, 1):
            m2 = re.match(r"^(?:BAR_STEP\s+\w+|static\s+(?:inline\s+)?[\w\*]+|rb_status|void)\s+\*?(\w+)\(", line)
            if m2:
                starts.append((no, m2.group(1)))
    return starts


def kernel_category(line, starts):
    name = None
    for no, fn in starts:
        if no <= line:
            name = fn
        else:
            break
    for cat, names in KERNEL_FUNCS.items():
        if name in names:
            return cat
    return "setup"


# The functions written with AVX-512's intrinsics: a sample on a line of the compiler's
# header (avx512fintrin.h) is put in its function's category.
INTRINSIC_FUNCS = {
    "rebalances": {"rb_lanes_rebalance_avx512"},
    "kernel": {"queue_bands_avx512", "list_actors_avx512", "batch_run_block.avx512f"},
}


def category(sym, srcline, starts):
    base, _, line = srcline.rpartition(":")
    if base == "kernel.c" and line.isdigit():
        return kernel_category(int(line), starts)
    if base.endswith("intrin.h"):
        for cat, names in INTRINSIC_FUNCS.items():
            if sym in names:
                return cat
    for cat, files in FILES.items():
        if base in files:
            return cat
    if sym.startswith("sqlite3") or base.startswith("sqlite3") or base in {"writer.c", "store.c", "store_file.c"}:
        return "results"
    if "results" in base or base.startswith("cli"):
        return "results"
    return "other"


def main(argv):
    comms = "rebal,sweep_bench"
    paths = []
    i = 1
    while i < len(argv):
        if argv[i] == "--comm":
            comms = argv[i + 1]
            i += 2
            continue
        paths.append(argv[i])
        i += 1
    if not paths:
        sys.stderr.write(__doc__)
        return 2
    starts = kernel_functions()
    for path in paths:
        out = subprocess.run(["perf", "report", "-i", path, "--comm", comms, "--no-children", "--sort",
                              "sym,srcline", "--stdio", "-g", "none"], capture_output=True, text=True)
        if out.returncode != 0:
            sys.stderr.write(out.stderr)
            return 1
        share = collections.Counter()
        m = re.search(r"Event count \(approx\.\): (\d+)", out.stdout)
        ms = int(m.group(1)) / 1e6 if m else 0.0  # cpu-clock events are nanoseconds
        for row in out.stdout.splitlines():
            m = re.match(r"\s*([\d.]+)%\s+\[[.k]\]\s+(\S+)\s+(\S+)", row)
            if not m:
                continue
            pct, sym, src = float(m.group(1)), m.group(2), m.group(3)
            share["other" if row.split()[1] == "[k]" else category(sym, src, starts)] += pct
        total = sum(share.values()) or 1
        print("# %s: %.0f ms of CPU time sampled" % (path, ms))
        for cat in ORDER:
            print("  %-52s %5.1f %%  %7.1f ms" % (LABELS[cat], 100 * share[cat] / total, ms * share[cat] / total))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
