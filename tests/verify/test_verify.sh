#!/usr/bin/env bash
# ben-prep verify: a clean output verifies; each kind of damage, made at
# test time on a copy, is reported with its location (shard, record, byte)
# and a non-zero exit.
#
#   test_verify.sh CASE NP
#   CASE: clean deep_sample deep_synth flipped truncated deleted extra count
#         index schema zlib gzip usage many valgrind
#   environment: BEN_PREP, BEN_SYNTH, SHARED, MPIRUN, ZPIPE and MUTATE (the
#                helpers in tests/verify/); VALGRIND_SUPP for the valgrind case
set -euo pipefail
case_name=$1 np=$2
: "${BEN_PREP:?}" "${BEN_SYNTH:?}" "${SHARED:?}" "${MPIRUN:?}" "${ZPIPE:?}" "${MUTATE:?}"
read -r -a mpirun <<<"$MPIRUN"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sample=$SHARED/bigearthnet-v1-sample
s1=$sample/BigEarthNet-S1-v1.0
s2=$sample/BigEarthNet-v1.0
shard0=example_mm-00000-of-00003.tfrecord
shard1=example_mm-00001-of-00003.tfrecord
shard2=example_mm-00002-of-00003.tfrecord

fail() { echo "FAIL: $case_name: $*" >&2; exit 1; }

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
  cat >"$tmp/out/manifest.json" <<EOF
{
  "record": {"name": "bigearthnet-mm-19", "compression": "none"},
  "splits": {
    "golden": {"records": 6, "bytes": $size, "shards": [
      {"path": "$g", "records": 6, "bytes": $size,
       "crc32c": "$("$ZPIPE" crc32c "$tmp/out/$g")"$(index_entry)}
    ]}
  },
  "totals": {"records": 6, "shards": 1, "bytes": $size}
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
  # A missing source patch is named.
  rm -r "$tmp/src/BigEarthNet-v1.0/$p"
  verify 1 "$np" "$tmp/out" --deep "$tmp/src/BigEarthNet-S1-v1.0" "$tmp/src/BigEarthNet-v1.0"
  expect "$shard0: record 0 at byte 0: cannot read the source $tmp/src/BigEarthNet-v1.0/$p"
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
  touch "$tmp/out/.manifest.json.tmp" "$tmp/out/README"
  verify 1 "$np" "$tmp/out"
  expect "extra.tfrecord: a shard file, not listed in the manifest"
  expect ".manifest.json.tmp: a temporary file, not listed in the manifest"
  ! grep -q README "$tmp/e" || fail "README reported as a problem"
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
  for s in "$shard0" "$shard1" "$shard2"; do
    "$ZPIPE" "$case_name" <"$tmp/orig/$s" >"$tmp/out/$s"
    bytes=$(stat -c %s "$tmp/out/$s")
    set_shard "$m" "$s" bytes "$bytes"
    set_shard "$m" "$s" crc32c "\"$("$ZPIPE" crc32c "$tmp/out/$s")\""
    total=$((total + bytes))
  done
  if [[ $case_name == gzip ]]; then
    gzip -dc <"$tmp/out/$shard1" | cmp - "$tmp/orig/$shard1"
  fi
  old=0
  for s in "$shard0" "$shard1" "$shard2"; do
    old=$((old + $(stat -c %s "$tmp/orig/$s")))
  done
  sed -i "s/\"compression\": \"none\"/\"compression\": \"$case_name\"/; s/\"bytes\": $old\\b/\"bytes\": $total/" "$m"
  verify 0 "$np" "$tmp/out"
  expect_summary "verify: OK: 6 records in 3 shards of 1 split"
  # A flipped byte in the middle of a compressed shard; another truncated.
  flip "$tmp/out/$shard1" $(($(stat -c %s "$tmp/out/$shard1") / 2))
  truncate -s $(($(stat -c %s "$tmp/out/$shard2") / 2)) "$tmp/out/$shard2"
  verify 1 "$np" "$tmp/out"
  expect "$shard1: CRC-32C "
  grep -qE "$shard1: .*decompressed" "$tmp/e" ||
    { cat "$tmp/e" >&2; fail "the flipped byte is not located in the decompressed stream"; }
  expect "$shard2: the $case_name stream ends early"
  ;;

usage)
  verify 2 "$np"
  expect "missing OUT"
  verify 2 "$np" "$tmp" --bogus
  expect "'--bogus'"
  verify 2 "$np" "$tmp" --deep only-one
  expect "--deep needs two folders"
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
  "${mpirun[@]}" -np "$np" "$BEN_PREP" --help >"$tmp/o"
  grep -q "ben-prep verify OUT" "$tmp/o" || fail "ben-prep --help does not mention verify"
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

valgrind)
  : "${VALGRIND_SUPP:?}"
  command -v valgrind >/dev/null || { echo "SKIP: valgrind not installed"; exit 77; }
  supp=(--suppressions="$VALGRIND_SUPP")
  [[ -f /usr/share/openmpi/openmpi-valgrind.supp ]] &&
    supp+=(--suppressions=/usr/share/openmpi/openmpi-valgrind.supp)
  vg=(valgrind -q --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite --show-leak-kinds=definite
    --track-origins=yes --num-callers=50 "${supp[@]}")
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

*)
  fail "unknown case"
  ;;
esac
echo "PASS: verify $case_name on $np rank(s)"
