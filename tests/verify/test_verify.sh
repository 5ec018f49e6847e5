#!/usr/bin/env bash
# ben-prep verify: a clean output verifies; each kind of damage, made at
# test time on a copy, is reported with its location (shard, record, byte)
# and a non-zero exit.
#
#   test_verify.sh CASE NP
#   CASE: clean deep_sample deep_synth deep_s2 flipped truncated deleted
#         extra count inputs failures index index_listed schema zlib gzip
#         usage many placement placement_excluded placement_failures
#         split_files canonical stats stop boundary valgrind valgrind_rows
#   environment: BEN_PREP, BEN_SYNTH, SHARED, MPIRUN, ZPIPE and MUTATE (the
#                helpers in tests/verify/); VERIFY_BOUNDARY for the boundary
#                case, VALGRIND_SUPP for the valgrind case
set -euo pipefail
case_name=$1 np=$2
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
require_env BEN_PREP BEN_SYNTH SHARED MPIRUN ZPIPE MUTATE
use_mpirun
make_tmp
s1=$sample/BigEarthNet-S1-v1.0
s2=$sample/BigEarthNet-v1.0
shard0=example_mm-00000-of-00003.tfrecord
shard1=example_mm-00001-of-00003.tfrecord
shard2=example_mm-00002-of-00003.tfrecord

fail_what=$case_name # "FAIL: CASE: ...", and the test ends

# Run verify on NP ranks; expect exit status WANT. stdout in $tmp/o,
# stderr in $tmp/e.
#   verify WANT NP ARGS...
verify() {
  local want=$1 ranks=$2 rc=0
  shift 2
  "${mpirun[@]}" -np "$ranks" "$BEN_PREP" verify "$@" >"$tmp/o" 2>"$tmp/e" || rc=$?
  if [[ $rc -ne $want ]]; then
    cat "$tmp/o" "$tmp/e" >&2
    fail "verify $*: exit $rc, expected $want"
  fi
}

# The message must be among the problems (fixed string).
expect() {
  grep -qF -- "$1" "$tmp/e" || { cat "$tmp/o" "$tmp/e" >&2; fail "no message: $1"; }
}

expect_summary() {
  grep -qxF -- "$1" "$tmp/o" || { cat "$tmp/o" "$tmp/e" >&2; fail "summary is not: $1"; }
}

# The real sample (6 pairs) on 2 ranks, 2 records per shard: 3 shards.
convert_sample() {
  "${mpirun[@]}" -np 2 "$BEN_PREP" -r1 "$s1" -r2 "$s2" -o "$1" \
    -n "$SHARED/golden/example_mm.csv" --records-per-shard 2 -q
}

# Byte offset of record K in a TFRecord file, walking the length fields.
record_offset() {
  local file=$1 k=$2 off=0 len
  for ((i = 0; i < k; i++)); do
    len=$(od -An -t u8 -j "$off" -N 8 "$file" | tr -d ' ')
    off=$((off + len + 16))
  done
  echo "$off"
}

# Invert the byte at OFFSET of FILE in place.
flip() {
  local b
  b=$(od -An -t u1 -j "$2" -N 1 "$1" | tr -d ' ')
  printf "\\$(printf %03o $((b ^ 0xff)))" |
    dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# Set KEY to VALUE (JSON text) in the manifest's entry of shard PATH.
set_shard() {
  sed -i "/\"path\": \"$2\"/,/}/ s/\"$3\": [^,}]*/\"$3\": $4/" "$1"
}

# Delete from the manifest M the object, indented by INDENT spaces, that has
# a line containing TEXT (fixed string).
#   drop_object M INDENT TEXT
drop_object() {
  local pad
  pad=$(printf '%*s' "$2" '')
  awk -v pad="$pad" -v text="$3" '
    $0 == pad "{" { buf = $0; inobj = 1; next }
    inobj { buf = buf "\n" $0
            if ($0 == pad "}," || $0 == pad "}") { inobj = 0; if (!index(buf, text)) print buf }
            next }
    { print }' "$1" >"$1.new"
  # The last of its list: no comma after the one before it now.
  sed -z "s/\n$pad},\n\( *\]\)/\n$pad}\n\1/" "$1.new" >"$1"
  rm "$1.new"
}

# Make the manifest of OUT agree with its shards as they are now (one
# split): each shard's bytes and CRC-32C, the split's and the totals' bytes;
# as a converter that wrote wrong records would have written it.
fix_manifest() {
  local m=$1/manifest.json f total=0 old
  old=$(grep -m1 -A2 '"example_mm": {' "$m" | sed -n 's/.*"bytes": \([0-9]*\).*/\1/p')
  for f in "$1"/*.tfrecord; do
    total=$((total + $(stat -c %s "$f")))
  done
  sed -i "s/\"bytes\": $old,/\"bytes\": $total,/" "$m"
  for f in "$1"/*.tfrecord; do
    set_shard "$m" "${f##*/}" bytes "$(stat -c %s "$f")"
    set_shard "$m" "${f##*/}" crc32c "\"$("$ZPIPE" crc32c "$f")\""
  done
}

# Row N (from 1) of a split file as "S2name,S1name".
csv_row() { tr -d '\r' <"$1" | sed -n "${2}p"; }

# The message of a record out of place: SHARD, record K at byte OFFSET,
# found at line FOUND of the split file CSV, expected at line WANT.
#   misplaced SHARD K OFFSET CSV FOUND WANT
misplaced() {
  local found want
  found=$(csv_row "$4" "$5")
  want=$(csv_row "$4" "$6")
  echo "$1: record $2 at byte $3: patch_name_s2 \"${found%%,*}\" and patch_name_s1 \"${found#*,}\", but its row of the split file is \"$want\" ($4 line $6): the record is out of place"
}

# The golden records as one shard in $tmp/out with the golden DALI index
# beside it, and a hand-written manifest listing both (write_manifest
# rewrites it after the files change).
g=golden-00000-of-00001.tfrecord
index_entry() {
  [[ -f $tmp/out/$g.idx ]] || return 0
  echo ", \"index\": {\"path\": \"$g.idx\", \"bytes\": $(stat -c %s "$tmp/out/$g.idx"),"
  echo "    \"crc32c\": \"$("$ZPIPE" crc32c "$tmp/out/$g.idx")\"}"
}
write_manifest() {
  local index=false
  [[ -f $tmp/out/$g.idx ]] && index=true
  cat >"$tmp/out/manifest.json" <<EOF
{
  "options": {"records_per_shard": 976, "index": $index},
  "inputs": {"splits": [{"split": "golden", "rows": 6, "excluded": 0,
                         "path": "$SHARED/golden/example_mm.csv",
                         "bytes": $(stat -c %s "$SHARED/golden/example_mm.csv"),
                         "crc32c": "$("$ZPIPE" crc32c "$SHARED/golden/example_mm.csv")"}],
             "exclude": []},
  "record": {"name": "bigearthnet-mm-19", "compression": "none"},
  "splits": {
    "golden": {"records": 6, "bytes": $size, "shards": [
      {"path": "$g", "records": 6, "bytes": $size,
       "crc32c": "$("$ZPIPE" crc32c "$tmp/out/$g")"$(index_entry)}
    ]}
  },
  "totals": {"records": 6, "shards": 1, "bytes": $size, "failures": 0},
  "failures": []
}
EOF
}
make_index_output() {
  mkdir "$tmp/out"
  cp "$SHARED/golden/example_mm.tfrecord" "$tmp/out/$g"
  cp "$SHARED/golden/example_mm.tfrecord.idx" "$tmp/out/$g.idx"
  size=$(stat -c %s "$tmp/out/$g")
  write_manifest
}

