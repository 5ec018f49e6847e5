#!/usr/bin/env bash
# Progress lines appear at the requested interval while a run waits, and
# the run ends with a summary line. The open of one label file is held for a
# few seconds (the failio shim's delay), so the run is long enough on any
# machine; rank 0 keeps reporting meanwhile. (A FIFO once did this; FIFOs
# are now refused.)
# The interval is checked both ways: consecutive lines are not closer than
# the interval (allowing for the whole-second resolution of "elapsed"), and
# there are no more lines than the run's length allows, so lines printed too
# often (say every interval/10) fail as well as lines missing.
#
#   environment: BEN_PREP, BEN_SYNTH, SHARED, MPIRUN, FAILIO_PRELOAD
set -euo pipefail
: "${BEN_PREP:?}" "${BEN_SYNTH:?}" "${SHARED:?}" "${MPIRUN:?}" "${FAILIO_PRELOAD:?}"
read -r -a mpirun <<<"$MPIRUN"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$BEN_SYNTH" -o "$tmp/a" -n 40 --seed 3 -q
a=$tmp/a
csv=$a/splits/train.csv
# The open of the 10th row's S1 label file is held.
s1=$(sed -n 10p "$csv" | tr -d '\r' | cut -d, -f2)
json=$a/BigEarthNet-S1-v1.0/$s1/${s1}_labels_metadata.json
# The interval: 2 s, so that one interval is more than the 1 s resolution
# of the elapsed time printed plus the tolerance (a gap check that holds with
# 1 s lines would also pass lines printed without any delay). The worker is
# held for 8 s (less mpirun start-up): lines at about 2, 4 and 6 s.
interval=2
hold=8
"${mpirun[@]}" -np 2 -x "LD_PRELOAD=$FAILIO_PRELOAD" -x "FAILIO_MATCH=$json" \
  -x "FAILIO_DELAY_US=$((hold * 1000000))" "$BEN_PREP" -r1 "$a/BigEarthNet-S1-v1.0" \
  -r2 "$a/BigEarthNet-v1.0" -o "$tmp/out" -n "$csv" --records-per-shard 5 \
  --progress "$interval" 2>"$tmp/err"
cat "$tmp/err"

progress_re="info: progress: [0-9]*/[0-9]* patches ([0-9.]*%), [0-9]* patches/s, [0-9.]* MB/s written, elapsed [0-9]*:[0-9]*:[0-9]*, left"
n=$(grep -c "$progress_re" "$tmp/err" || true)
((n >= 3)) || fail "$n progress lines in a run of ${hold}+ seconds with --progress $interval"
summary=$(grep "info: summary: [0-9]* records, [0-9]* shards, [0-9]* bytes, [0-9.]* s, [0-9]* patches/s, 0 skipped" "$tmp/err") ||
  fail "no summary line"
# The run's length by rank 0's clock (the same start as "elapsed").
run_s=$(sed -n 's/.*info: summary: [0-9]* records, [0-9]* shards, [0-9]* bytes, \([0-9.]*\) s,.*/\1/p' <<<"$summary")
[[ -n $run_s ]] || fail "no run time in the summary line: $summary"
# Rank 0 prints a line once `interval` seconds have passed since the last
# one (the first at `interval` after the start), by one monotonic clock, so
# the true times t_k satisfy t_1 >= I and t_k - t_(k-1) >= I. "elapsed" is
# printed rounded to whole seconds: each printed value is within res/2 of
# the true one (res = 1 s), so a printed gap is > I - res, the first printed
# value > I - res/2, and n lines need a run of at least n * I seconds. A
# line late by up to a second (a busy machine) is accepted: gaps up to I + res.
# tol (0.1 s) allows for the clock's and the printing's floating point.
grep "$progress_re" "$tmp/err" | grep -o "elapsed [0-9]*:[0-9]*:[0-9]*" |
  awk -F'[ :]' -v I="$interval" -v res=1 -v tol=0.1 -v run="$run_s" '
    { t = $2 * 3600 + $3 * 60 + $4
      if (NR == 1 && !(t > I - res / 2 - tol)) {
        printf "first progress line at elapsed %d s, before the %g s interval\n", t, I; bad = 1 }
      if (NR > 1 && !(t - prev > I - res - tol)) {
        printf "progress lines %d and %d only %d s apart (elapsed %d -> %d), interval %g s\n", NR - 1, NR, t - prev, prev, t, I; bad = 1 }
      if (NR > 1 && t - prev > I + res) {
        printf "progress lines %d and %d %d s apart (elapsed %d -> %d), interval %g s\n", NR - 1, NR, t - prev, prev, t, I; bad = 1 }
      prev = t }
    END {
      if (NR > run / I + 1 + tol) {
        printf "%d progress lines in a run of %s s: at most %d with a %g s interval\n", NR, run, int(run / I + 1 + tol), I; bad = 1 }
      exit bad }' >&2 || fail "progress lines not at $interval s intervals"
# Without --progress (default 30 s) a short run prints none.
rm -rf "$tmp/out"
"${mpirun[@]}" -np 2 "$BEN_PREP" -r1 "$a/BigEarthNet-S1-v1.0" \
  -r2 "$a/BigEarthNet-v1.0" -o "$tmp/out2" -n "$csv" 2>"$tmp/err2"
if grep -q "progress:" "$tmp/err2"; then fail "progress line in a 1-second run"; fi
echo "PASS: $n progress lines at $interval s intervals in a run of $run_s s, summary line printed"
