#!/bin/sh
# sweep_bench.sh SWEEP_BENCH LIMIT - the batch simulator's benchmarks, each in its own
# process (peak RSS is per process), beside the reference kernel bench/limit.c (from
# shared/bench-limit, unchanged) built with the same compiler and flags, in one run.
# Benchmarks 1 and 2 and limit.c run REPS times interleaved, benchmark 3 REPS3 times
# (machines are noisy): the medians make the ratios. Sizes can be lowered for a quick look:
#   K1=10000 K3=100000 K4=1000000 KREF=300 REPS=5 REPS3=5
set -eu
bench=$1
limit=$2
K1=${K1:-10000}
K3=${K3:-100000}
K4=${K4:-1000000}
KREF=${KREF:-300}
REPS=${REPS:-5}
REPS3=${REPS3:-5}
threads=$(nproc)
[ "$threads" -ge 2 ] && t2=2 || t2=1
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# field NAME LINE: the value of NAME=... in a result line
field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "# interleaved runs ($REPS each): limit.c and benchmarks 1-2 at 1 and $t2 threads"
r=0
while [ "$r" -lt "$REPS" ]; do
    for t in 1 $t2; do
        echo "limit$t $(field ns_per_cell "$("$limit" "$K1" 5 5000 "$t")")" >>"$out"
        echo "thr$t $(field ns_per_cell "$("$bench" threshold "$K1" "$t")")" >>"$out"
        echo "tax$t $(field ns_per_cell "$("$bench" tax "$K1" "$t")")" >>"$out"
    done
    r=$((r + 1))
done
m() { grep "^$1 " "$out" | cut -d' ' -f2 | median; }
ref=$(field seconds_per_config "$("$bench" reference "$KREF")")
thr1_s=$(m thr1 | awk -v k="$K1" '{print $1 * k * 5 * 5000 * 1e-9}')
r=0
while [ "$r" -lt "$REPS3" ]; do
    m=$("$bench" mixed "$K3" 1)
    echo "mixed1 $(field seconds "$m")" >>"$out"
    m=$("$bench" mixed "$K3" "$t2")
    echo "mixed2 $(field seconds "$m")" >>"$out"
    echo "mixedrss $(field peak_rss_mib "$m")" >>"$out"
    r=$((r + 1))
done
big=$("$bench" threshold "$K4" "$threads")

awk -v l1="$(m limit1)" -v l2="$(m limit$t2)" -v b1="$(m thr1)" -v b2="$(m thr$t2)" \
    -v x1="$(m tax1)" -v x2="$(m tax$t2)" -v ref="$ref" -v s1="$thr1_s" -v k="$K1" -v t2="$t2" \
    -v m1="$(m mixed1)" -v m2="$(m mixed2)" \
    -v mr="$(grep '^mixedrss ' "$out" | cut -d' ' -f2 | sort -g | tail -1)" -v bs="$(field seconds "$big")" -v br="$(field peak_rss_mib "$big")" \
    -v k3="$K3" -v k4="$K4" 'BEGIN {
    printf "\nns per configuration x asset x bar (medians)\n"
    printf "  limit.c                  1 thread %6.3f   %d threads %6.3f\n", l1, t2, l2
    printf "  1. threshold             1 thread %6.3f   %d threads %6.3f\n", b1, t2, b2
    printf "  2. threshold + FIFO tax  1 thread %6.3f   %d threads %6.3f\n", x1, t2, x2
    printf "\nratios\n"
    printf "  1 vs limit.c             1 thread %6.2fx  %d threads %6.2fx   (target <= 2)\n", b1 / l1, t2, b2 / l2
    printf "  1: %d threads vs 1                 %6.2fx                  (target >= 1.8)\n", t2, b1 / b2
    printf "  2: %d threads vs 1                 %6.2fx                  (target >= 1.8)\n", t2, x1 / x2
    printf "  3: %d threads vs 1                 %6.2fx                  (target >= 1.8)\n", t2, m1 / m2
    printf "  2 vs 1                   1 thread %6.2fx                  (target <= 3)\n", x1 / b1
    printf "  batch vs reference simulator      %6.0fx                  (target >= 20)\n", ref / (s1 / k)
    printf "\n3. %d mixed configurations (medians): %.2f s on 1 thread, %.2f s on %d; peak RSS %.1f MB (target < 300)\n", k3, m1, m2, t2, mr * 1.048576
    printf "4. %d configurations, metrics only: %.1f s; peak RSS %.1f MB (target < 1000)\n", k4, bs, br * 1.048576
}'