case $case_name in
clean)
  convert_sample "$tmp/out"
  echo "notes" >"$tmp/out/README.txt" # a user's file: not a problem
  verify 0 "$np" "$tmp/out"
  expect_summary "verify: OK: 6 records in 3 shards of 1 split"
  verify 0 "$np" -q "$tmp/out"
  [[ ! -s $tmp/o ]] || fail "-q printed $(cat "$tmp/o")"
  verify 0 "$np" -v "$tmp/out"
  for s in "$shard0" "$shard1" "$shard2"; do
    expect "$s: 2 records"
  done
  ;;

deep_sample)
  convert_sample "$tmp/out"
  verify 0 "$np" "$tmp/out" --deep "$s1" "$s2"
  expect_summary "verify: OK: 6 records in 3 shards of 1 split, every pixel and label equal to the sources"
  # A changed pixel and a changed label in a copy of the sources.
  cp -r "$sample" "$tmp/src"
  p=S2A_MSIL2A_20170613T101031_87_48
  f=$tmp/src/BigEarthNet-v1.0/$p/${p}_B04.tif
  flip "$f" $(($(stat -c %s "$f") - 1000))
  q=S1A_IW_GRDH_1SDV_20170617T064724_29UPU_36_85
  sed -i 's/"labels": \["/"labels": ["Sea and ocean", "/' \
    "$tmp/src/BigEarthNet-S1-v1.0/$q/${q}_labels_metadata.json"
  verify 1 "$np" "$tmp/out" --deep "$tmp/src/BigEarthNet-S1-v1.0" "$tmp/src/BigEarthNet-v1.0"
  expect "$shard0: record 0 at byte 0: B04: 1 of 14400 pixels differ from $f"
  expect "$shard0: record 1 at byte $(record_offset "$tmp/out/$shard0" 1): labels differ from"
  expect "classes {2,4} in the record, {2,4,18} in the file"
  expect_summary "verify: FAILED: 2 problems"
  # The S1 JSON read by verify's own parser: a partner other than the
  # record's S2 patch, a label name that is no 43-class name.
  cp -r "$sample" "$tmp/src2"
  j=$tmp/src2/BigEarthNet-S1-v1.0/$q/${q}_labels_metadata.json
  sed -i 's/"corresponding_s2_patch": "[^"]*"/"corresponding_s2_patch": "S2A_OTHER"/' "$j"
  r=S1A_IW_GRDH_1SDV_20170617T064724_29UPU_4_55
  sed -i 's/"labels": \["/"labels": ["Moon dust", "/' \
    "$tmp/src2/BigEarthNet-S1-v1.0/$r/${r}_labels_metadata.json"
  verify 1 "$np" "$tmp/out" --deep "$tmp/src2/BigEarthNet-S1-v1.0" "$tmp/src2/BigEarthNet-v1.0"
  expect "$shard0: record 1 at byte $(record_offset "$tmp/out/$shard0" 1): cannot read the source $j: corresponding_s2_patch is \"S2A_OTHER\", but the record pairs it with S2A_MSIL2A_20170617T113321_36_85"
  expect "$shard1: record 0 at byte 0: cannot read the source $tmp/src2/BigEarthNet-S1-v1.0/$r/${r}_labels_metadata.json: labels[0] \"Moon dust\" is not a 43-class label name"
  expect_summary "verify: FAILED: 2 problems"
  # VV read with GDAL: one changed value.
  cp -r "$sample" "$tmp/src3"
  f=$tmp/src3/BigEarthNet-S1-v1.0/$r/${r}_VV.tif
  flip "$f" $(($(stat -c %s "$f") - 2000))
  verify 1 "$np" "$tmp/out" --deep "$tmp/src3/BigEarthNet-S1-v1.0" "$tmp/src3/BigEarthNet-v1.0"
  expect "$shard1: record 0 at byte 0: VV: 1 of 14400 values differ from $f"
  expect_summary "verify: FAILED: 1 problem"
  # A missing source patch is named.
  rm -r "$tmp/src/BigEarthNet-v1.0/$p"
  verify 1 "$np" "$tmp/out" --deep "$tmp/src/BigEarthNet-S1-v1.0" "$tmp/src/BigEarthNet-v1.0"
  expect "$shard0: record 0 at byte 0: cannot read the source $tmp/src/BigEarthNet-v1.0/$p"
  # --deep S2_ROOT alone is for S2-only output: MM records need S1_ROOT.
  verify 2 "$np" "$tmp/out" --deep "$s2"
  expect "--deep $s2: $tmp/out holds bigearthnet-mm-19 records, which need the S1 patches too"
  ;;

deep_s2)
  # S2-only records: --deep S2_ROOT, before or after OUT, or with an S1
  # folder that is not used.
  tr -d '\r' <"$SHARED/golden/example_mm.csv" | cut -d, -f1 | sed 's/$/\r/' >"$tmp/s2.csv"
  "${mpirun[@]}" -np 2 "$BEN_PREP" -r2 "$s2" -o "$tmp/out" -n "$tmp/s2.csv" \
    --records-per-shard 4 -q
  grep -q '"name": "bigearthnet-s2-19"' "$tmp/out/manifest.json" || fail "not S2-only output"
  ok="verify: OK: 6 records in 2 shards of 1 split, every pixel and label equal to the sources"
  verify 0 "$np" "$tmp/out" --deep "$s2"
  expect_summary "$ok"
  verify 0 "$np" --deep "$s2" "$tmp/out"
  expect_summary "$ok"
  verify 0 "$np" "$tmp/out" --deep none "$s2"
  expect_summary "$ok"
  # Labels from the S2 JSON, a pixel from GDAL.
  cp -r "$sample" "$tmp/src"
  p=S2A_MSIL2A_20170617T113321_36_85
  sed -i 's/"labels": \["/"labels": ["Sea and ocean", "/' \
    "$tmp/src/BigEarthNet-v1.0/$p/${p}_labels_metadata.json"
  p2=S2B_MSIL2A_20170924T93020_69_24
  f=$tmp/src/BigEarthNet-v1.0/$p2/${p2}_B08.tif
  flip "$f" $(($(stat -c %s "$f") - 1000))
  verify 1 "$np" "$tmp/out" --deep "$tmp/src/BigEarthNet-v1.0"
  s2s=s2-00000-of-00002.tfrecord s2t=s2-00001-of-00002.tfrecord
  expect "$s2s: record 1 at byte $(record_offset "$tmp/out/$s2s" 1): labels differ from $tmp/src/BigEarthNet-v1.0/$p/${p}_labels_metadata.json"
  expect "$s2t: record 0 at byte 0: B08: 1 of 14400 pixels differ from $f"
  expect_summary "verify: FAILED: 2 problems"
  ;;

