#!/usr/bin/env bash
# --dry-run over the official splits (519,284 rows): every row of every CSV
# is in exactly one chunk, chunks are consecutive and in order, no patch is
# touched (no roots given) and nothing is written.
#
#   test_dry_run.sh NP [RPS]     environment: BEN_PREP, SHARED, MPIRUN
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
np=$1 rps=${2:-}
require_env BEN_PREP SHARED MPIRUN
use_mpirun
make_tmp
cd "$tmp"

splits=("$SHARED/splits/train.csv" "$SHARED/splits/val.csv" "$SHARED/splits/test.csv")
args=(--dry-run -n "${splits[@]}")
[[ -n $rps ]] && args+=(--records-per-shard "$rps")
start=$(now)
ben_prep "$np" "${args[@]}" >plan.txt
took=$(seconds_since "$start")

for csv in "${splits[@]}"; do
  split=$(basename "$csv" .csv)
  rows=$(wc -l <"$csv")
  # Lines "  <split>-NNNNN-of-MMMMM.tfrecord rows A-B (N), lines C-D".
  awk -v sname="$split" -v rows="$rows" '
    $1 ~ "^" sname "-[0-9]+-of-[0-9]+\\.tfrecord$" {
      n++
      split($3, r, "-"); a = r[1] + 0; b = r[2] + 0
      count = substr($4, 2) + 0
      if (a != next_row + 1) { printf "FAIL: %s starts at row %d, expected %d\n", $1, a, next_row + 1; bad = 1 }
      if (b - a + 1 != count) { printf "FAIL: %s: rows %d-%d but count %d\n", $1, a, b, count; bad = 1 }
      if (prev != "" && $1 <= prev) { printf "FAIL: shard names not in order: %s after %s\n", $1, prev; bad = 1 }
      sum += count; next_row = b; prev = $1
    }
    END {
      if (sum != rows || next_row != rows) { printf "FAIL: %s: %d rows planned, the CSV has %d\n", sname, sum, rows; bad = 1 }
      if (!bad) printf "PASS: %s: %d rows in %d chunks, each row once\n", sname, rows, n
      exit bad
    }' plan.txt
done
grep -q "^ben-prep .* dry run: 3 split files, 519284 rows" plan.txt || {
  head -3 plan.txt >&2
  fail "summary line does not say 519284 rows"
}
[[ -z $(find "$tmp" -mindepth 1 -maxdepth 1 ! -name plan.txt) ]] ||
  fail "the dry run wrote files"
pass "dry run on $np ranks took $took s"
