#!/usr/bin/python3
"""paired_commands.py RUNS IDLE COMMAND [COMMAND ...] - whole commands timed side by side.

Runs the COMMANDs (each one string: optional VAR=value words, then '|', then the command line,
split on blanks) RUNS times each, alternately (A B C, then C B A, ...), each started by
posix_spawn with its output to /dev/null after removing x.db, x.db-wal and x.db-shm in the
current directory (the results store the commands are expected to write: untimed), and
after IDLE seconds of sleep (0: back to back). Prints, per command, the median, first
quartile and least wall time in milliseconds, and the median of its paired differences with
the first command and in how many runs it was the faster.

Why: on the 2-core development VM the whole command's median moves by tenths of a
millisecond between two copies of one binary and by the minute; alternating the commands run
by run puts each pair in the same minute. IDLE measures what a user typing a command meets:
a few seconds after the last command, memory freed then has been given back to the host
(free page reporting), and a 2 MiB page made of it costs 5-6.5 ms to fault in where it
cost 0.2 back to back (cli/heap.c).

Example, from a directory holding prices.db and bands.ini (overhead_bench.sh makes them):
  bench/paired_commands.py 41 0 '|A/rebal sweep bands.ini --db prices.db --results x.db --threads 1 --quiet' \\
                                '|B/rebal sweep bands.ini --db prices.db --results x.db --threads 1 --quiet'
"""
import os
import statistics
import sys
import time


def parse(spec):
    env_words, bar, line = spec.partition("|")
    if not bar or not line.split():
        sys.exit(f"paired_commands.py: '{spec}': expected [VAR=value ...]|COMMAND")
    env = dict(os.environ)
    for word in env_words.split():
        key, eq, value = word.partition("=")
        if not eq:
            sys.exit(f"paired_commands.py: '{word}': expected VAR=value before '|'")
        env[key] = value
    return line.split(), env


def run_once(argv, env):
    for leftover in ("x.db", "x.db-wal", "x.db-shm"):
        try:
            os.unlink(leftover)
        except FileNotFoundError:
            pass
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=[(os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0)])
    _, status = os.waitpid(pid, 0)
    took = (time.perf_counter() - start) * 1e3
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"paired_commands.py: {' '.join(argv)} failed (exit status {os.waitstatus_to_exitcode(status)})")
    return took


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    runs, idle = int(sys.argv[1]), float(sys.argv[2])
    if runs < 1 or idle < 0:
        sys.exit("paired_commands.py: RUNS must be at least 1 and IDLE at least 0")
    commands = [parse(spec) for spec in sys.argv[3:]]
    times = [[] for _ in commands]
    for r in range(runs):
        order = range(len(commands)) if r % 2 == 0 else reversed(range(len(commands)))
        for j in order:
            if idle:
                time.sleep(idle)
            times[j].append(run_once(*commands[j]))
    for j, spec in enumerate(sys.argv[3:]):
        ms = sorted(times[j])
        diffs = [b - a for a, b in zip(times[0], times[j])]
        faster = sum(d < 0 for d in diffs)
        print(f"{chr(ord('A') + j)}: median {statistics.median(ms):7.2f} q1 {ms[len(ms) // 4]:7.2f} "
              f"least {ms[0]:7.2f} ms; minus A: {statistics.median(diffs):+6.2f} ms, faster in {faster} of {runs}"
              f"   ({spec.strip()[:70]})")


if __name__ == "__main__":
    main()