deep_synth)
  "$BEN_SYNTH" -o "$tmp/archive" -n 150 --seed 11 -q
  a=$tmp/archive
  "${mpirun[@]}" -np 3 "$BEN_PREP" -r1 "$a/BigEarthNet-S1-v1.0" \
    -r2 "$a/BigEarthNet-v1.0" -o "$tmp/out" \
    -n "$a/splits/train.csv" "$a/splits/val.csv" "$a/splits/test.csv" \
    --records-per-shard 16 -q
  shards=$(ls "$tmp/out"/*.tfrecord | wc -l)
  verify 0 "$np" "$tmp/out" --deep "$a/BigEarthNet-S1-v1.0" "$a/BigEarthNet-v1.0"
  expect_summary "verify: OK: 150 records in $shards shards of 3 splits, every pixel and label equal to the sources"
  ;;

flipped)
  convert_sample "$tmp/out"
  o1=$(record_offset "$tmp/out/$shard1" 1)
  o0=$(record_offset "$tmp/out/$shard0" 1)
  flip "$tmp/out/$shard1" $((o1 + 12 + 5000)) # record 1's data
  flip "$tmp/out/$shard2" 40000               # record 0's data
  flip "$tmp/out/$shard0" "$o0"               # record 1's length
  verify 1 "$np" "$tmp/out"
  expect "$shard0: record 1 at byte $o0: length CRC mismatch"
  expect "$shard1: record 1 at byte $o1: data CRC mismatch"
  expect "$shard2: record 0 at byte 0: data CRC mismatch"
  expect "$shard1: CRC-32C "
  expect_summary "verify: FAILED: 6 problems"
  # Printed in manifest order, whichever rank found them.
  grep -o 'example_mm-0000[0-2]' "$tmp/e" | uniq | tr '\n' ' ' >"$tmp/order"
  [[ $(cat "$tmp/order") == "example_mm-00000 example_mm-00001 example_mm-00002 " ]] ||
    fail "problems not in manifest order: $(cat "$tmp/order")"
  ;;

truncated)
  convert_sample "$tmp/out"
  o1=$(record_offset "$tmp/out/$shard2" 1)
  o1b=$(record_offset "$tmp/out/$shard1" 1)
  truncate -s $((o1 + 5000)) "$tmp/out/$shard2"
  truncate -s $((o1b + 6)) "$tmp/out/$shard1"
  verify 1 "$np" "$tmp/out"
  expect "$shard2: record 1 at byte $o1: the file ends inside the record's data: 4988 of"
  expect "$shard2: $((o1 + 5000)) bytes, the manifest says"
  expect "$shard1: record 1 at byte $o1b: the file ends inside the record's 12-byte header (6 bytes of it)"
  ;;

deleted)
  convert_sample "$tmp/out"
  rm "$tmp/out/$shard1"
  verify 1 "$np" "$tmp/out"
  expect "$shard1: missing: the manifest lists it with 2 records"
  expect_summary "verify: FAILED: 1 problem"
  ;;

extra)
  convert_sample "$tmp/out"
  cp "$tmp/out/$shard0" "$tmp/out/extra.tfrecord"
  touch "$tmp/out/.manifest.json.tmp" "$tmp/out/README" "$tmp/out/notes.tfrecord.bak"
  verify 1 "$np" "$tmp/out"
  expect "extra.tfrecord: a shard file, not listed in the manifest"
  expect ".manifest.json.tmp: a temporary file, not listed in the manifest"
  ! grep -q README "$tmp/e" || fail "README reported as a problem"
  # A user's file that no reader takes for a shard (--force keeps it too).
  ! grep -q notes.tfrecord.bak "$tmp/e" || fail "notes.tfrecord.bak reported as a problem"
  expect_summary "verify: FAILED: 2 problems"
  ;;

count)
  convert_sample "$tmp/out"
  set_shard "$tmp/out/manifest.json" "$shard1" records 3
  verify 1 "$np" "$tmp/out"
  expect "$shard1: 2 records, the manifest says 3"
  expect "split example_mm: 6 records, but its shards hold 7"
  # The split's own count off by one.
  convert_sample "$tmp/out2"
  sed -i '0,/"records": 6,/ s//"records": 5,/' "$tmp/out2/manifest.json"
  grep -q '"records": 5,' "$tmp/out2/manifest.json" || fail "manifest edit failed"
  verify 1 "$np" "$tmp/out2"
  expect "split example_mm: 5 records, but its shards hold 6"
  ;;

inputs)
  # A whole shard dropped, the manifest edited to match: the shard's entry
  # gone, the split's and the totals' counts lowered.
  convert_sample "$tmp/out"
  m=$tmp/out/manifest.json
  b1=$(stat -c %s "$tmp/out/$shard1")
  b=$(grep -m1 -A2 '"example_mm": {' "$m" | sed -n 's/.*"bytes": \([0-9]*\).*/\1/p')
  drop_object "$m" 8 "\"path\": \"$shard1\""
  rm "$tmp/out/$shard1"
  sed -i "s/\"records\": 6,/\"records\": 4,/; s/\"shards\": 3,/\"shards\": 2,/; s/\"bytes\": $b,/\"bytes\": $((b - b1)),/" "$m"
  grep -q "$shard1" "$m" && fail "manifest edit failed"
  cp -r "$tmp/out" "$tmp/out2"
  verify 1 "$np" "$tmp/out"
  expect "split example_mm: its shards hold 4 records, but its split file gave 6 rows to convert (0 more excluded) and 0 of them failed: 6 records expected"
  expect "split example_mm: shard $shard1 (rows 3 to 4) is not in the manifest, and the split's listed failures (0) do not account for its rows"
  expect_summary "verify: FAILED: 2 problems"
  # The input rows lowered too: the numbering still shows the hole.
  sed -i 's/"rows": 6,/"rows": 4,/' "$tmp/out2/manifest.json"
  verify 1 "$np" "$tmp/out2"
  expect "split example_mm: shard $shard0 is one of 3, but 4 rows at 2 a shard make 2 shards"
  expect "split example_mm: shard $shard1 (rows 3 to 4) is not in the manifest"
  # The last shard dropped the same way.
  convert_sample "$tmp/out3"
  m=$tmp/out3/manifest.json
  b2=$(stat -c %s "$tmp/out3/$shard2")
  drop_object "$m" 8 "\"path\": \"$shard2\""
  rm "$tmp/out3/$shard2"
  sed -i "s/\"records\": 6,/\"records\": 4,/; s/\"shards\": 3,/\"shards\": 2,/; s/\"bytes\": $b,/\"bytes\": $((b - b2)),/" "$m"
  verify 1 "$np" "$tmp/out3"
  expect "split example_mm: its shards hold 4 records, but its split file gave 6 rows"
  expect "split example_mm: shard $shard2 (rows 5 to 6) is not in the manifest"
  expect_summary "verify: FAILED: 2 problems"
  # Rows the exclusion lists removed are not the split's to convert: the
  # seasonal-snow patch leaves 5 rows.
  "${mpirun[@]}" -np 2 "$BEN_PREP" -r1 "$s1" -r2 "$s2" -o "$tmp/ex" \
    -n "$SHARED/golden/example_mm.csv" --records-per-shard 2 -q \
    --exclude "$SHARED/patch_lists/patches_with_seasonal_snow.csv"
  verify 0 "$np" "$tmp/ex"
  expect_summary "verify: OK: 5 records in 3 shards of 1 split"
  sed -i 's/"excluded": 1,/"excluded": 0,/' "$tmp/ex/manifest.json"
  verify 1 "$np" "$tmp/ex"
  expect "split example_mm: inputs.splits says 0 rows were excluded, but the exclusion lists (inputs.exclude) removed 1"
  # No inputs at all: the counts cannot be checked.
  sed -i 's/"inputs": {/"inputs_": {/' "$tmp/ex/manifest.json"
  verify 1 "$np" "$tmp/ex"
  expect "manifest.json: no \"inputs.splits\" list"
  ;;

failures)
  # Both rows of the middle shard fail (--max-failures): the converter
  # writes no shard for them, a hole in the numbering the failures explain.
  cp -r "$sample" "$tmp/src"
  for p in S2A_MSIL2A_20170617T113321_4_55 S2A_MSIL2A_20171221T112501_56_35; do
    rm "$tmp/src/BigEarthNet-v1.0/$p/${p}_B01.tif"
  done
  rc=0
  "${mpirun[@]}" -np 2 "$BEN_PREP" -r1 "$tmp/src/BigEarthNet-S1-v1.0" \
    -r2 "$tmp/src/BigEarthNet-v1.0" -o "$tmp/out" -n "$SHARED/golden/example_mm.csv" \
    --records-per-shard 2 -q --max-failures 2 2>/dev/null || rc=$?
  [[ $rc -eq 3 ]] || fail "conversion with 2 failures: exit $rc, expected 3"
  [[ ! -e $tmp/out/$shard1 ]] || fail "the converter wrote $shard1 although both its rows failed"
  verify 0 "$np" "$tmp/out" --deep "$tmp/src/BigEarthNet-S1-v1.0" "$tmp/src/BigEarthNet-v1.0"
  expect_summary "verify: OK: 4 records in 2 shards of 1 split, every pixel and label equal to the sources"
  # A failure taken out of the list (and out of totals.failures).
  cp -r "$tmp/out" "$tmp/out2"
  drop_object "$tmp/out2/manifest.json" 4 '"line": 3,'
  sed -i 's/"failures": 2/"failures": 1/' "$tmp/out2/manifest.json"
  grep -q '"line": 3,' "$tmp/out2/manifest.json" && fail "manifest edit failed"
  verify 1 "$np" "$tmp/out2"
  expect "split example_mm: its shards hold 4 records, but its split file gave 6 rows to convert (0 more excluded) and 1 of them failed: 5 records expected"
  expect "split example_mm: shard $shard1 (rows 3 to 4) is not in the manifest, and the split's listed failures (1) do not account for its rows"
  expect_summary "verify: FAILED: 2 problems"
  # totals.failures must count the list.
  sed -i 's/"failures": 2/"failures": 3/' "$tmp/out/manifest.json"
  verify 1 "$np" "$tmp/out"
  expect "totals: 3 failures, but failures lists 2"
  ;;

