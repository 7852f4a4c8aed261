#!/bin/sh
# resample_bench.sh REBAL SQLITE3 [HISTORIES [THREADS]] - the resampled-histories benchmark (issue 19):
# 1,000 configurations x HISTORIES (default 1,000) stationary-bootstrap histories of 4 assets x
# 2,500 daily bars (the synthetic crypto preset: BTC, ETH, SOL, USDS), i.e. 10^6 simulations,
# with `rebal sweep --resample block-bootstrap:HISTORIES:20` on THREADS threads (default 2).
# Prints the wall time of the resample stage (as the results store records it) and of the
# whole command, its user and system CPU time and its peak resident memory (/usr/bin/time).
set -eu
rebal=$(realpath "$1")
sqlite3=$2
histories=${3:-1000}
threads=${4:-2}
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
cd "$w"
"$rebal" synth --days 2500 -o prices.csv
"$rebal" import --db p.db prices.csv >/dev/null
# 250 rule configurations x 4 fee tiers = 1,000 configurations.
cat >grid.ini <<'INI'
[data]
assets = BTC=0.4,ETH=0.3,SOL=0.1,USDS=0.2
[costs]
fee-bps = 0, 5, 10, 25
[buy-and-hold]
[calendar]
every = day, week, month, quarter, half, year
[threshold]
band = 0.005:0.5:0.005
to   = target, edge
[hybrid]
every = week, month, quarter
band  = 0.02:0.2:0.02
[vol-band]
band       = 0.02:0.26:0.02
vol-window = 60
INI
/usr/bin/time -f 'time_wall_s=%e time_user_s=%U time_sys_s=%S peak_rss_kib=%M' -o time.txt \
    "$rebal" sweep --db p.db grid.ini --results r.db --threads "$threads" -q \
    --resample "block-bootstrap:$histories:20" --seed 1 >out.txt
configs=$("$sqlite3" r.db "SELECT configurations FROM resample_sets")
stage=$("$sqlite3" r.db "SELECT printf('%.2f', seconds) FROM resample_sets")
echo "resample: $configs configurations x $histories histories x 4 assets x 2500 bars on $threads threads"
echo "resample_stage_s=$stage $(cat time.txt)"
