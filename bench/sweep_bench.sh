#!/bin/sh
# sweep_bench.sh SWEEP_BENCH LIMIT [BUILD [LIMIT_NATIVE]] - the batch simulator's benchmarks,
# each in its own process (peak RSS is per process), beside the reference kernel
# bench/limit.c (from shared/bench-limit, unchanged) built with the same compiler and flags,
# and, when given, the same file built -O3 -march=native (LIMIT_NATIVE), in one run.
# Benchmark 1 is run twice: as a band sweep (configurations that differ only in their band
# share one state until their decisions part: engine/batch/share.c) and "unshared", with a
# fee of its own for each configuration, so that nothing is shared: the kernel per cell.
# Benchmarks 1 and 2 and limit.c run REPS times interleaved, benchmark 3 REPS3 times.
# Every figure is given as the median of its runs and as the fastest run: on a shared
# virtual machine the noise only ever adds time (a busy neighbour, a vCPU moved onto a
# loaded core), so the fastest run is the best estimate of the code's own cost, and the
# median says what a user typically sees. Each ratio is also given paired: the median over
# the rounds of the two runs' ratio within a round, taken a fraction of a second apart. The
# development VM's processor runs at full speed or at about half in spells of seconds to
# minutes (wall_time.c, clock_chain.h); a ratio of medians can set a run in one state against
# a run in the other, a round's two runs nearly always share one. Sizes can be lowered for a
# quick look:
#   K1=10000 K3=100000 K4=1000000 KREF=300 REPS=7 REPS3=5
# The optional third argument names the build in the report (portable or native).
set -eu
bench=$1
limit=$2
build=${3:-portable}
native=${4:-}
K1=${K1:-10000}
K3=${K3:-100000}
K4=${K4:-1000000}
KREF=${KREF:-300}
REPS=${REPS:-7}
REPS3=${REPS3:-5}
threads=$(nproc)
[ "$threads" -ge 2 ] && t2=2 || t2=1
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# field NAME LINE: the value of NAME=... in a result line
field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
least() { sort -g | head -1; }

echo "# interleaved runs ($REPS each): limit.c and benchmarks 1-2 at 1 and $t2 threads"
r=0
while [ "$r" -lt "$REPS" ]; do
    for t in 1 $t2; do
        echo "limit$t $(field ns_per_cell "$("$limit" "$K1" 5 5000 "$t")") $r" >>"$out"
        [ -n "$native" ] && echo "native$t $(field ns_per_cell "$("$native" "$K1" 5 5000 "$t")") $r" >>"$out"
        echo "thr$t $(field ns_per_cell "$("$bench" threshold "$K1" "$t")") $r" >>"$out"
        echo "uns$t $(field ns_per_cell "$("$bench" unshared "$K1" "$t")") $r" >>"$out"
        echo "tax$t $(field ns_per_cell "$("$bench" tax "$K1" "$t")") $r" >>"$out"
    done
    r=$((r + 1))
