#!/usr/bin/env bash
# Run one fuzzer for FUZZ_SECONDS (default 20) from the target's corpus in
# the repository (tests/fuzz/corpus/KIND, when there is one) and seeds made
# of the real sample files; print libFuzzer's figures. Fails on any crash,
# leak or sanitizer report (libFuzzer exits non-zero and writes the input).
# A crashing input belongs in the repository's corpus once it is fixed, so
# that every build replays it (fuzz_replay_KIND).
#
#   run_fuzzer.sh FUZZER csv|labels|tiff|tar|index SHARED_DATA [CORPUS]
set -euo pipefail
fuzzer=$1 kind=$2 shared=$3 corpus=${4:-}
seconds=${FUZZ_SECONDS:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/artifacts"
# A copy: libFuzzer adds the inputs it finds to its first corpus folder.
if [[ -n $corpus && -d $corpus ]]; then
  cp "$corpus"/* "$work/corpus/"
fi
case $kind in
  csv)
    cp "$shared/golden/example_mm.csv" "$work/corpus/sample.csv"
    head -c 2000 "$shared/splits/train.csv" >"$work/corpus/train-head.csv"
    head -c 300 "$shared/splits-s2/train.csv" >"$work/corpus/s2-head.csv" 2>/dev/null || true
    printf '\xef\xbb\xbfa,b\n\nc,d' >"$work/corpus/bom-blank.csv"
    printf 'a,b\r\na,c\r\n' >"$work/corpus/repeat.csv"
    ;;
  tiff)
    for f in "$shared"/bigearthnet-v1-sample/BigEarthNet-v1.0/S2A_MSIL2A_20170613T101031_87_48/*_B0[19].tif \
      "$shared"/bigearthnet-v1-sample/BigEarthNet-S1-v1.0/S1A_IW_GRDH_1SDV_20170613T165043_33UUP_87_48/*_VV.tif; do
      cp "$f" "$work/corpus/"
    done
    ;;
  labels)
    i=0
    for f in "$shared"/bigearthnet-v1-sample/*/*/*_labels_metadata.json; do
      cp "$f" "$work/corpus/$((i++)).json"
    done
    printf '{"labels": [], "BigEarthNet_19_labels": []}' >"$work/corpus/empty.json"
    ;;
esac
"$fuzzer" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
  -artifact_prefix="$work/artifacts/" "$work/corpus" 2>"$work/log" || {
  tail -40 "$work/log" >&2
  for a in "$work/artifacts"/*; do
    [[ -e $a ]] && {
      echo "crashing input ($a); once fixed, add it to tests/fuzz/corpus/$kind/:" >&2
      xxd "$a" | head -20 >&2
    }
  done
  exit 1
}
grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)" "$work/log"
echo "PASS: fuzz_$kind ran ${seconds} s without findings"