index_listed)
  # A run with --index: every shard entry must list its index file.
  "${mpirun[@]}" -np 2 "$BEN_PREP" -r1 "$s1" -r2 "$s2" -o "$tmp/out" \
    -n "$SHARED/golden/example_mm.csv" --records-per-shard 2 --index -q
  verify 0 "$np" "$tmp/out"
  m=$tmp/out/manifest.json
  cp -r "$tmp/out" "$tmp/out2"
  # The index entry of shard 1 taken out of the manifest (file kept).
  sed -i "/\"path\": \"$shard1\"/,/^        }/ { /\"first_row\"/ s/,\$//; /\"index\": {/,/^          }/d }" "$m"
  grep -q "\"path\": \"$shard1.idx\"" "$m" && fail "manifest edit failed"
  verify 1 "$np" "$tmp/out"
  expect "manifest.json: splits.example_mm.shards[1] ($shard1): no \"index\" entry, but options.index says the run wrote an index file beside every shard"
  expect "$shard1.idx: an index file, not listed in the manifest"
  expect_summary "verify: FAILED: 2 problems"
  # And with the file gone too.
  rm "$tmp/out/$shard1.idx"
  verify 1 "$np" "$tmp/out"
  expect "no \"index\" entry, but options.index says"
  expect_summary "verify: FAILED: 1 problem"
  # options.index false, but index files listed.
  sed -i 's/"index": true/"index": false/' "$tmp/out2/manifest.json"
  verify 1 "$np" "$tmp/out2"
  expect "manifest.json: splits.example_mm.shards[0] ($shard0) lists an index file, but options.index says the run wrote none"
  ;;

