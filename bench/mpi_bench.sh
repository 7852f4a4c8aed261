#!/bin/sh
# mpi_bench.sh REBAL MPI_ROWS SQLITE3 - rebal sweep across MPI ranks (docs/mpi.md) on this
# machine, oversubscribed (mpirun --oversubscribe): an overhead and correctness figure, not a
# scaling one, where the ranks share a few cores.
#  1. the cost of a configuration's row sent to rank 0 (mpi_rows: the sweep's messages
#     without simulation or results store), 1 to 3 workers;
#  2. 60,006 configurations (3 assets x 1,461 daily bars; threshold bands and calendar rules,
#     3 fees) in one process and on 1 to 4 ranks, each worker on one thread: wall time, and
#     every stored column compared with the single-process results (must be identical).
set -eu
rebal=$(realpath "$1")
rows=$(realpath "$2")
sqlite=$3
src=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
# mpirun refuses root unless told (CI runs as root); no effect otherwise.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMP_NUM_THREADS=1

echo "# 1. a row sent to rank 0 ($(getconf _NPROCESSORS_ONLN) cores; ranks oversubscribed)"
for r in 2 3 4; do
    mpirun --oversubscribe -n "$r" "$rows" 200000
done

"$rebal" import -q --db c.db "$src/data/bundled/crypto_daily.csv"
printf '[data]\nassets = BTC=0.5, ETH=0.3, USDS=0.2\n[costs]\nfee-bps = 5, 10, 20\n[threshold]\nband = 0.00001:0.2:0.00001\n[calendar]\nevery = week, month\n' >s.ini
now() { date +%s.%N; }
dump() { "$sqlite" -cmd ".mode quote" "$1" "SELECT * FROM runs ORDER BY config_id" | sed 's/^[0-9]*,//'; }
echo "# 2. 60,006 configurations, 3 assets x 1,461 bars, one thread per worker"
t0=$(now)
"$rebal" sweep -q --db c.db --results alone.db --threads 1 s.ini >/dev/null
t1=$(now)
printf '  %-28s %7.2f s\n' "one process, 1 thread" "$(awk "BEGIN { print $t1 - $t0 }")"
dump alone.db >alone.txt
for r in 1 2 3 4; do
    t0=$(now)
    mpirun --oversubscribe -n "$r" "$rebal" sweep -q --db c.db --results "r$r.db" --threads 1 s.ini >/dev/null
    t1=$(now)
    dump "r$r.db" >"r$r.txt"
    same=$(cmp -s alone.txt "r$r.txt" && echo "identical" || echo "DIFFERENT")
    printf '  %-28s %7.2f s   %s rows, %s to the single-process results\n' "mpirun -n $r" \
        "$(awk "BEGIN { print $t1 - $t0 }")" "$(wc -l <"r$r.txt")" "$same"
    [ "$same" = identical ]
done
