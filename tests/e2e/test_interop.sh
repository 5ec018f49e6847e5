#!/usr/bin/env bash
# What users feed to other readers, on the real sample:
#  - zlib and gzip shards decompress, with zlib's inflate and with zcat, to
#    exactly the uncompressed shards; verify passes on them;
#  - index files equal the offsets this test computes from the framing;
#  - S2-only split files give records whose bands and labels equal the S2
#    files (verify --deep S2_ROOT: GDAL and the S2 JSON), labels as in
#    expected.tsv, and patch_name;
#  - the official seasonal-snow list drops exactly the listed sample patch.
#
#   environment: BEN_PREP, SHARED, MPIRUN, ZPIPE
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
require_env BEN_PREP SHARED MPIRUN ZPIPE
use_mpirun
make_tmp
csv=$golden_csv
convert() { # ranks, output, options...
  local np=$1 out=$2
  shift 2
  ben_prep "$np" -r1 "$sample_s1" -r2 "$sample_s2" -o "$out" -q "$@"
}
verify() { ben_prep 2 verify "$@" -q; }

# Compression.
convert 3 "$tmp/plain" -n "$csv" --records-per-shard 2
for mode in zlib gzip; do
  ext=$([[ $mode == zlib ]] && echo zlib || echo gz)
  convert 3 "$tmp/$mode" -n "$csv" --records-per-shard 2 --compression "$mode"
  n=0
  for f in "$tmp/plain"/*.tfrecord; do
    z=$tmp/$mode/$(basename "$f").$ext
    [[ -f $z ]] || fail "$mode: no $z"
    "$ZPIPE" inflate <"$z" | cmp - "$f" || fail "$mode: $z does not inflate to $f"
    # Deterministic: the same bytes as zlib compressing the plain shard
    # with TensorFlow's settings (level 6, memLevel 9).
    "$ZPIPE" "$mode" 6 <"$f" | cmp - "$z" || fail "$mode: $z differs from zlib's own stream"
    n=$((n + 1))
  done
  verify "$tmp/$mode" || fail "verify rejects $mode shards"
  pass "$mode: $n shards inflate to the uncompressed shards; verify passes"
done
for z in "$tmp/gzip"/*.gz; do
  zcat "$z" | cmp - "$tmp/plain/$(basename "$z" .gz)" || fail "zcat $z"
done
cat "$tmp/plain"/*.tfrecord | cmp - "$golden"
pass "zcat reads the gzip shards"

# Index files: offsets and sizes computed here from each record's length.
convert 2 "$tmp/idx" -n "$csv" --records-per-shard 4 --index
for f in "$tmp/idx"/*.tfrecord; do
  [[ -f $f.idx ]] || fail "no index for $f"
  size=$(stat -c %s "$f") off=0
  : >"$tmp/want.idx"
  while ((off < size)); do
    len=$(od -An -t u8 -j "$off" -N 8 "$f" | tr -d ' ')
    echo "$off $((len + 16))" >>"$tmp/want.idx"
    off=$((off + len + 16))
  done
  cmp "$tmp/want.idx" "$f.idx" || fail "index of $f differs from the framing"
done
grep -q '"index": {' "$tmp/idx/manifest.json" || fail "index files not in the manifest"
verify "$tmp/idx" || fail "verify rejects the index files"
run_status convert 2 "$tmp/bad" -n "$csv" --index --compression gzip 2>"$tmp/err"
{ [[ $rc -eq 2 ]] && grep -q "DALI" "$tmp/err"; } || fail "--index with --compression: exit $rc"
pass "index files equal the offsets of the framing; --index with --compression refused"

# S2-only records.
tr -d '\r' <"$csv" | cut -d, -f1 | sed 's/$/\r/' >"$tmp/s2.csv"
ben_prep 2 -r2 "$sample_s2" -o "$tmp/s2" -n "$tmp/s2.csv" -q
grep -q '"name": "bigearthnet-s2-19"' "$tmp/s2/manifest.json" || fail "S2-only schema"
ben_prep 2 verify "$tmp/s2" -q --deep "$sample_s2" ||
  fail "S2-only records differ from the S2 files"
shard=$(ls "$tmp/s2"/*.tfrecord)
# Map keys are length-prefixed: 0a <key length> <key> 12, searched in hex.
hexof() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }
od -An -tx1 -v "$shard" | tr -d ' \n' >"$tmp/shard.hex"
for key in patch_name_s1 patch_name_s2 VV VH; do
  pat=0a$(printf '%02x' "${#key}")$(hexof "$key")12
  if grep -q "$pat" "$tmp/shard.hex"; then fail "S2-only record has the key $key"; fi
done
grep -q "0a0a$(hexof patch_name)12" "$tmp/shard.hex" || fail "no patch_name key"
# Each record's names and labels, in row order (expected.tsv, column 1 and 4).
i=0
while IFS=$'\t' read -r s2 _ _ labels _; do
  [[ $s2 == s2_name ]] && continue
  # patch_name 12 <n> 0a <n> 0a <n> <name>: Feature, BytesList, value.
  grep -q "$(hexof patch_name)12..0a..0a..$(hexof "$s2")" "$tmp/shard.hex" ||
    fail "no record with patch_name $s2"
  IFS=';' read -r -a names <<<"$labels"
  for l in "${names[@]}"; do
    grep -qaF "$l" "$shard" || fail "label $l of $s2 missing"
  done
  i=$((i + 1))
done <"$sample/expected.tsv"
# Multi-hot sums per class equal expected.tsv's (the manifest's counts).
for c in $(seq 0 18); do
  want=$(awk -F'\t' -v c="$c" 'NR > 1 { n += substr($5, c + 1, 1) } END { print n }' "$sample/expected.tsv")
  name=$(awk -v c="$c" 'BEGIN { split("Urban fabric|Industrial or commercial units|Arable land|Permanent crops|Pastures|Complex cultivation patterns|Land principally occupied by agriculture, with significant areas of natural vegetation|Agro-forestry areas|Broad-leaved forest|Coniferous forest|Mixed forest|Natural grassland and sparsely vegetated areas|Moors, heathland and sclerophyllous vegetation|Transitional woodland, shrub|Beaches, dunes, sands|Inland wetlands|Coastal wetlands|Inland waters|Marine waters", n, "|"); print n[c + 1] }')
  grep -q "\"$name\": $want\b" "$tmp/s2/manifest.json" || fail "label count of $name is not $want"
done
pass "S2-only: $i records with the S2 bands (checked against GDAL), labels and patch_name"

# Exclusion with the official seasonal-snow list.
convert 2 "$tmp/ex" -n "$csv" --exclude "$SHARED/patch_lists/patches_with_seasonal_snow.csv"
snow=$(awk -F'\t' '$3 == "patches_with_seasonal_snow" { print $1 }' "$sample/expected.tsv")
[[ -n $snow ]] || fail "no snow patch in expected.tsv"
if grep -qa "$snow" "$tmp/ex"/*.tfrecord; then fail "$snow was not left out"; fi
grep -q '"records": 5,' "$tmp/ex/manifest.json" || fail "expected 5 records"
grep -A12 '"list": "patches_with_seasonal_snow"' "$tmp/ex/manifest.json" |
  grep -q '"example_mm": 1' || fail "the manifest does not say the list removed 1 row"
# The 5 records are the golden ones without the snow patch (the last row).
idx_off=$(awk -v s="$snow" 'NR == FNR { if (index($0, s)) row = FNR; next } FNR == row { print $1 }' \
  <(tr -d '\r' <"$csv") "$SHARED/golden/example_mm.tfrecord.idx")
cat "$tmp/ex"/*.tfrecord | cmp - <(head -c "$idx_off" "$golden") || fail "records after exclusion"
verify "$tmp/ex" || fail "verify rejects the excluded output"
pass "the seasonal-snow list drops exactly $snow"
