#!/bin/sh
# import_bench.sh - the import benchmark: generates a deterministic long CSV (default
# 5,000,000 rows: 2,000 symbols x 2,500 business days, date-major) in a scratch directory
# and times, side by side in one run, the sqlite3 shell's `.import --csv` of that file into a
# bare database (the table is created by .import from the header: symbol, date, price as
# TEXT), rebal's library (rb_import_files through bench/import_lib) and `rebal import`.
# Each is run REPS times (default 3), interleaved; the median and the fastest run are
# reported, each with its ratio to sqlite3's. Exits 1 when the median of the library or the
# CLI is slower than sqlite3's.
# Usage: import_bench.sh GEN_LONG IMPORT_LIB REBAL SQLITE3 [NSYM [NDAYS [date|symbol]]]
set -eu

if [ $# -lt 4 ]; then
    echo "usage: import_bench.sh GEN_LONG IMPORT_LIB REBAL SQLITE3 [NSYM [NDAYS [date|symbol]]]" >&2
    exit 2
fi
gen=$1 lib=$2 rebal=$3 sqlite=$4
nsym=${5:-2000} ndays=${6:-2500} order=${7:-date}
reps=${REPS:-3}
rows=$((nsym * ndays))

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rebal-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
csv=$tmp/long.csv
"$gen" "$csv" "$nsym" "$ndays" "$order"
cat "$csv" >/dev/null # the file is in the page cache for every contender alike
bytes=$(wc -c <"$csv")

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# Removes a database and its WAL/SHM companions.
clean() { rm -f "$1" "$1-wal" "$1-shm" "$1-journal"; }

# Checks that a database holds every row, in table bars.
check_rows() {
    n=$("$sqlite" "$1" 'SELECT count(*) FROM bars')
    if [ "$n" != "$rows" ]; then
        echo "import_bench: $2 stored $n rows, expected $rows" >&2
        exit 1
    fi
}

# Each run starts after sync, so that none pays for writing back the previous one's pages.
run_sqlite() {
    clean "$tmp/bare.db"
    sync
    t0=$(now)
    "$sqlite" "$tmp/bare.db" ".import --csv '$csv' bars"
    t1=$(now)
    check_rows "$tmp/bare.db" "sqlite3 .import"
    elapsed "$t0" "$t1"
}

run_lib() {
    clean "$tmp/lib.db"
    sync
    "$lib" "$tmp/lib.db" "$csv" >"$tmp/lib.out" # prints its own wall time: open, import, close
    check_rows "$tmp/lib.db" "rb_import_files"
    cut -d' ' -f1 "$tmp/lib.out"
}

run_cli() {
    clean "$tmp/cli.db"
    sync
    t0=$(now)
    "$rebal" import --db "$tmp/cli.db" --quiet "$csv"
    t1=$(now)
    check_rows "$tmp/cli.db" "rebal import"
    elapsed "$t0" "$t1"
}

median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
fastest() { tr ' ' '\n' | sed '/^$/d' | sort -n | head -n 1; }

s_all="" l_all="" c_all=""
i=0
while [ "$i" -lt "$reps" ]; do
    s_all="$s_all $(run_sqlite)"
    l_all="$l_all $(run_lib)"
    c_all="$c_all $(run_cli)"
    i=$((i + 1))
done
s=$(echo "$s_all" | median) sf=$(echo "$s_all" | fastest)
l=$(echo "$l_all" | median) lf=$(echo "$l_all" | fastest)
c=$(echo "$c_all" | median) cf=$(echo "$c_all" | fastest)

echo "import benchmark: $rows rows ($nsym symbols x $ndays days, $order-major), $bytes bytes; $reps runs each"
echo "  runs (s): sqlite3${s_all} | library${l_all} | cli${c_all}"
awk -v rows="$rows" -v s="$s" -v l="$l" -v c="$c" -v sf="$sf" -v lf="$lf" -v cf="$cf" 'BEGIN {
    printf "  %-34s %8s %12s %10s %8s %10s\n", "contender", "median s", "rows/s", "vs sqlite3", "fastest", "vs sqlite3"
    printf "  %-34s %8.3f %12.0f %10.2f %8.3f %10.2f\n", "sqlite3 .import --csv (bare table)", s, rows / s, 1, sf, 1
    printf "  %-34s %8.3f %12.0f %10.2f %8.3f %10.2f\n", "rb_import_files (library)", l, rows / l, s / l, lf, sf / lf
    printf "  %-34s %8.3f %12.0f %10.2f %8.3f %10.2f\n", "rebal import (CLI)", c, rows / c, s / c, cf, sf / cf
    exit !(l <= s && c <= s)
}' || {
    echo "import_bench: rebal is slower than sqlite3 .import on this run" >&2
    exit 1
}
