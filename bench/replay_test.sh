#!/bin/sh
# replay_test.sh PYTHON SWEEP_BENCH SWEEP_RECORD LOTS_REPLAY - sweep_record computes what
# sweep_bench computes (the same checksum: recording changes nothing), and writes a recording
# that lots_replay replays call for call, every call giving its recorded gains; lots_replay
# finds a recording whose gains were changed, refuses what is not a whole recording, and
# checks its arguments. The times are the machine's; only the output's shape is checked.
# Prints a TAP plan of one case, and "ok 1" when every check passed.
set -eu
echo "1..1"
py=$1
bench=$2
record=$3
replay=$4
fail() {
    echo "not ok 1 - sweep_record and lots_replay: $*"
    exit 1
}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

plain=$("$bench" tax 96 1) || fail "sweep_bench failed: $plain"
unset LOTS_RECORD
quiet=$("$record" tax 96 1) || fail "sweep_record without LOTS_RECORD failed: $quiet"
[ "$(field checksum "$quiet")" = "$(field checksum "$plain")" ] || fail "sweep_record without LOTS_RECORD: $quiet"
rec=$(LOTS_RECORD="$dir/tax.rec" "$record" tax 96 1) || fail "sweep_record failed: $rec"
[ "$(field checksum "$rec")" = "$(field checksum "$plain")" ] ||
    fail "recording changed the sweep: $(field checksum "$rec") against $(field checksum "$plain")"
[ -s "$dir/tax.rec" ] || fail "no recording written"

out=$("$replay" "$dir/tax.rec" 2) || fail "lots_replay failed: $out"
shape='^kind=replay records=[0-9]* orders=[1-9][0-9]* seconds=[0-9.]* ns_per_orders=[0-9.]*'
shape="$shape checksum=[-0-9a-fx.p+]* mismatches=0\$"
printf '%s\n' "$out" | grep -q "$shape" || fail "lots_replay printed: $out"
again=$("$replay" "$dir/tax.rec" 1) || fail "lots_replay again failed: $again"
[ "$(field checksum "$again")" = "$(field checksum "$out")" ] || fail "the replay's checksum moved: $out / $again"

# Two threads record each ledger's calls in their order: the replay still matches every call.
LOTS_RECORD="$dir/two.rec" "$record" tax 200 2 >/dev/null || fail "sweep_record on 2 threads failed"
two=$("$replay" "$dir/two.rec" 1) || fail "lots_replay of 2 threads' recording failed: $two"

# The year's gains after the last call of rb_lots_orders changed: the replay says so.
"$py" - "$dir/tax.rec" "$dir/changed.rec" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
head = struct.Struct("=IIiiiiQQqqQQ")
off, last = 8, None
while off < len(data):
    typ, n = struct.unpack_from("=II", data, off)
    values = head.unpack_from(data, off)[-1]
    if typ == 7:  # RB_REC_ORDERS: the last value is the year's long-term gains after it
        last = off + head.size + (values - 1) * 8
    off += head.size + values * 8
(v,) = struct.unpack_from("=d", data, last)
struct.pack_into("=d", data, last, v + 1.0)
open(sys.argv[2], "wb").write(bytes(data))
PY
if out=$("$replay" "$dir/changed.rec" 1 2>&1); then fail "a changed recording replayed: $out"; fi
printf '%s\n' "$out" | grep -q 'gave other gains than recorded' || fail "no message for changed gains: $out"
printf '%s\n' "$out" | grep -q 'mismatches=1$' || fail "no count of the mismatch: $out"

head -c 1000 "$dir/tax.rec" >"$dir/short.rec"
if out=$("$replay" "$dir/short.rec" 1 2>&1); then fail "a cut recording replayed: $out"; fi
printf '%s\n' "$out" | grep -q 'lots_replay: .*short.rec ends inside' || fail "cut recording: $out"
printf 'not a recording\n' >"$dir/text.rec"
if out=$("$replay" "$dir/text.rec" 1 2>&1); then fail "a text file replayed: $out"; fi
printf '%s\n' "$out" | grep -q 'is not a recording of sweep_record' || fail "text file: $out"
if out=$("$replay" "$dir/missing.rec" 2>&1); then fail "a missing file replayed: $out"; fi
printf '%s\n' "$out" | grep -q 'lots_replay: cannot open' || fail "missing file: $out"
for bad in 0 x 1001; do
    if out=$("$replay" "$dir/tax.rec" "$bad" 2>&1); then fail "lots_replay took ROUNDS '$bad': $out"; fi
    printf '%s\n' "$out" | grep -q 'ROUNDS must be' || fail "ROUNDS '$bad': $out"
done
echo "ok 1 - sweep_record and lots_replay: $(field orders "$two") calls of 2 threads replayed," \
    "$(field ns_per_orders "$two") ns each"