index)
  make_index_output
  # The index agrees with offsets walked here, independently.
  : >"$tmp/walked"
  off=0
  while ((off < size)); do
    len=$(od -An -t u8 -j "$off" -N 8 "$tmp/out/$g" | tr -d ' ')
    echo "$off $((len + 16))" >>"$tmp/walked"
    off=$((off + len + 16))
  done
  cmp "$tmp/walked" "$tmp/out/$g.idx" || fail "golden index differs from the walked offsets"
  verify 0 "$np" "$tmp/out"
  expect_summary "verify: OK: 6 records in 1 shard of 1 split"
  # A wrong size on line 3, with the manifest made to match the index.
  sed -i '3s/^550772 275699$/550772 275700/' "$tmp/out/$g.idx"
  write_manifest
  verify 1 "$np" "$tmp/out"
  expect "$g: index $g.idx line 3: \"550772 275700\", but record 2 is at byte 550772 with 275699 bytes"
  expect_summary "verify: FAILED: 1 problem"
  # The index changed behind the manifest's back.
  cp "$SHARED/golden/example_mm.tfrecord.idx" "$tmp/out/$g.idx"
  verify 1 "$np" "$tmp/out"
  expect "$g: index $g.idx: CRC-32C"
  # A line short, a line too many, no index at all.
  head -n 5 "$SHARED/golden/example_mm.tfrecord.idx" >"$tmp/out/$g.idx"
  write_manifest
  verify 1 "$np" "$tmp/out"
  expect "$g: index $g.idx has 5 lines, but the shard has more records: record 5 at byte 1361671 is not listed"
  { cat "$SHARED/golden/example_mm.tfrecord.idx"; echo "1637279 10"; } >"$tmp/out/$g.idx"
  write_manifest
  verify 1 "$np" "$tmp/out"
  expect "$g: index $g.idx has 1 more line than the shard has records (6)"
  rm "$tmp/out/$g.idx"
  verify 1 "$np" "$tmp/out"
  expect "$g: index $g.idx: cannot open: missing"
  ;;

schema)
  # Well-framed records that break the schema, one kind per record.
  make_index_output
  rm "$tmp/out/$g.idx"
  f=$tmp/out/$g
  "$MUTATE" "$f" "$tmp/m" 0 drop-value B04 && mv "$tmp/m" "$f"
  "$MUTATE" "$f" "$tmp/m" 1 swap B02 B03 && mv "$tmp/m" "$f"
  "$MUTATE" "$f" "$tmp/m" 2 rename VV XX && mv "$tmp/m" "$f"
  "$MUTATE" "$f" "$tmp/m" 3 retype VH 3 && mv "$tmp/m" "$f"
  "$MUTATE" "$f" "$tmp/m" 4 multi-hot 18 1 && mv "$tmp/m" "$f"
  "$MUTATE" "$f" "$tmp/m" 5 multi-hot 0 2 && mv "$tmp/m" "$f"
  size=$(stat -c %s "$f")
  write_manifest
  verify 1 "$np" "$tmp/out"
  expect "$g: record 0 at byte 0: B04 has 14399 values, expected 14400"
  expect "$g: record 1 at byte $(record_offset "$f" 1): key B02 comes after B03: the keys are not in sorted order"
  o=$(record_offset "$f" 2)
  expect "$g: record 2 at byte $o: unexpected key \"XX\" (not in bigearthnet-mm-19 records)"
  expect "$g: record 2 at byte $o: missing key VV"
  expect "$g: record 3 at byte $(record_offset "$f" 3): VH is an int64_list, expected a float_list"
  expect "$g: record 4 at byte $(record_offset "$f" 4): BigEarthNet-19_labels name classes {"
  expect "but the multi-hot sets {"
  expect "$g: record 5 at byte $(record_offset "$f" 5): BigEarthNet-19_labels_multi_hot value 2 at class 0 is not 0 or 1"
  expect_summary "verify: FAILED: 7 problems"
  # The same records with the manifest's schema name unknown: framing only.
  sed -i 's/bigearthnet-mm-19/bigearthnet-xx-19/' "$tmp/out/manifest.json"
  verify 1 "$np" "$tmp/out"
  expect "manifest.json: record.name \"bigearthnet-xx-19\" is not a record this verifier knows"
  expect_summary "verify: FAILED: 1 problem"
  ;;

zlib | gzip)
  convert_sample "$tmp/orig"
  cp -r "$tmp/orig" "$tmp/out"
  m=$tmp/out/manifest.json
  total=0
  # The converter's names: ".zlib" or ".gz" after ".tfrecord".
  ext=$([[ $case_name == zlib ]] && echo zlib || echo gz)
  for s in "$shard0" "$shard1" "$shard2"; do
    rm "$tmp/out/$s"
    "$ZPIPE" "$case_name" <"$tmp/orig/$s" >"$tmp/out/$s.$ext"
    sed -i "s/\"path\": \"$s\"/\"path\": \"$s.$ext\"/" "$m"
    bytes=$(stat -c %s "$tmp/out/$s.$ext")
    set_shard "$m" "$s.$ext" bytes "$bytes"
    set_shard "$m" "$s.$ext" crc32c "\"$("$ZPIPE" crc32c "$tmp/out/$s.$ext")\""
    total=$((total + bytes))
  done
  if [[ $case_name == gzip ]]; then
    gzip -dc <"$tmp/out/$shard1.gz" | cmp - "$tmp/orig/$shard1"
  fi
  old=0
  for s in "$shard0" "$shard1" "$shard2"; do
    old=$((old + $(stat -c %s "$tmp/orig/$s")))
  done
  sed -i "s/\"compression\": \"none\"/\"compression\": \"$case_name\"/; s/\"bytes\": $old\\b/\"bytes\": $total/" "$m"
  verify 0 "$np" "$tmp/out"
  expect_summary "verify: OK: 6 records in 3 shards of 1 split"
  # A flipped byte in the middle of a compressed shard; another truncated.
  flip "$tmp/out/$shard1.$ext" $(($(stat -c %s "$tmp/out/$shard1.$ext") / 2))
  truncate -s $(($(stat -c %s "$tmp/out/$shard2.$ext") / 2)) "$tmp/out/$shard2.$ext"
  verify 1 "$np" "$tmp/out"
  expect "$shard1.$ext: CRC-32C "
  grep -qE "$shard1.$ext: .*decompressed" "$tmp/e" ||
    { cat "$tmp/e" >&2; fail "the flipped byte is not located in the decompressed stream"; }
  expect "$shard2.$ext: the $case_name stream ends early"
  # Compressed shards under uncompressed names are not the converter's.
  cp -r "$tmp/orig" "$tmp/out2"
  sed -i "s/\"compression\": \"none\"/\"compression\": \"$case_name\"/" "$tmp/out2/manifest.json"
  verify 1 "$np" "$tmp/out2"
  expect "split example_mm: shard $shard0 is not named like the split's shards ($shard0.$ext and on)"
  ;;

