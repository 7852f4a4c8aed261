#!/bin/sh
# sweep_bench.sh SWEEP_BENCH LIMIT - the batch simulator's benchmarks, each in its own
# process (peak RSS is per process), with the reference kernel bench/limit.c (from
# shared/bench-limit, unchanged) built with the same compiler and flags, in one run.
# Sizes can be lowered for a quick look: K1=10000 K3=100000 K4=1000000 KREF=300.
set -eu
bench=$1
limit=$2
K1=${K1:-10000}
K3=${K3:-100000}
K4=${K4:-1000000}
KREF=${KREF:-300}
threads=$(nproc)

echo "# 1. threshold sweep, $K1 configurations x 5 assets x 5000 bars"
"$limit" "$K1" 5 5000 1
"$bench" threshold "$K1" 1
if [ "$threads" -ge 2 ]; then
    "$limit" "$K1" 5 5000 2
    "$bench" threshold "$K1" 2
fi
echo "# reference simulator on $KREF of the same configurations (one thread)"
"$bench" reference "$KREF"
echo "# 2. the same with FIFO tax lots, 30 % short / 15 % long"
"$bench" tax "$K1" 1
[ "$threads" -ge 2 ] && "$bench" tax "$K1" 2
echo "# 3. $K3 configurations mixing calendar, threshold and hybrid"
"$bench" mixed "$K3" 1
[ "$threads" -ge 2 ] && "$bench" mixed "$K3" 2
echo "# 4. $K4 configurations, metrics only"
"$bench" threshold "$K4" "$threads"
