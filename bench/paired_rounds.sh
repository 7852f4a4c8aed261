#!/bin/sh
# paired_rounds.sh ROUNDS DB SPEC A B - two builds' sweep_batch (A, then B: the same program
# built from two trees) on one sweep, in ROUNDS rounds that alternate them: each round takes
# the least of 9 in-process batches of each (sweep_batch.c says why). Prints each build's
# median of its rounds' least, and the median of the paired differences B - A with how many
# rounds B was the faster: a change is there when nearly every round agrees.
# Copy A and B fresh before a comparison: two copies of one binary have measured a few tenths
# of a millisecond apart.
set -eu
if [ $# -ne 5 ]; then
    echo "usage: paired_rounds.sh ROUNDS DB SPEC A B" >&2
    exit 2
fi
rounds=$1 db=$2 spec=$3 a=$4 b=$5
# The least of 9 batches of build $1; a build that fails stops the comparison (its message
# is sweep_batch's), where a pipe into sed would have passed an empty figure on.
least() {
    line=$(OMP_NUM_THREADS=1 "$1" "$db" "$spec" 9) || exit 1
    ms=$(printf '%s\n' "$line" | sed -n 's/^least_ms=\([0-9.]*\) .*/\1/p')
    if [ -z "$ms" ]; then
        echo "paired_rounds.sh: $1 printed no least_ms=" >&2
        exit 1
    fi
    echo "$ms"
}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
r=0
while [ "$r" -lt "$rounds" ]; do
    if [ $((r % 2)) -eq 0 ]; then x=$(least "$a"); y=$(least "$b"); else y=$(least "$b"); x=$(least "$a"); fi
    echo "$x $y" >>"$out"
    r=$((r + 1))
done
median() { sort -g | awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f", m}'; }
printf 'A %s ms, B %s ms (median of %d rounds, each the least of 9 batches)\n' \
    "$(cut -d' ' -f1 "$out" | median)" "$(cut -d' ' -f2 "$out" | median)" "$rounds"
printf 'B - A: %s ms (median of the paired differences); B faster in %d of %d rounds\n' \
    "$(awk '{print $2 - $1}' "$out" | median)" "$(awk '$2 < $1' "$out" | wc -l)" "$rounds"
