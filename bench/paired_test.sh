#!/bin/sh
# paired_test.sh PYTHON PAIRED_BENCH SWEEP_BENCH LOTS_BENCH - paired_bench.py compares two builds
# of a benchmark as it says: a build against itself agrees on its checksums (sweep_bench's and
# lots_bench's, whose gains are the same on every run); a build whose checksum differs stops
# the comparison, unless --timing-only, which says so; a build that fails stops it too. And
# lots_bench refuses what it cannot run. The times are the machine's; only the output's shape
# is checked. Prints a TAP plan of one case, and "ok 1" when every check passed.
set -eu
echo "1..1"
py=$1
paired=$2
sweep=$3
lots=$4
fail() {
    echo "not ok 1 - paired_bench.py and lots_bench: $*"
    exit 1
}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

same=$("$py" "$paired" 2 "$sweep" "$sweep" threshold 96 1) || fail "sweep_bench against itself failed: $same"
printf '%s\n' "$same" | grep -q '^B / A: [0-9.]* (median of the rounds.*B faster in [0-2] of 2 rounds$' ||
    fail "no paired ratio: $same"
printf '%s\n' "$same" | grep -q '^checksums agree in every round: threshold 96 1$' || fail "checksums: $same"

for method in fifo lifo avg; do
    one=$("$lots" $method 8 2000) || fail "lots_bench $method failed: $one"
    printf '%s\n' "$one" | grep -q "^kind=$method ledgers=8 rebalances=2000 seconds=[0-9.]* ns_per_rebalance=[0-9.]* checksum=-\{0,1\}[0-9]" ||
        fail "lots_bench $method printed: $one"
done
daily=$("$lots" fifo 8 2000 daily) || fail "lots_bench daily failed: $daily"
printf '%s\n' "$daily" | grep -q '^kind=fifo_daily ledgers=8 rebalances=2000 seconds=' || fail "lots_bench daily printed: $daily"
same=$("$py" "$paired" 3 "$lots" "$lots" fifo 8 2000) || fail "lots_bench against itself failed: $same"
printf '%s\n' "$same" | grep -q '^checksums agree in every round: fifo 8 2000$' || fail "lots_bench's checksum moved: $same"
for bad in "fifo 0 10" "fifo 8" "hifo 8 10" "fifo 8 1x" "fifo 8 10 weekly"; do
    if out=$("$lots" $bad 2>&1); then fail "lots_bench took '$bad': $out"; fi
    printf '%s\n' "$out" | grep -q 'lots_bench' || fail "lots_bench '$bad' said: $out"
done

# A "build" whose checksum is another: a script in the benchmarks' output format.
cat >"$dir/other" <<SCRIPT
#!/bin/sh
echo "kind=\$1 seconds=0.001 checksum=1.234567e+00"
SCRIPT
chmod +x "$dir/other"
if out=$("$py" "$paired" 2 "$sweep" "$dir/other" threshold 96 1 2>&1); then
    fail "differing checksums passed: $out"
fi
printf '%s\n' "$out" | grep -q 'the checksums differ in round 1' || fail "no message for differing checksums: $out"
timing=$("$py" "$paired" 2 "$sweep" "$dir/other" threshold 96 1 --timing-only) || fail "--timing-only failed: $timing"
printf '%s\n' "$timing" | grep -q '^checksums differ (timing only): from round 1, A .*, B 1.234567e+00$' ||
    fail "--timing-only did not say the checksums differ: $timing"

printf '#!/bin/sh\nexit 3\n' >"$dir/broken"
chmod +x "$dir/broken"
if out=$("$py" "$paired" 1 "$sweep" "$dir/broken" threshold 96 1 2>&1); then fail "a failing build passed: $out"; fi
printf '%s\n' "$out" | grep -q 'failed (exit status 3)' || fail "no message for a failing build: $out"
echo "ok 1 - paired_bench.py and lots_bench: $(printf '%s\n' "$same" | tail -2 | head -1)"