usage)
  verify 2 "$np"
  expect "missing OUT"
  verify 2 "$np" "$tmp" --bogus
  expect "'--bogus'"
  verify 2 "$np" "$tmp" --deep
  expect "--deep needs S1_ROOT S2_ROOT, or S2_ROOT alone for S2-only output"
  verify 2 "$np" "$tmp" --deep -q
  expect "--deep needs S1_ROOT S2_ROOT, or S2_ROOT alone"
  verify 2 "$np" "$tmp" "$tmp"
  expect "unexpected argument"
  mkdir "$tmp/empty"
  verify 1 "$np" "$tmp/empty"
  expect "$tmp/empty/manifest.json: cannot read it: No such file or directory"
  verify 1 "$np" "$tmp/nowhere"
  expect "$tmp/nowhere: No such file or directory"
  echo '{"splits": ' >"$tmp/empty/manifest.json"
  verify 1 "$np" "$tmp/empty"
  expect "$tmp/empty/manifest.json: not a JSON object"
  verify 0 "$np" --help
  [[ $(grep -c "^Usage: .*ben-prep verify OUT" "$tmp/o") -eq 1 ]] || fail "verify --help: $(cat "$tmp/o")"
  grep -q "Exit status" "$tmp/o" || fail "verify --help does not document exit statuses"
  grep -q "^  --deep S2_ROOT  " "$tmp/o" || fail "verify --help does not document --deep S2_ROOT"
  "${mpirun[@]}" -np "$np" "$BEN_PREP" --help >"$tmp/o"
  grep -q "ben-prep verify OUT" "$tmp/o" || fail "ben-prep --help does not mention verify"
  # --help and usage errors answer before MPI starts: also where MPI cannot
  # start (Open MPI with no such messaging layer).
  OMPI_MCA_pml=none-such "$BEN_PREP" verify --help >"$tmp/o" 2>"$tmp/e" ||
    fail "verify --help needs MPI: $(cat "$tmp/e")"
  grep -q "^Usage: .*ben-prep verify OUT" "$tmp/o" || fail "verify --help without MPI: $(cat "$tmp/o")"
  rc=0
  OMPI_MCA_pml=none-such "$BEN_PREP" verify "$tmp" --bogus >"$tmp/o" 2>"$tmp/e" || rc=$?
  [[ $rc -eq 2 ]] || fail "verify --bogus without MPI: exit $rc, expected 2"
  expect "ben-prep verify: unknown option '--bogus'"
  ;;

many)
  convert_sample "$tmp/out"
  for i in $(seq -w 1 60); do touch "$tmp/out/stray-$i.tfrecord"; done
  flip "$tmp/out/$shard2" 40000
  verify 1 "$np" "$tmp/out"
  [[ $(grep -c ": error: " "$tmp/e") -eq 51 ]] || { cat "$tmp/e" >&2; fail "expected 50 problems and a count"; }
  expect "... and 12 more problems not shown"
  expect_summary "verify: FAILED: 62 problems"
  # The shard problems come first, then the stray files in name order.
  [[ $(grep ": error: " "$tmp/e" | sed -n 3p) == *": error: stray-01.tfrecord: "* ]] ||
    { cat "$tmp/e" >&2; fail "problems not in order"; }
  ;;

placement)
  # A converter bug, made consistent: two records of shard 0 swapped, a
  # record of shard 1 copied over the other one, every size and CRC-32C in
  # the manifest made to match. Each record must be its split file's row.
  csv=$SHARED/golden/example_mm.csv
  convert_sample "$tmp/out"
  "$MUTATE" "$tmp/out/$shard0" "$tmp/m" 0 swap-records 1 && mv "$tmp/m" "$tmp/out/$shard0"
  "$MUTATE" "$tmp/out/$shard1" "$tmp/m" 1 copy-record 0 && mv "$tmp/m" "$tmp/out/$shard1"
  fix_manifest "$tmp/out"
  o0=$(record_offset "$tmp/out/$shard0" 1)
  o1=$(record_offset "$tmp/out/$shard1" 1)
  for deep in "" "--deep $s1 $s2"; do
    # shellcheck disable=SC2086 # deep: no or two folders
    verify 1 "$np" "$tmp/out" $deep
    expect "$(misplaced "$shard0" 0 0 "$csv" 2 1)"
    expect "$(misplaced "$shard0" 1 "$o0" "$csv" 1 2)"
    expect "$(misplaced "$shard1" 1 "$o1" "$csv" 3 4)"
    expect_summary "verify: FAILED: 3 problems"
  done
  # A shard holding a record of another shard's rows, renamed to match.
  convert_sample "$tmp/out2"
  "$MUTATE" "$tmp/out2/$shard2" "$tmp/m" 0 copy-record 1 && mv "$tmp/m" "$tmp/out2/$shard2"
  cp "$tmp/out2/$shard2" "$tmp/out2/$shard1"
  fix_manifest "$tmp/out2"
  verify 1 "$np" "$tmp/out2"
  expect "$(misplaced "$shard1" 0 0 "$csv" 6 3)"
  expect "$(misplaced "$shard1" 1 "$(record_offset "$tmp/out2/$shard1" 1)" "$csv" 6 4)"
  expect "$(misplaced "$shard2" 0 0 "$csv" 6 5)"
  ;;

placement_excluded)
  # Row 2 left out by an exclusion list: the rows shift, shard 0 holds rows
  # 1 and 3, shard 1 rows 4 and 5, shard 2 row 6.
  csv=$SHARED/golden/example_mm.csv
  printf '%s\r\n' "$(csv_row "$csv" 2 | cut -d, -f1)" >"$tmp/leave-out.csv"
  "${mpirun[@]}" -np 2 "$BEN_PREP" -r1 "$s1" -r2 "$s2" -o "$tmp/out" \
    -n "$csv" --records-per-shard 2 -q --exclude "$tmp/leave-out.csv"
  verify 0 "$np" "$tmp/out" --deep "$s1" "$s2"
  expect_summary "verify: OK: 5 records in 3 shards of 1 split, every pixel and label equal to the sources"
  "$MUTATE" "$tmp/out/$shard1" "$tmp/m" 0 swap-records 1 && mv "$tmp/m" "$tmp/out/$shard1"
  fix_manifest "$tmp/out"
  for deep in "" "--deep $s1 $s2"; do
    # shellcheck disable=SC2086 # deep: no or two folders
    verify 1 "$np" "$tmp/out" $deep
    expect "$(misplaced "$shard1" 0 0 "$csv" 5 4)"
    expect "$(misplaced "$shard1" 1 "$(record_offset "$tmp/out/$shard1" 1)" "$csv" 4 5)"
    expect_summary "verify: FAILED: 2 problems"
  done
  # The exclusion list changed after the run: not the list the run read.
  printf 'S2A_OTHER\r\n' >>"$tmp/leave-out.csv"
  verify 1 "$np" "$tmp/out"
  expect "inputs.exclude[0]: its exclusion list $tmp/leave-out.csv has"
  expect "not the file the run read; the records' names are not checked"
  ;;

