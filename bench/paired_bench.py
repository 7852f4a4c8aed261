#!/usr/bin/python3
"""paired_bench.py ROUNDS A B ARGS... [--timing-only] - two builds of a benchmark side by side.

Runs `A ARGS...` and `B ARGS...` (two builds of sweep_bench or lots_bench, say) in ROUNDS
rounds, alternately (A B, then B A, ...), and prints each build's median and least of the
benchmark's own seconds= (its timed work, not the process), the median over the rounds of the
ratio B / A of a round's two runs, and in how many rounds B was the faster.

The two builds' checksum= must agree in every round (sweep_bench's: the sum of every
configuration's final value to 7 digits, a coarse guard where SWEEP_BENCH_DUMP is the check
to the bit; lots_bench's: the gains realized, to 17): where they differ it stops with status
1, unless --timing-only says that B changes the results on purpose (an ablation: a step left
out to see what it costs), and then it says that they differ.

Why: benchmark 2 moves by 5-10 % from one run to the next on the development VM and with the
processors' speed (wall_time.c), where a change of 1-3 % is what a session looks for; a round's
two runs, a fraction of a second apart, nearly always share one speed. One processor may run
slower than the other for minutes: `taskset -c N` before the command keeps every run on one.
Copy A and B fresh before a comparison (two copies of one binary have measured apart).

Examples:
  bench/paired_bench.py 21 /tmp/a/sweep_bench /tmp/b/sweep_bench tax 10000 1
  taskset -c 1 bench/paired_bench.py 21 /tmp/a/lots_bench /tmp/b/lots_bench fifo 16 2000000
"""
import statistics
import subprocess
import sys


def run(argv):
    """(seconds, checksum) of one run, the benchmark's own figures; exits on a failure."""
    done = subprocess.run(argv, capture_output=True, text=True)
    command = " ".join(argv)
    if done.returncode != 0:
        sys.exit(f"paired_bench.py: {command} failed (exit status {done.returncode}): {done.stderr.strip()}")
    fields = dict(word.split("=", 1) for word in done.stdout.split() if "=" in word)
    if "seconds" not in fields or "checksum" not in fields:
        sys.exit(f"paired_bench.py: {command} printed no seconds= or checksum=: {done.stdout.strip()}")
    try:
        seconds = float(fields["seconds"])
    except ValueError:
        sys.exit(f"paired_bench.py: {command} printed seconds={fields['seconds']}, not a number")
    if not seconds > 0:
        sys.exit(f"paired_bench.py: {command} printed seconds={fields['seconds']}: too short to compare")
    return seconds, fields["checksum"]


def main():
    args = [a for a in sys.argv[1:] if a != "--timing-only"]
    timing_only = len(args) != len(sys.argv) - 1
    if len(args) < 3:
        sys.exit(__doc__)
    try:
        rounds = int(args[0])
    except ValueError:
        rounds = 0
    if rounds < 1:
        sys.exit(f"paired_bench.py: ROUNDS '{args[0]}' must be a whole number of at least 1")
    a, b, rest = args[1], args[2], args[3:]
    times = {a: [], b: []}
    ratios, differ = [], None
    for r in range(rounds):
        order = (a, b) if r % 2 == 0 else (b, a)
        got = {binary: run([binary] + rest) for binary in order}
        for binary in (a, b):
            times[binary].append(got[binary][0])
        ratios.append(got[b][0] / got[a][0])
        if got[a][1] != got[b][1] and differ is None:
            differ = (r, got[a][1], got[b][1])
            if not timing_only:
                sys.exit(f"paired_bench.py: the checksums differ in round {r + 1}: A {got[a][1]}, B {got[b][1]} "
                         f"(--timing-only for a change of results on purpose)")
    for name, binary in (("A", a), ("B", b)):
        ms = [s * 1e3 for s in times[binary]]
        print(f"{name}: median {statistics.median(ms):9.3f} least {min(ms):9.3f} ms ({binary})")
    faster = sum(q < 1 for q in ratios)
    print(f"B / A: {statistics.median(ratios):.4f} (median of the rounds' ratios); "
          f"B faster in {faster} of {rounds} rounds")
    if differ:
        print(f"checksums differ (timing only): from round {differ[0] + 1}, A {differ[1]}, B {differ[2]}")
    else:
        print(f"checksums agree in every round: {' '.join(rest)}")


if __name__ == "__main__":
    main()
