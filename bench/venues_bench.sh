#!/bin/sh
# venues_bench.sh REBAL [K] - routing's cost in a sweep (issue 17): K configurations (default
# 10,000: 100 threshold bands x 100 gas prices) on the bundled crypto data (BTC, ETH, USDS
# daily, 2019-2022) swept twice, each with `rebal sweep` into a fresh results store:
#   constant  one constant-depth pool per asset (--amm-depth, 30 bps)
#   venues    two venues per asset (--venues): a pool whose depth follows the stored series
#             depth-SYM (30 bps, its own gas) and a second, constant pool (5 bps), every
#             order split between them at least cost (engine/route.c)
# Both take the batch simulator's scalar path (a pool's costs are not proportional), so the
# ratio is routing's own cost: the target is at most 3x. REPS runs of each (default 3),
# interleaved; the median and the fastest are printed. THREADS sets --threads (default: all).
set -eu
rebal=$(readlink -f "$1")
K=${2:-10000}
REPS=${REPS:-3}
src=$(cd "$(dirname "$0")/.." && pwd)
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
cd "$w"
"$rebal" import -q --db p.db "$src/data/bundled/crypto_daily.csv"
for s in BTC ETH USDS; do "$rebal" import -q --db p.db --series "depth-$s" "$src/data/bundled/crypto_depth_$s.csv"; done
# K configurations: 100 bands (or K / 100) x 100 gas prices
nb=$((K / 100))
bands="0.002:$(awk "BEGIN {print 0.002 * $nb}"):0.002"
cat > venues.ini <<'INI'
[uni]
kind = pool
depth-series = BTC=depth-BTC,ETH=depth-ETH,USDS=depth-USDS
fee-bps = 30
gas = 1
chain = ethereum

[curve]
kind = pool
depth = BTC=2e6,ETH=1.5e6,USDS=1e7
fee-bps = 5
chain = ethereum

[assets]
BTC = uni, curve
ETH = uni, curve
USDS = uni, curve
INI
common="[data]
assets = BTC=0.5,ETH=0.3,USDS=0.2
[threshold]
band = $bands"
printf '%s\n[costs]\ngas = 0:99:1\namm-depth = "BTC=5e6,ETH=3e6,USDS=2e7"\namm-fee-bps = 30\n' "$common" > constant.ini
printf '%s\n[costs]\ngas = 0:99:1\n[venues]\nvenues = venues.ini\n' "$common" > venues_sweep.ini
threads=${THREADS:-$(nproc)}
out=$w/times
now() { date +%s.%N; }
r=0
while [ "$r" -lt "$REPS" ]; do
    for kind in constant venues_sweep; do
        rm -f "$kind.db"*
        t0=$(now)
        "$rebal" sweep -q --db p.db --threads "$threads" --results "$kind.db" "$kind.ini" >/dev/null
        t1=$(now)
        echo "$kind $(awk "BEGIN {print $t1 - $t0}")" >>"$out"
    done
    r=$((r + 1))
done
n=$(sqlite3 venues_sweep.db "SELECT count(*) FROM runs" 2>/dev/null || echo "?")
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
least() { sort -g | head -1; }
mc=$(grep '^constant ' "$out" | cut -d' ' -f2 | median); bc=$(grep '^constant ' "$out" | cut -d' ' -f2 | least)
mv=$(grep '^venues_sweep ' "$out" | cut -d' ' -f2 | median); bv=$(grep '^venues_sweep ' "$out" | cut -d' ' -f2 | least)
echo "configurations=$K rows=$n threads=$threads reps=$REPS"
printf 'constant depth, one pool:        median %.2f s  fastest %.2f s\n' "$mc" "$bc"
printf 'depth series, two venues routed: median %.2f s  fastest %.2f s\n' "$mv" "$bv"
printf 'ratio (venues / constant):       median %.2fx  fastest %.2fx  (target <= 3x)\n' \
    "$(awk "BEGIN {print $mv / $mc}")" "$(awk "BEGIN {print $bv / $bc}")"