done
[ -n "$native" ] || { echo "native1 nan" >>"$out"; echo "native$t2 nan" >>"$out"; }
m() { grep "^$1 " "$out" | cut -d' ' -f2 | median; }
b() { grep "^$1 " "$out" | cut -d' ' -f2 | least; }
# p A B: the median over the rounds of A's time over B's within the round (nan without B)
p() {
    q=$(awk -v a="$1" -v b="$2" '$1 == a && NF == 3 { x[$3] = $2 } $1 == b && NF == 3 { y[$3] = $2 }
        END { for (r in x) if (r in y && y[r] > 0) print x[r] / y[r] }' "$out")
    if [ -n "$q" ]; then printf '%s\n' "$q" | median; else echo nan; fi
}
ref=$(field seconds_per_config "$("$bench" reference "$KREF")")
r=0
while [ "$r" -lt "$REPS3" ]; do
    m=$("$bench" mixed "$K3" 1)
    echo "mixed1 $(field seconds "$m") $r" >>"$out"
    m=$("$bench" mixed "$K3" "$t2")
    echo "mixed2 $(field seconds "$m") $r" >>"$out"
    echo "mixedrss $(field peak_rss_mib "$m")" >>"$out"
    r=$((r + 1))
done
big=$("$bench" threshold "$K4" "$threads")

echo "# build: $build, $(nproc) cores, $REPS runs of limit.c and benchmarks 1-2, $REPS3 of benchmark 3"
awk -v l1="$(m limit1)" -v l2="$(m limit$t2)" -v b1="$(m thr1)" -v b2="$(m thr$t2)" \
    -v n1="$(m native1)" -v n2="$(m native$t2)" -v N1="$(b native1)" -v N2="$(b native$t2)" \
    -v u1="$(m uns1)" -v u2="$(m uns$t2)" -v U1="$(b uns1)" -v U2="$(b uns$t2)" \
    -v x1="$(m tax1)" -v x2="$(m tax$t2)" -v m1="$(m mixed1)" -v m2="$(m mixed2)" \
    -v L1="$(b limit1)" -v L2="$(b limit$t2)" -v B1="$(b thr1)" -v B2="$(b thr$t2)" \
    -v X1="$(b tax1)" -v X2="$(b tax$t2)" -v M1="$(b mixed1)" -v M2="$(b mixed2)" \
    -v pn1="$(p thr1 native1)" -v pun1="$(p uns1 native1)" -v pl1="$(p thr1 limit1)" -v pl2="$(p thr$t2 limit$t2)" \
    -v pll="$(p limit1 limit$t2)" -v pbb="$(p thr1 thr$t2)" -v puu="$(p uns1 uns$t2)" -v pxx="$(p tax1 tax$t2)" \
    -v pmm="$(p mixed1 mixed2)" -v pxb="$(p tax1 thr1)" \
    -v ref="$ref" -v t2="$t2" -v tn="$threads" \
    -v mr="$(grep '^mixedrss ' "$out" | cut -d' ' -f2 | sort -g | tail -1)" -v bs="$(field seconds "$big")" -v br="$(field peak_rss_mib "$big")" \
    -v k3="$K3" -v k4="$K4" 'BEGIN {
    # seconds per configuration of benchmark 1 on one thread, from ns per cell
    s1 = b1 * 5 * 5000 * 1e-9; S1 = B1 * 5 * 5000 * 1e-9
    printf "\nns per configuration x asset x bar     median of runs         fastest run\n"
    printf "                                     1 thread  %d threads    1 thread  %d threads\n", t2, t2
    printf "  limit.c                             %7.3f   %7.3f      %7.3f   %7.3f\n", l1, l2, L1, L2
    printf "  limit.c -O3 -march=native           %7.3f   %7.3f      %7.3f   %7.3f\n", n1, n2, N1, N2
    printf "  1. threshold                        %7.3f   %7.3f      %7.3f   %7.3f\n", b1, b2, B1, B2
    printf "  1. unshared (a fee per config)      %7.3f   %7.3f      %7.3f   %7.3f\n", u1, u2, U1, U2
    printf "  2. threshold + FIFO tax             %7.3f   %7.3f      %7.3f   %7.3f\n", x1, x2, X1, X2
    printf "3. %d mixed configurations, seconds %7.2f   %7.2f      %7.2f   %7.2f\n", k3, m1, m2, M1, M2
    printf "\nratios                               median   fastest   paired   target\n"
    printf "  1 vs limit.c native, 1 thread     %6.2fx  %6.2fx  %6.2fx    <= 1\n", b1 / n1, B1 / N1, pn1
    printf "  1 unshared vs limit.c native      %6.2fx  %6.2fx  %6.2fx    (the kernel per cell)\n", u1 / n1, U1 / N1, pun1
    printf "  1 vs limit.c, 1 thread            %6.2fx  %6.2fx  %6.2fx    <= 2\n", b1 / l1, B1 / L1, pl1
    printf "  1 vs limit.c, %d threads           %6.2fx  %6.2fx  %6.2fx    <= 2\n", t2, b2 / l2, B2 / L2, pl2
    printf "  limit.c: %d threads vs 1           %6.2fx  %6.2fx  %6.2fx    (what this machine allows)\n", t2, l1 / l2, L1 / L2, pll
    printf "  1: %d threads vs 1                 %6.2fx  %6.2fx  %6.2fx    >= 1.8\n", t2, b1 / b2, B1 / B2, pbb
    printf "  1 unshared: %d threads vs 1        %6.2fx  %6.2fx  %6.2fx    >= 1.8\n", t2, u1 / u2, U1 / U2, puu
    printf "  2: %d threads vs 1                 %6.2fx  %6.2fx  %6.2fx    >= 1.8\n", t2, x1 / x2, X1 / X2, pxx
    printf "  3: %d threads vs 1                 %6.2fx  %6.2fx  %6.2fx    >= 1.8\n", t2, m1 / m2, M1 / M2, pmm
    printf "  2 vs 1, 1 thread                  %6.2fx  %6.2fx  %6.2fx    <= 3\n", x1 / b1, X1 / B1, pxb
    printf "  batch vs reference simulator      %6.0fx  %6.0fx             >= 20 (per configuration, 1 thread)\n", ref / s1, ref / S1
    printf "  (paired: the median over rounds of the ratio of a round'"'"'s two runs, taken a fraction of a second apart)\n"
    printf "\n3. peak RSS %.1f MB (target < 300)\n", mr * 1.048576
    printf "4. %d configurations, metrics only, %d threads: %.1f s; peak RSS %.1f MB (target < 1000)\n", k4, tn, bs, br * 1.048576
}'