placement_failures)
  # Row 2 fails (--max-failures): shard 0 holds rows 1 and 3; then row 3's
  # record copied over row 1's.
  csv=$SHARED/golden/example_mm.csv
  cp -r "$sample" "$tmp/src"
  p=$(csv_row "$csv" 2 | cut -d, -f1)
  rm "$tmp/src/BigEarthNet-v1.0/$p/${p}_B01.tif"
  rc=0
  "${mpirun[@]}" -np 2 "$BEN_PREP" -r1 "$tmp/src/BigEarthNet-S1-v1.0" \
    -r2 "$tmp/src/BigEarthNet-v1.0" -o "$tmp/out" -n "$csv" \
    --records-per-shard 3 -q --max-failures 1 2>/dev/null || rc=$?
  [[ $rc -eq 3 ]] || fail "conversion with a failure: exit $rc, expected 3"
  deep=(--deep "$tmp/src/BigEarthNet-S1-v1.0" "$tmp/src/BigEarthNet-v1.0")
  sh0=example_mm-00000-of-00002.tfrecord
  verify 0 "$np" "$tmp/out" "${deep[@]}"
  expect_summary "verify: OK: 5 records in 2 shards of 1 split, every pixel and label equal to the sources"
  "$MUTATE" "$tmp/out/$sh0" "$tmp/m" 0 copy-record 1 && mv "$tmp/m" "$tmp/out/$sh0"
  fix_manifest "$tmp/out"
  verify 1 "$np" "$tmp/out"
  expect "$(misplaced "$sh0" 0 0 "$csv" 3 1)"
  expect_summary "verify: FAILED: 1 problem"
  verify 1 "$np" "$tmp/out" "${deep[@]}"
  expect "$(misplaced "$sh0" 0 0 "$csv" 3 1)"
  expect_summary "verify: FAILED: 1 problem"
  # A failure entry that names another patch than its line's.
  cp -r "$tmp/out" "$tmp/out2"
  sed -i "s/\"s2\": \"$p\"/\"s2\": \"S2A_OTHER\"/" "$tmp/out2/manifest.json"
  verify 1 "$np" "$tmp/out2"
  expect "failures[0]: $csv line 2 is \"$(csv_row "$csv" 2)\", but the failure names \"S2A_OTHER,"
  ;;

split_files)
  # The split file is read where the manifest says the run read it; it must
  # be the same file.
  cp "$SHARED/golden/example_mm.csv" "$tmp/example_mm.csv"
  (cd "$tmp" && "${mpirun[@]}" -np 2 "$BEN_PREP" -r1 "$s1" -r2 "$s2" -o out \
    -n example_mm.csv --records-per-shard 2 -q)
  (cd "$tmp" && verify 0 "$np" out)
  expect_summary "verify: OK: 6 records in 3 shards of 1 split"
  # A relative path from another folder.
  verify 1 "$np" "$tmp/out"
  expect "split example_mm: cannot read its split file example_mm.csv: No such file or directory (a relative path is taken from the current folder); the records' names are not checked"
  expect_summary "verify: FAILED: 1 problem"
  # Changed since the run.
  printf 'S2A_X,S1A_X\r\n' >>"$tmp/example_mm.csv"
  (cd "$tmp" && verify 1 "$np" out)
  expect "split example_mm: its split file example_mm.csv has $(stat -c %s "$tmp/example_mm.csv") bytes and CRC-32C"
  expect "not the file the run read; the records' names are not checked"
  ;;

canonical)
  # Records the converter must write in protobuf's deterministic encoding.
  make_index_output
  rm "$tmp/out/$g.idx"
  f=$tmp/out/$g
  "$MUTATE" "$f" "$tmp/m" 1 overlong B02 && mv "$tmp/m" "$f"
  "$MUTATE" "$f" "$tmp/m" 4 overlong BigEarthNet-19_labels_multi_hot && mv "$tmp/m" "$f"
  size=$(stat -c %s "$f")
  write_manifest
  verify 1 "$np" "$tmp/out"
  expect "$g: record 1 at byte $(record_offset "$f" 1): not protobuf's deterministic encoding: a varint longer than it needs at byte"
  expect "$g: record 4 at byte $(record_offset "$f" 4): not protobuf's deterministic encoding: a varint longer than it needs at byte"
  expect_summary "verify: FAILED: 2 problems"
  ;;

stats)
  # Each split's statistics against its records.
  convert_sample "$tmp/out"
  cp -r "$tmp/out" "$tmp/out2"
  sed -i '0,/"mean": /s/"mean": \([-0-9.e]*\)/"mean": 1\1/' "$tmp/out/manifest.json"
  verify 1 "$np" "$tmp/out"
  expect "split example_mm: statistics.bands.B01.mean is 1"
  expect_summary "verify: FAILED: 1 problem"
  sed -i 's/"Pastures": \([0-9]*\)/"Pastures": 9\1/' "$tmp/out2/manifest.json"
  sed -i '0,/"max": /s/"max": \([0-9.e]*\)/"max": 1\1/' "$tmp/out2/manifest.json"
  verify 1 "$np" "$tmp/out2"
  expect "split example_mm: statistics.labels \"Pastures\" is 9"
  expect "split example_mm: statistics.bands.B01.max is 1"
  expect_summary "verify: FAILED: 2 problems"
  ;;

