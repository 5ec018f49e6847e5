#!/usr/bin/env bash
# Progress lines appear at the requested interval while a run waits, and
# the run ends with a summary line. A label file replaced by a FIFO holds
# the worker for a few seconds at a known place, so the run is long enough
# on any machine; rank 0 keeps reporting meanwhile.
#
#   environment: BEN_PREP, BEN_SYNTH, SHARED, MPIRUN
set -euo pipefail
: "${BEN_PREP:?}" "${BEN_SYNTH:?}" "${SHARED:?}" "${MPIRUN:?}"
read -r -a mpirun <<<"$MPIRUN"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$BEN_SYNTH" -o "$tmp/a" -n 40 --seed 3 -q
a=$tmp/a
csv=$a/splits/train.csv
# The 10th row's S1 label file becomes a FIFO.
s1=$(sed -n 10p "$csv" | tr -d '\r' | cut -d, -f2)
json=$a/BigEarthNet-S1-v1.0/$s1/${s1}_labels_metadata.json
mv "$json" "$tmp/saved.json"
mkfifo "$json"
( sleep 4; cat "$tmp/saved.json" >"$json" ) &
feeder=$!
"${mpirun[@]}" -np 2 "$BEN_PREP" -r1 "$a/BigEarthNet-S1-v1.0" \
  -r2 "$a/BigEarthNet-v1.0" -o "$tmp/out" -n "$csv" --records-per-shard 5 \
  --progress 1 2>"$tmp/err"
wait "$feeder"
rm "$json"
mv "$tmp/saved.json" "$json"
cat "$tmp/err"

n=$(grep -c "info: progress: [0-9]*/[0-9]* patches ([0-9.]*%), [0-9]* patches/s, [0-9.]* MB/s written, elapsed [0-9:]*, left" "$tmp/err" || true)
((n >= 3)) || fail "$n progress lines in a run of 4+ seconds with --progress 1"
# Successive lines are about one second apart (elapsed in whole seconds).
grep -o "elapsed [0-9]*:[0-9]*:[0-9]*" "$tmp/err" | awk -F: '
  { t = $2 * 60 + $3; if (NR > 1 && (t - prev < 0 || t - prev > 2)) bad = 1; prev = t }
  END { exit bad }' || fail "progress lines not at 1 s intervals"
grep -q "info: summary: [0-9]* records, [0-9]* shards, [0-9]* bytes, [0-9.]* s, [0-9]* patches/s, 0 skipped" "$tmp/err" ||
  fail "no summary line"
# Without --progress (default 30 s) a short run prints none.
rm -rf "$tmp/out"
"${mpirun[@]}" -np 2 "$BEN_PREP" -r1 "$a/BigEarthNet-S1-v1.0" \
  -r2 "$a/BigEarthNet-v1.0" -o "$tmp/out2" -n "$csv" 2>"$tmp/err2"
if grep -q "progress:" "$tmp/err2"; then fail "progress line in a 1-second run"; fi
echo "PASS: $n progress lines at 1 s intervals, summary line printed"
