#!/bin/sh
# scaling.sh SWEEP_BENCH LIMIT [LIMIT_NATIVE] - how benchmarks 1 (threshold bands, shared
# states), 1 unshared (a fee per configuration: the kernel per cell) and 2 (FIFO tax lots)
# scale with threads, beside bench/limit.c (the minimal kernel: what the machine allows),
# from 1 thread to every core of the machine: 1, 2, 4, 8, ... and the number of cores.
# Each figure is the median of REPS runs (default 5), the threads' counts interleaved
# within each round; K configurations each (default 10,000, the benchmarks' own size).
# Prints ns per configuration x asset x bar and the speedup over one thread. Made to be run
# as it is on a machine lent for a few minutes (about 2 minutes on 16 cores with the
# defaults):
#   sh bench/scaling.sh build/bench/sweep_bench build/bench/limit build/bench/limit_native
set -eu
bench=$1
limit=$2
native=${3:-}
REPS=${REPS:-5}
K=${K:-10000}
cores=$(nproc)
out=$(mktemp)
trap 'rm -f "$out"' EXIT

counts=""
t=1
while [ "$t" -lt "$cores" ]; do
    counts="$counts $t"
    t=$((t * 2))
done
counts="$counts $cores"

field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

r=0
while [ "$r" -lt "$REPS" ]; do
    for t in $counts; do
        echo "limit $t $(field ns_per_cell "$("$limit" "$K" 5 5000 "$t")")" >>"$out"
        [ -n "$native" ] && echo "native $t $(field ns_per_cell "$("$native" "$K" 5 5000 "$t")")" >>"$out"
        for kind in threshold unshared tax; do
            echo "$kind $t $(field ns_per_cell "$("$bench" "$kind" "$K" "$t")")" >>"$out"
        done
    done
    r=$((r + 1))
done

m() { awk -v k="$1" -v t="$2" '$1 == k && $2 == t {print $3}' "$out" | median; }
echo "# $cores cores, $K configurations x 5 assets x 5,000 bars, median of $REPS runs"
echo "# ns per configuration x asset x bar (speedup over 1 thread)"
printf '%8s' threads
names="limit"
[ -n "$native" ] && names="$names native"
names="$names threshold unshared tax"
for n in $names; do printf ' %18s' "$n"; done
echo
for t in $counts; do
    printf '%8d' "$t"
    for n in $names; do
        one=$(m "$n" 1)
        now=$(m "$n" "$t")
        printf ' %9.3f (%5.2fx)' "$now" "$(awk -v a="$one" -v b="$now" 'BEGIN {print a / b}')"
    done
    echo
done
echo "# limit: bench/limit.c built as the project; native: -O3 -march=native; threshold: benchmark 1;"
echo "# unshared: benchmark 1 with a fee per configuration; tax: benchmark 2"