stop)
  # SIGTERM, SIGINT or SIGUSR1 end a verify within seconds with status 4,
  # also while a rank waits on a peer that never comes. A source band that
  # is a FIFO without a writer holds the rank that reads it in open(2).
  convert_sample "$tmp/out"
  cp -r "$sample" "$tmp/src"
  p=$(csv_row "$SHARED/golden/example_mm.csv" 3 | cut -d, -f1)
  rm "$tmp/src/BigEarthNet-v1.0/$p/${p}_B01.tif"
  mkfifo "$tmp/src/BigEarthNet-v1.0/$p/${p}_B01.tif"
  deep=(--deep "$tmp/src/BigEarthNet-S1-v1.0" "$tmp/src/BigEarthNet-v1.0")
  export "$(tag_env)" # the ranks found again by tagged_ranks
  # Start verify on RANKS in the background, wait until the rank reading
  # the FIFO is in open(2); then SIGNAL goes to the ranks TARGET picks
  # (all, 0), SIGSTOP to rank 1 first with STOP1; exit status 4 within
  # LIMIT seconds.   stop_run RANKS SIGNAL TARGET STOP1 LIMIT
  stop_run() {
    local n=$1 sig=$2 target=$3 stop1=$4 limit=$5 bg rc=0 t0 i pids
    "${mpirun[@]}" -np "$n" "$BEN_PREP" verify "$tmp/out" "${deep[@]}" >"$tmp/o" 2>"$tmp/e" &
    bg=$!
    for ((i = 0; i < 300; i++)); do
      # shellcheck disable=SC2119 # every rank
      grep -qsE "fifo|partner" <(for q in $(tagged_ranks); do cat "/proc/$q/wchan"; echo; done) && break
      sleep 0.1
    done
    ((i < 300)) || fail "no rank waits on the FIFO"
    sleep 1 # the other ranks reach their wait
    [[ $stop1 == yes ]] && kill -STOP "$(tagged_ranks 1)"
    # shellcheck disable=SC2119 # every rank
    if [[ $target == all ]]; then pids=$(tagged_ranks); else pids=$(tagged_ranks 0); fi
    t0=$(now)
    # shellcheck disable=SC2086 # the PIDs
    kill -"$sig" $pids
    while kill -0 "$bg" 2>/dev/null; do
      if (($(ms_since "$t0") > limit * 1000)); then
        # shellcheck disable=SC2046,SC2119 # the PIDs of every rank
        kill -KILL $(tagged_ranks) "$bg" 2>/dev/null || true
        fail "$n rank(s), SIG$sig to $target: still running after ${limit}s"
      fi
      sleep 0.1
    done
    wait "$bg" || rc=$?
    [[ $rc -eq 4 ]] || { cat "$tmp/o" "$tmp/e" >&2; fail "$n rank(s), SIG$sig to $target: exit $rc, expected 4"; }
    echo "SIG$sig to $target of $n rank(s): exit 4 after $(ms_since "$t0") ms"
  }
  if [[ $np -eq 1 ]]; then
    stop_run 1 USR1 all no 10
    expect_summary "verify: INTERRUPTED: not every shard was checked (1 problem found)"
    stop_run 1 INT all no 10
  else
    stop_run "$np" TERM all no 10
    expect_summary "verify: INTERRUPTED: not every shard was checked (1 problem found)"
    expect "interrupted by a signal: "
    # Rank 1 lost (stopped): rank 0 gives up on it after a few seconds.
    stop_run "$np" TERM 0 yes 15
    expect "verify: interrupted by a signal, and another rank did not come within 3 s: giving up on it"
  fi
  ;;

boundary)
  # The verifier linked without the converter is the same verifier.
  : "${VERIFY_BOUNDARY:?}"
  convert_sample "$tmp/out"
  rc=0
  "${mpirun[@]}" -np "$np" "$VERIFY_BOUNDARY" verify "$tmp/out" --deep "$s1" "$s2" >"$tmp/o" 2>"$tmp/e" || rc=$?
  [[ $rc -eq 0 ]] || { cat "$tmp/o" "$tmp/e" >&2; fail "verify-boundary: exit $rc"; }
  expect_summary "verify: OK: 6 records in 3 shards of 1 split, every pixel and label equal to the sources"
  ;;

valgrind)
  # shellcheck source-path=SCRIPTDIR source=../valgrind/memcheck.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../valgrind/memcheck.sh" # sets vg
  convert_sample "$tmp/out"
  rc=0
  "${mpirun[@]}" -np "$np" "${vg[@]}" "$BEN_PREP" verify "$tmp/out" \
    --deep "$s1" "$s2" >"$tmp/o" 2>"$tmp/e" || rc=$?
  [[ $rc -eq 0 ]] || { cat "$tmp/e" >&2; fail "clean output under memcheck: exit $rc"; }
  # The problem paths: damage, a gzip shard, an index, stray files.
  cp "$SHARED/golden/example_mm.tfrecord" "$tmp/out/extra.tfrecord"
  flip "$tmp/out/$shard1" 40000
  "$ZPIPE" gzip <"$tmp/out/$shard2" >"$tmp/z" && mv "$tmp/z" "$tmp/out/$shard2"
  sed -i 's/"compression": "none"/"compression": "gzip"/' "$tmp/out/manifest.json"
  rc=0
  "${mpirun[@]}" -np "$np" "${vg[@]}" "$BEN_PREP" verify "$tmp/out" \
    --deep "$s1" "$s2" >"$tmp/o" 2>"$tmp/e" || rc=$?
  [[ $rc -eq 1 ]] || { cat "$tmp/e" >&2; fail "damaged output under memcheck: exit $rc, expected 1"; }
  # An index file with a wrong line.
  rm -r "$tmp/out"
  make_index_output
  sed -i '3s/^550772 275699$/550772 275700/' "$tmp/out/$g.idx"
  rc=0
  "${mpirun[@]}" -np "$np" "${vg[@]}" "$BEN_PREP" verify "$tmp/out" \
    >"$tmp/o" 2>"$tmp/e" || rc=$?
  [[ $rc -eq 1 ]] || { cat "$tmp/e" >&2; fail "bad index under memcheck: exit $rc, expected 1"; }
  expect "$g: index $g.idx line 3"
  ;;

valgrind_rows)
  # shellcheck source-path=SCRIPTDIR source=../valgrind/memcheck.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../valgrind/memcheck.sh" # sets vg
  # Records out of place after an exclusion list; then the list gone.
  csv=$SHARED/golden/example_mm.csv
  printf '%s\r\n' "$(csv_row "$csv" 2 | cut -d, -f1)" >"$tmp/leave-out.csv"
  "${mpirun[@]}" -np 2 "$BEN_PREP" -r1 "$s1" -r2 "$s2" -o "$tmp/out" \
    -n "$csv" --records-per-shard 2 -q --exclude "$tmp/leave-out.csv"
  "$MUTATE" "$tmp/out/$shard1" "$tmp/m" 0 swap-records 1 && mv "$tmp/m" "$tmp/out/$shard1"
  fix_manifest "$tmp/out"
  rc=0
  "${mpirun[@]}" -np "$np" "${vg[@]}" "$BEN_PREP" verify "$tmp/out" \
    >"$tmp/o" 2>"$tmp/e" || rc=$?
  [[ $rc -eq 1 ]] || { cat "$tmp/e" >&2; fail "records out of place under memcheck: exit $rc, expected 1"; }
  expect "$(misplaced "$shard1" 0 0 "$csv" 5 4)"
  rm "$tmp/leave-out.csv"
  rc=0
  "${mpirun[@]}" -np "$np" "${vg[@]}" "$BEN_PREP" verify "$tmp/out" \
    >"$tmp/o" 2>"$tmp/e" || rc=$?
  [[ $rc -eq 1 ]] || { cat "$tmp/e" >&2; fail "no exclusion list under memcheck: exit $rc, expected 1"; }
  expect "inputs.exclude[0]: cannot read its exclusion list $tmp/leave-out.csv: No such file or directory; the records' names are not checked"
  ;;

*)
  fail "unknown case"
  ;;
esac
echo "PASS: verify $case_name on $np rank(s)"
