#!/bin/sh
# clock_test.sh WALL_TIME CLOCK_PROBE - the benchmark's timer and clock readings work: wall_time
# --clock times RUNS runs of a command and sorts every one of them into full speed or slow,
# a median for each kind it has (nan for none); clock_probe reads every processor the test
# may run on. Their figures are the machine's; only their shape and sums are checked here.
# Prints a TAP plan of one case, and "ok 1" when every check passed (scripts/test-summary
# counts it).
set -eu
echo "1..1"
wall=$1
probe=$2
fail() {
    echo "not ok 1 - wall_time and clock_probe: $*"
    exit 1
}
field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
positive() { awk -v v="$1" 'BEGIN { exit !(v + 0 > 0) }'; }

out=$("$wall" --clock 3 '' -- true)
for key in median_ms fastest_ms top_ghz full_runs full_median_ms slow_runs slow_median_ms; do
    [ -n "$(field $key "$out")" ] || fail "wall_time --clock printed no $key: $out"
done
[ $(($(field full_runs "$out") + $(field slow_runs "$out"))) -eq 3 ] || fail "runs not all sorted: $out"
positive "$(field top_ghz "$out")" || fail "top_ghz not positive: $out"
[ "$(field full_runs "$out")" -eq 0 ] || positive "$(field full_median_ms "$out")" || fail "full_median_ms: $out"
[ "$(field slow_runs "$out")" -eq 0 ] || positive "$(field slow_median_ms "$out")" || fail "slow_median_ms: $out"

plain=$("$wall" 2 '' -- true)
[ -z "$(field top_ghz "$plain")" ] || fail "wall_time without --clock read the clock: $plain"
positive "$(field median_ms "$plain")" || fail "wall_time: no median: $plain"
if "$wall" 2 '' -- false 2>/dev/null; then fail "wall_time took a failing command"; fi

p=$("$probe" 1)
positive "$(field median_ghz "$p")" || fail "clock_probe: no reading: $p"
cpus=$(printf '%s\n' "$p" | tr ' ' '\n' | grep -c '^cpu[0-9]*_ghz=' || true)
allowed=$(nproc)
[ "$cpus" -eq "$allowed" ] || [ "$allowed" -gt 64 ] || fail "clock_probe read $cpus processors of $allowed: $p"
echo "ok 1 - wall_time --clock and clock_probe: $out"
