#!/usr/bin/env bash
# Bad input, each case built at test time from a copy of the real sample:
#
#   test_bad_input.sh csv             malformed split files (exit 1, before any
#                                     patch is read), BOM and blank lines (exit 0)
#   test_bad_input.sh patch NP        every kind of bad patch on NP ranks: exit 1,
#                                     one error line "<csv> line N: <file>: <reason>",
#                                     no manifest, no temporary file, every shard
#                                     left under a final name complete
#   test_bad_input.sh max-failures NP --max-failures: exit 3, the skipped patches
#                                     in the manifest, the other records golden;
#                                     more bad patches than allowed: exit 1
#   test_bad_input.sh nonfinite NP    NaN and infinite S1 pixels: kept in the
#                                     records, counted apart in the statistics,
#                                     a strict JSON manifest, through --resume
#   test_bad_input.sh decoders NP     band files of ambiguous meaning: the same
#                                     records from --decoder auto and gdal
#
# Environment: BEN_PREP, SHARED, MPIRUN, FAILIO_PRELOAD (the failio
# shim, for max-failures and nonfinite), TIFF_VARIANT (tests/tools/
# tiff_variant.py, for decoders). Every case runs even when an
# earlier one failed; the script fails at the end if any did.
set -euo pipefail
mode=${1:?usage: test_bad_input.sh csv|patch NP|max-failures NP|nonfinite NP|decoders NP}
np=${2:-2}
: "${BEN_PREP:?}" "${SHARED:?}" "${MPIRUN:?}"
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
use_mpirun
make_tmp
csv=$golden_csv
rps=2 # rows per shard: shard k holds rows 2k+1 and 2k+2 of the 6

# The sample's rows: s2[N] and s1[N] are the names on CSV line N.
s2=("") s1=("")
while IFS=, read -r a b; do
  s2+=("$a") s1+=("${b%$'\r'}")
done <"$csv"
[[ ${#s2[@]} -eq 7 ]] || { echo "FAIL: expected 6 rows in $csv" >&2; exit 1; }

fail_mode=count fail_log=$tmp/err fail_tail=

# ---- the sample copy ------------------------------------------------------
# S1 and S2 roots whose patch folders are real folders of symlinks to the
# read-only sample, so files can be removed or replaced per case.
fresh_copy() { link_sample "$tmp"; }
s2file() { echo "$tmp/S2/${s2[$1]}/${s2[$1]}_$2"; } # line, suffix
s1file() { echo "$tmp/S1/${s1[$1]}/${s1[$1]}_$2"; }
# The original (read-only) file behind a symlink of the copy.
orig() { readlink "$1"; }
# Replace a file of the copy with a real file: the output of a command
# reading the original on stdin (replace FILE CMD ARGS...).
replace() {
  local f=$1 src
  shift
  src=$(orig "$f")
  rm "$f"
  "$@" <"$src" >"$f.new"
  mv "$f.new" "$f"
}
# gdal_translate the original of a band file into a real file in its place.
translate() { # file, gdal_translate options...
  local f=$1 src
  shift
  src=$(orig "$f")
  rm "$f"
  gdal_translate -q -of GTiff "$@" "$src" "$f"
  rm -f "$f.aux.xml"
}

# ---- running and checking ---------------------------------------------------
rc=0
convert() { # output folder, csv files and options...
  local out=$1
  shift
  rc=0
  # A run that blocks (on a FIFO, say) is stopped after a minute: status 124.
  timeout -k 10 60 "${mpirun[@]}" -np "$np" "$BEN_PREP" -r1 "$tmp/S1" -r2 "$tmp/S2" -o "$out" \
    --records-per-shard "$rps" -n "$@" >"$tmp/out.txt" 2>"$tmp/err" || rc=$?
  sanitizer_check "ben-prep -n $*"
}
# Every shard under a final name holds exactly the golden records of its
# rows, leaving out the rows given as bad; no temporary file is left.
check_shards() { # what, output folder, bad rows...
  local what=$1 out=$2 ok=1 f k rows r
  shift 2
  if [[ -d $out ]] && find "$out" -name '*.tmp' | grep -q .; then
    fail "$what: temporary files left: $(find "$out" -name '*.tmp' | tr '\n' ' ')"
    ok=0
  fi
  for f in "$out"/*.tfrecord; do
    [[ -e $f ]] || continue
    k=${f##*/example_mm-}
    k=$((10#${k%%-of-*}))
    rows=()
    for r in $((rps * k + 1)) $((rps * k + 2)); do
      [[ $r -le 6 && " $* " != *" $r "* ]] && rows+=("$r")
    done
    if [[ ${#rows[@]} -eq 0 ]] ||
      ! cmp -s "$f" <(golden_rows "${rows[@]}"); then
      fail "$what: ${f##*/} is not the complete shard of rows ${rows[*]:-none}"
      ok=0
    fi
  done
  return $((1 - ok))
}

# No manifest, and check_shards.
check_no_partial() { # what, output folder, bad rows...
  local ok=1
  [[ ! -e $2/manifest.json ]] || { fail "$1: a manifest was written"; ok=0; }
  check_shards "$@" || ok=0
  return $((1 - ok))
}

# A bad patch on CSV line LINE: exit 1, exactly one error line naming the CSV
# line, the file and the reason, nothing half-done in the output.
expect_bad_patch() { # what, line, file, reason (grep -E pattern)
  local what="$1 (line $2, $np ranks)" line=$2 file=$3 reason=$4
  rm -rf "$tmp/out" "$tmp/err"
  convert "$tmp/out" "$csv"
  local ok=1 lines
  [[ $rc -eq 1 ]] || { fail "$what: exit status $rc, expected 1"; ok=0; }
  lines=$(grep -F -- "$csv line $line: $file: " "$tmp/err" || true)
  if [[ -z $lines ]]; then
    fail "$what: no message '$csv line $line: $file: <reason>'"
    ok=0
  elif [[ $(wc -l <<<"$lines") -ne 1 ]]; then
    fail "$what: the message is printed $(wc -l <<<"$lines") times"
    ok=0
  elif ! grep -qE -- "$reason" <<<"$lines"; then
    fail "$what: the message does not say /$reason/: $lines"
    ok=0
  fi
  # Only the bad patch is reported as bad: no other file named with a line.
  if grep 'error:' "$tmp/err" | grep -v -F -- "$csv line $line: $file: " |
    grep -q ' line [0-9]*:'; then
    fail "$what: other error lines name CSV lines"
    ok=0
  fi
  local shard
  printf -v shard '%s/example_mm-%05d-of-%05d.tfrecord' "$tmp/out" $(((line - 1) / rps)) 3
  [[ ! -e $shard ]] || { fail "$what: the shard of the bad row exists: ${shard##*/}"; ok=0; }
  check_no_partial "$what" "$tmp/out" "$line" || ok=0
  [[ $ok -eq 0 ]] || pass "$what: $(sed 's/.*: //' <<<"$lines")"
}

# ---- bad patches --------------------------------------------------------------
patch_cases() {
  local f

  fresh_copy
  rm -r "$tmp/S2/${s2[5]}"
  expect_bad_patch "missing S2 patch folder" 5 "$tmp/S2/${s2[5]}" 'patch folder not found'

  fresh_copy
  rm -r "$tmp/S1/${s1[3]}"
  expect_bad_patch "missing S1 patch folder" 3 "$tmp/S1/${s1[3]}" 'patch folder not found'

  fresh_copy
  f=$(s2file 2 B8A.tif)
  rm "$f"
  expect_bad_patch "missing S2 band file" 2 "$f" 'file not found'

  fresh_copy
  f=$(s1file 6 VH.tif)
  rm "$f"
  expect_bad_patch "missing S1 band file" 6 "$f" 'file not found'

  fresh_copy
  f=$(s1file 4 labels_metadata.json)
  rm "$f"
  expect_bad_patch "missing S1 JSON" 4 "$f" 'file not found'

  fresh_copy
  f=$(s2file 1 B02.tif)
  rm "$f"
  mkdir "$f"
  expect_bad_patch "unreadable band file (a folder)" 1 "$f" 'not a regular file but a folder'

  # Only regular files are read: a FIFO, a socket or a device, in the patch
  # folder or behind a symlink, is refused at once (a FIFO blocked a rank
  # until the job's time limit).
  local special=$tmp/special
  rm -rf "$special"
  mkdir -p "$special"
  mkfifo "$special/fifo"
  python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$special/socket"
  fresh_copy
  f=$(s2file 4 B03.tif)
  rm "$f"
  mkfifo "$f"
  expect_bad_patch "band file is a FIFO" 4 "$f" 'not a regular file but a FIFO'
  fresh_copy
  f=$(s1file 2 labels_metadata.json)
  ln -sf "$special/fifo" "$f"
  expect_bad_patch "S1 JSON is a symlink to a FIFO" 2 "$f" 'not a regular file but a FIFO'
  fresh_copy
  f=$(s1file 5 VH.tif)
  ln -sf "$special/socket" "$f"
  expect_bad_patch "band file is a symlink to a socket" 5 "$f" 'not a regular file but a socket'
  fresh_copy
  f=$(s2file 3 B8A.tif)
  ln -sf /dev/zero "$f"
  expect_bad_patch "band file is a symlink to /dev/zero" 3 "$f" 'not a regular file but a character device'

  fresh_copy
  f=$(s2file 6 B09.tif)
  replace "$f" printf 'This is not a GeoTIFF but a text file.\n'
  expect_bad_patch "band file not a TIFF" 6 "$f" 'not a TIFF'

  fresh_copy
  f=$(s2file 3 B04.tif)
  replace "$f" head -c 15000
  expect_bad_patch "truncated TIFF (half the pixels)" 3 "$f" 'cannot decode|GeoTIFF|TIFF'

  fresh_copy
  f=$(s1file 5 VV.tif)
  replace "$f" head -c 100
  expect_bad_patch "truncated TIFF (header only)" 5 "$f" 'cannot open|GeoTIFF|TIFF'

  fresh_copy
  f=$(s2file 2 B03.tif)
  translate "$f" -outsize 2 2
  expect_bad_patch "wrong band size (2x2)" 2 "$f" '2x2.*120x120'

  fresh_copy
  f=$(s2file 4 B05.tif)
  translate "$f" -outsize 120 120
  expect_bad_patch "wrong band size (20 m band at 10 m)" 4 "$f" '120x120.*60x60'

  fresh_copy
  f=$(s1file 4 VV.tif)
  translate "$f" -ot UInt16
  expect_bad_patch "S1 band stored as UInt16" 4 "$f" 'UInt16.*Float32'

  fresh_copy
  f=$(s2file 5 B12.tif)
  translate "$f" -ot Float32
  expect_bad_patch "S2 band stored as Float32" 5 "$f" 'Float32.*UInt16'

  fresh_copy
  f=$(s2file 1 B8A.tif)
  translate "$f" -b 1 -b 1
  expect_bad_patch "band file with two bands" 1 "$f" '2 bands'

  fresh_copy
  f=$(s1file 6 labels_metadata.json)
  replace "$f" head -c 200
  expect_bad_patch "invalid JSON (truncated)" 6 "$f" 'invalid JSON'

  fresh_copy
  f=$(s1file 1 labels_metadata.json)
  replace "$f" sed '$ s/}$/}}/'
  expect_bad_patch "invalid JSON (text after the object)" 1 "$f" 'invalid JSON'

  fresh_copy
  f=$(s1file 3 labels_metadata.json)
  replace "$f" sed 's/^{"labels": /{"labelz": /'
  expect_bad_patch "JSON without labels" 3 "$f" 'labels'

  fresh_copy
  f=$(s1file 2 labels_metadata.json)
  replace "$f" sed 's/"Pastures"/"Pasturez"/'
  grep -q Pasturez "$f" || fail "test setup: no 'Pastures' label in line 2's JSON"
  expect_bad_patch "unknown label name" 2 "$f" 'unknown label.*Pasturez'

  fresh_copy
  f=$(s1file 4 labels_metadata.json)
  replace "$f" sed "s/\"corresponding_s2_patch\": \"${s2[4]}\"/\"corresponding_s2_patch\": \"${s2[1]}\"/"
  grep -q "\"corresponding_s2_patch\": \"${s2[1]}\"" "$f" ||
    fail "test setup: corresponding_s2_patch not replaced"
  expect_bad_patch "S1 JSON of another S2 patch" 4 "$f" "corresponding_s2_patch.*${s2[1]}"

  # Every key the converter reads, holding each JSON type where another
  # belongs: a message naming the file, the key and the type, on every rank
  # (no crash: a null here was a segmentation fault).
  local key value kind
  for spec in "corresponding_s2_patch|null|null" "corresponding_s2_patch|17|a number" \
    "corresponding_s2_patch|[]|an array" "corresponding_s2_patch|{}|an object" \
    "corresponding_s2_patch|true|a boolean" "labels|null|null" "labels|{}|an object" \
    "labels|\"Pastures\"|a string"; do
    IFS='|' read -r key value kind <<<"$spec"
    fresh_copy
    f=$(s1file 5 labels_metadata.json)
    replace "$f" json_set "$key" "$value"
    expect_bad_patch "S1 JSON with $key: $value" 5 "$f" "$key\"? is $kind"
  done
  fresh_copy
  f=$(s1file 2 labels_metadata.json)
  replace "$f" sed 's/^{"labels": \[/{"labels": [null, /'
  expect_bad_patch "S1 JSON with a null label" 2 "$f" 'label 1 is null'

  # A NUL inside a string makes it another string, shown escaped.
  fresh_copy
  f=$(s1file 3 labels_metadata.json)
  replace "$f" json_set corresponding_s2_patch "\"${s2[3]}\\u0000\""
  expect_bad_patch "corresponding_s2_patch with a NUL after the name" 3 "$f" \
    "corresponding_s2_patch is \"${s2[3]}\\\\u0000\""
  fresh_copy
  f=$(s1file 6 labels_metadata.json)
  replace "$f" sed 's/^{"labels": \[/{"labels": ["Pastures\\u0000 and more", /'
  expect_bad_patch "label name with a NUL" 6 "$f" 'unknown label name "Pastures\\u0000 and more"'
}

# Set KEY of the JSON object on stdin to the JSON text VALUE (added when it
# is missing), keeping the rest of the file's bytes.
json_set() { # key, value
  local text
  text=$(cat)
  if grep -q "\"$1\": " <<<"$text"; then
    # The archive's values of these keys hold no quote or bracket.
    sed -E "s/\"$1\": (\"[^\"]*\"|\[[^]]*\])/\"$1\": $(sed 's/[\/&]/\\&/g' <<<"$2")/" <<<"$text"
  else
    printf '%s' "${text%\}}, \"$1\": $2}"
  fi
}

# ---- bad split files ----------------------------------------------------------
# The six sample rows (CRLF) as lines of a new split file, with changes.
rows_crlf() { sed -n "$1p" "$csv"; }

expect_bad_csv() { # what, csv path, line, reason pattern, [all csv files]
  local what=$1 file=$2 line=$3 reason=$4 lines ok=1
  shift 4
  [[ $# -gt 0 ]] || set -- "$file"
  rm -rf "$tmp/out" "$tmp/err"
  convert "$tmp/out" "$@"
  [[ $rc -eq 1 ]] || { fail "$what: exit status $rc, expected 1"; ok=0; }
  lines=$(grep -F -- "$file line $line: " "$tmp/err" || true)
  if [[ -z $lines ]]; then
    fail "$what: no message '$file line $line: <reason>'"
    ok=0
  elif ! grep -qE -- "$reason" <<<"$lines"; then
    fail "$what: the message does not say /$reason/: $lines"
    ok=0
  fi
  # Checked before any patch is read: nothing converted, nothing written.
  if grep -qE '\.tif|labels_metadata|patch folder' "$tmp/err"; then
    fail "$what: patches were read"
    ok=0
  fi
  if [[ -d $tmp/out ]] && [[ -n $(ls -A "$tmp/out") ]]; then
    fail "$what: the output folder holds $(ls -A "$tmp/out" | tr '\n' ' ')"
    ok=0
  fi
  [[ $ok -eq 0 ]] || pass "$what: $(head -n 1 <<<"$lines" | sed 's/^ben-prep\[[0-9]*\]: error: //')"
}

# A split file or exclusion list refused as a whole: exit 1 at once (not
# blocked), a message naming it and the reason, nothing written.
expect_refused_file() { # what, file, reason pattern, ben-prep -n arguments...
  local what=$1 file=$2 reason=$3 ok=1
  shift 3
  rm -rf "$tmp/out" "$tmp/err"
  convert "$tmp/out" "$@"
  [[ $rc -eq 1 ]] || { fail "$what: exit status $rc, expected 1"; ok=0; }
  grep 'error:' "$tmp/err" | grep -F -- "$file: " | grep -qE -- "$reason" ||
    { fail "$what: no message '$file: ...' saying /$reason/"; ok=0; }
  if [[ -d $tmp/out ]] && [[ -n $(ls -A "$tmp/out") ]]; then
    fail "$what: the output folder holds $(ls -A "$tmp/out" | tr '\n' ' ')"
    ok=0
  fi
  [[ $ok -eq 0 ]] || pass "$what: $(grep 'error:' "$tmp/err" | grep -F -- "$file: " | head -n 1 | sed 's/^ben-prep\[[0-9]*\]: error: //')"
}

# A split file that converts fine: exit 0, a warning, golden output.
expect_good_csv() { # what, csv path, warning pattern
  local what=$1 file=$2 warning=$3 ok=1
  rm -rf "$tmp/out" "$tmp/err"
  convert "$tmp/out" "$file"
  [[ $rc -eq 0 ]] || { fail "$what: exit status $rc, expected 0"; ok=0; }
  grep -E 'warning' "$tmp/err" | grep -qE -- "$warning" ||
    { fail "$what: no warning /$warning/"; ok=0; }
  check_records "$tmp/out" "$golden" ||
    { fail "$what: output differs from the golden records: $(head -n 5 "$tmp/check")"; ok=0; }
  [[ $ok -eq 0 ]] || pass "$what"
}

csv_cases() {
  fresh_copy
  local d=$tmp/csv c long
  mkdir -p "$d"

  c=$d/example_mm.csv
  { rows_crlf 1,2; printf '%s,%s,extra\r\n' "${s2[3]}" "${s1[3]}"; rows_crlf 4,6; } >"$c"
  expect_bad_csv "three columns" "$c" 3 'column'

  { rows_crlf 1,4; printf '%s\r\n' "${s2[5]}"; rows_crlf 6; } >"$c"
  expect_bad_csv "one column" "$c" 5 'column'

  # The first row is the bad one: it alone is named, not every row after it.
  { printf '%s\r\n' "${s2[1]}"; rows_crlf 2,6; } >"$c"
  expect_bad_csv "one column in the first row" "$c" 1 'column.*expected 2'
  if grep -qE "line [2-6]: " "$tmp/err" || ! grep -q "1 malformed line" "$tmp/err"; then
    fail "one column in the first row: other rows were blamed: $(grep error "$tmp/err")"
  fi

  { rows_crlf 1; printf ',%s\r\n' "${s1[2]}"; rows_crlf 3,6; } >"$c"
  expect_bad_csv "empty S2 name" "$c" 2 'empty'

  { rows_crlf 1,5; printf '%s,\r\n' "${s2[6]}"; } >"$c"
  expect_bad_csv "empty S1 name" "$c" 6 'empty'

  { rows_crlf 1,3; printf '../BigEarthNet-S1-v1.0/%s,%s\r\n' "${s1[4]}" "${s1[4]}"; rows_crlf 5,6; } >"$c"
  expect_bad_csv "S2 name with ../" "$c" 4 "'/'|'\\.\\.'"

  { rows_crlf 1,3; printf '%s,sub/%s\r\n' "${s2[4]}" "${s1[4]}"; rows_crlf 5,6; } >"$c"
  expect_bad_csv "S1 name with /" "$c" 4 "'/'"

  { rows_crlf 1,2; printf '..,%s\r\n' "${s1[3]}"; rows_crlf 4,6; } >"$c"
  expect_bad_csv "S2 name '..'" "$c" 3 "'\\.\\.'"

  { rows_crlf 1; printf '%s,%s..x\r\n' "${s2[2]}" "${s1[2]}"; rows_crlf 3,6; } >"$c"
  expect_bad_csv "S1 name containing '..'" "$c" 2 "'\\.\\.'"

  { rows_crlf 1,4; printf '%s\t,%s\r\n' "${s2[5]}" "${s1[5]}"; rows_crlf 6; } >"$c"
  expect_bad_csv "control character (tab) in a name" "$c" 5 'control'

  { printf '%s,%s\x1b[2J\r\n' "${s2[1]}" "${s1[1]}"; rows_crlf 2,6; } >"$c"
  expect_bad_csv "control character (escape) in a name" "$c" 1 'control'

  # Names go into the manifest, which strict JSON parsers read as UTF-8.
  { rows_crlf 1,2; printf '%s\xe9,%s\r\n' "${s2[3]}" "${s1[3]}"; rows_crlf 4,6; } >"$c"
  expect_bad_csv "a name that is not UTF-8" "$c" 3 'not valid UTF-8'

  long=$(printf 'S2A_%0252d' 0) # 256 bytes
  { rows_crlf 1,5; printf '%s,%s\r\n' "$long" "${s1[6]}"; } >"$c"
  expect_bad_csv "S2 name of 256 bytes" "$c" 6 '255'

  { rows_crlf 1,6; rows_crlf 2; } >"$c"
  expect_bad_csv "row repeated within a split" "$c" 7 'repeat'
  [[ $(grep -c "line 7: " "$tmp/err") -eq 1 ]] ||
    fail "row repeated within a split: not one message: $(grep "line 7: " "$tmp/err")"

  { rows_crlf 1,6; printf 'S2X_OTHER_NAME,%s\r\n' "${s1[3]}"; } >"$c"
  expect_bad_csv "S1 name repeated with another S2 name" "$c" 7 'S1.*repeat'

  { rows_crlf 1,3; } >"$d/train.csv"
  { rows_crlf 4,6; rows_crlf 2; } >"$d/val.csv"
  expect_bad_csv "row repeated across splits" "$d/val.csv" 4 "repeat.*train\\.csv line 2" "$d/train.csv" "$d/val.csv"

  { rows_crlf 1,6; } | tr -d '\n' >"$c"
  expect_bad_csv "CR-only line endings" "$c" 1 'line endings are CR only'
  { rows_crlf 1,6; } | tr -d '\r' | cut -d, -f1 | tr '\n' '\r' >"$c"
  expect_bad_csv "CR-only line endings, one column" "$c" 1 'line endings are CR only'

  # Split files and exclusion lists: only regular files (also behind a
  # symlink), never blocking on a FIFO; at most 128 MiB, checked before a
  # byte is read (a sparse file of 3 GB cost 3 GB of memory).
  mkfifo "$d/fifo.csv"
  ln -s "$d/fifo.csv" "$d/link.csv"
  python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$d/socket.csv"
  truncate -s 3G "$d/sparse.csv"
  { rows_crlf 1,6; } >"$c"
  expect_refused_file "split file is a FIFO" "$d/fifo.csv" 'not a regular file but a FIFO' "$d/fifo.csv"
  expect_refused_file "split file is a symlink to a FIFO" "$d/link.csv" 'not a regular file but a FIFO' "$d/link.csv"
  expect_refused_file "split file is a socket" "$d/socket.csv" 'not a regular file but a socket' "$d/socket.csv"
  expect_refused_file "split file is /dev/zero" /dev/zero 'not a regular file but a character device' /dev/zero
  expect_refused_file "exclusion list is a FIFO" "$d/fifo.csv" 'not a regular file but a FIFO' "$c" --exclude "$d/fifo.csv"
  expect_refused_file "exclusion list is a symlink to a FIFO" "$d/link.csv" 'not a regular file but a FIFO' "$c" --exclude "$d/link.csv"
  expect_refused_file "split file of 3 GB (sparse)" "$d/sparse.csv" '3221225472 bytes, more than the 128 MiB' "$d/sparse.csv"
  expect_refused_file "exclusion list of 3 GB (sparse)" "$d/sparse.csv" '3221225472 bytes, more than the 128 MiB' "$c" --exclude "$d/sparse.csv"
  rm -f "$d/fifo.csv" "$d/link.csv" "$d/socket.csv" "$d/sparse.csv"

  # After a BOM and blank lines, the line numbers are still the file's.
  { printf '\xef\xbb\xbf'; rows_crlf 1; printf '\r\n\n'; rows_crlf 2; printf '%s;%s\r\n' "${s2[3]}" "${s1[3]}"; rows_crlf 4,6; } >"$c"
  expect_bad_csv "bad row after a BOM and blank lines" "$c" 5 'column'

  { printf '\xef\xbb\xbf'; rows_crlf 1,6; } >"$c"
  expect_good_csv "UTF-8 byte order mark" "$c" 'line 1: .*byte order mark'

  { rows_crlf 1,2; printf '\r\n'; rows_crlf 3; printf '\n\n'; rows_crlf 4,6; printf '\r\n'; } >"$c"
  expect_good_csv "blank lines (CRLF and LF)" "$c" 'line 3: .*blank line'
  for l in 5 6 10; do
    grep 'warning' "$tmp/err" | grep -q "line $l: .*blank line" ||
      fail "blank lines: no warning for line $l"
  done
}

# ---- --max-failures --------------------------------------------------------------
max_failures_cases() {
  fresh_copy
  # Four bad rows; rows 1 and 6 are good. Rows 3 and 4 make a whole shard.
  local f2 f3 f4 f5 ok=1 m
  f2=$(s2file 2 B05.tif)
  rm "$f2"
  f3=$tmp/S2/${s2[3]}
  rm -r "$f3"
  f4=$(s1file 4 labels_metadata.json)
  replace "$f4" sed 's/"Complex cultivation patterns"/"Complex cultivation patternz"/'
  f5=$(s2file 5 B11.tif)
  translate "$f5" -outsize 2 2

  local what="--max-failures 4 with 4 bad patches ($np ranks)"
  rm -rf "$tmp/out" "$tmp/err"
  convert "$tmp/out" "$csv" --max-failures 4
  [[ $rc -eq 3 ]] || { fail "$what: exit status $rc, expected 3"; ok=0; }
  local line file reason
  for spec in "2|$f2|file not found" "3|$f3|patch folder not found" \
    "4|$f4|unknown label" "5|$f5|2x2"; do
    IFS='|' read -r line file reason <<<"$spec"
    grep -F -- "$csv line $line: $file: " "$tmp/err" | grep -F -- "$reason" |
      grep -qF '(skipped)' ||
      { fail "$what: no warning '$csv line $line: $file: $reason ... (skipped)'"; ok=0; }
  done
  m=$tmp/out/manifest.json
  if [[ ! -f $m ]]; then
    fail "$what: no manifest"
    ok=0
  else
    # The failures list: one object per bad row, in row order.
    local got
    got=$(sed -n '/^  "failures": \[/,/^  \]/p' "$m" | grep -E '"(line|file)":' |
      sed 's/^ *//; s/,$//' | tr '\n' ' ')
    local want=""
    for spec in "2|$f2" "3|$f3" "4|$f4" "5|$f5"; do
      IFS='|' read -r line file <<<"$spec"
      want+="\"line\": $line \"file\": \"$file\" "
    done
    [[ $got == "$want" ]] || { fail "$what: manifest failures: got [$got], want [$want]"; ok=0; }
    for spec in "2|${s2[2]}|${s1[2]}|file not found" "3|${s2[3]}|${s1[3]}|patch folder not found" \
      "4|${s2[4]}|${s1[4]}|unknown label name" "5|${s2[5]}|${s1[5]}|2x2"; do
      IFS='|' read -r line a b reason <<<"$spec"
      sed -n '/^  "failures": \[/,/^  \]/p' "$m" | grep -A7 '^    {' |
        tr -d '\n' | grep -qE "\"split\": \"example_mm\", *\"csv\": \"$csv\", *\"line\": $line, *\"s2\": \"$a\", *\"s1\": \"$b\", *\"file\": \"[^\"]*\", *\"reason\": \"[^\"]*$reason" ||
        { fail "$what: manifest failure entry of line $line incomplete"; ok=0; }
    done
    grep -A6 '"totals"' "$m" | grep -q '"failures": 4' ||
      { fail "$what: totals.failures is not 4"; ok=0; }
    grep -A6 '"totals"' "$m" | grep -q '"records": 2' ||
      { fail "$what: totals.records is not 2"; ok=0; }
    # verify --deep on the output with skipped rows: the shards
    # concatenated are the golden records of rows 1 and 6, every pixel and
    # label matches the sources.
    golden_rows 1 6 >"$tmp/good.tfrecord"
    check_records "$tmp/out" "$tmp/good.tfrecord" --deep "$tmp/S1" "$tmp/S2" ||
      { fail "$what: verify --deep or the golden rows reject the output: $(head -n 5 "$tmp/check")"; ok=0; }
  fi
  cmp -s "$tmp/out/example_mm-00000-of-00003.tfrecord" <(golden_rows 1) ||
    { fail "$what: shard 0 is not golden row 1"; ok=0; }
  [[ ! -e $tmp/out/example_mm-00001-of-00003.tfrecord ]] ||
    { fail "$what: a shard of only skipped rows exists"; ok=0; }
  cmp -s "$tmp/out/example_mm-00002-of-00003.tfrecord" <(golden_rows 6) ||
    { fail "$what: shard 2 is not golden row 6"; ok=0; }
  if find "$tmp/out" -name '*.tmp' | grep -q .; then fail "$what: temporary files left"; ok=0; fi
  [[ $ok -eq 0 ]] || pass "$what: exit 3, failures listed, rows 1 and 6 golden"

  # The same run interrupted at the end (writing the manifest fails), then
  # resumed: the skipped patches come back from the journal.
  cp -a "$tmp/out" "$tmp/out-whole"
  what="--max-failures 4, manifest write fails, --resume ($np ranks)"
  ok=1
  rm -rf "$tmp/out"
  rc=0
  "${mpirun[@]}" -np "$np" -x "LD_PRELOAD=${FAILIO_PRELOAD:?}" \
    -x FAILIO_MATCH=.manifest.json.tmp -x FAILIO_FSYNC=EIO \
    "$BEN_PREP" -r1 "$tmp/S1" -r2 "$tmp/S2" -o "$tmp/out" --records-per-shard "$rps" \
    -n "$csv" --max-failures 4 >"$tmp/out.txt" 2>"$tmp/err" || rc=$?
  sanitizer_check "$what"
  [[ $rc -eq 1 && -f $tmp/out/ben-prep.journal && ! -e $tmp/out/manifest.json ]] ||
    { fail "$what: the failed manifest write: exit status $rc, expected 1 with a journal and no manifest"; ok=0; }
  cp -a "$tmp/out" "$tmp/out-interrupted"
  convert "$tmp/out" "$csv" --max-failures 4 --resume
  [[ $rc -eq 3 ]] || { fail "$what: exit status $rc, expected 3"; ok=0; }
  for f in "$tmp/out-whole"/*.tfrecord; do
    cmp -s "$f" "$tmp/out/${f##*/}" || { fail "$what: ${f##*/} differs"; ok=0; }
  done
  diff <(sed '/"run": {/,$d' "$tmp/out-whole/manifest.json") \
    <(sed '/"run": {/,$d' "$tmp/out/manifest.json") >/dev/null 2>&1 ||
    { fail "$what: the manifest (failures) differs from the uninterrupted run's"; ok=0; }
  [[ $ok -eq 0 ]] || pass "$what: exit 3, shards and manifest as without the interruption"

  # Resuming it with a lower limit: the 4 journaled skips exceed
  # --max-failures 0; a manifest saying "max_failures": 0 with 4 failures
  # and exit 3 would contradict the option.
  what="--resume with --max-failures 0 after 4 skipped patches ($np ranks)"
  rm -rf "$tmp/out"
  cp -a "$tmp/out-interrupted" "$tmp/out"
  convert "$tmp/out" "$csv" --resume
  if [[ $rc -eq 1 || $rc -eq 2 ]] && [[ ! -e $tmp/out/manifest.json ]]; then
    pass "$what: exit $rc, no manifest"
  else
    fail "$what: exit status $rc, expected 1 (too many failures) or 2 (other options); manifest: $(grep -h '"max_failures"\|"failures": [0-9]' "$tmp/out/manifest.json" 2>/dev/null | tr -s ' \n' ' ')"
  fi

  what="--max-failures 3 with 4 bad patches ($np ranks)"
  ok=1
  rm -rf "$tmp/out" "$tmp/err"
  convert "$tmp/out" "$csv" --max-failures 3
  [[ $rc -eq 1 ]] || { fail "$what: exit status $rc, expected 1"; ok=0; }
  grep -q 'max-failures' "$tmp/err" || { fail "$what: no message about --max-failures"; ok=0; }
  check_no_partial "$what" "$tmp/out" 2 3 4 5 || ok=0
  [[ $ok -eq 0 ]] || pass "$what: exit 1, no manifest"

  what="--max-failures 1 with 1 bad patch ($np ranks)"
  ok=1
  fresh_copy
  rm "$(s1file 3 VV.tif)"
  rm -rf "$tmp/out" "$tmp/err"
  convert "$tmp/out" "$csv" --max-failures 1
  [[ $rc -eq 3 ]] || { fail "$what: exit status $rc, expected 3"; ok=0; }
  [[ $(ls "$tmp/out"/*.tfrecord 2>/dev/null | wc -l) -eq 3 ]] ||
    { fail "$what: $(ls "$tmp/out"/*.tfrecord 2>/dev/null | wc -l) shards, expected 3"; ok=0; }
  check_shards "$what" "$tmp/out" 3 || ok=0
  grep -q '"line": 3,' "$tmp/out/manifest.json" 2>/dev/null ||
    { fail "$what: line 3 not in the manifest's failures"; ok=0; }
  [[ $ok -eq 0 ]] || pass "$what: exit 3, the other 5 records golden"

  # A JSON null where the S2 name belongs is a bad patch like any other: it
  # is skipped (it once crashed every rank, leaving a .tmp file behind).
  what="--max-failures 1 with corresponding_s2_patch null ($np ranks)"
  ok=1
  fresh_copy
  f=$(s1file 4 labels_metadata.json)
  replace "$f" json_set corresponding_s2_patch null
  rm -rf "$tmp/out" "$tmp/err"
  convert "$tmp/out" "$csv" --max-failures 1
  [[ $rc -eq 3 ]] || { fail "$what: exit status $rc, expected 3"; ok=0; }
  check_shards "$what" "$tmp/out" 4 || ok=0
  tr -d '\n' <"$tmp/out/manifest.json" 2>/dev/null |
    grep -qF "\"line\": 4,      \"s2\": \"${s2[4]}\",      \"s1\": \"${s1[4]}\",      \"file\": \"$f\",      \"reason\": \"corresponding_s2_patch is null" ||
    { fail "$what: line 4 not in the manifest's failures with its reason"; ok=0; }
  [[ $ok -eq 0 ]] || pass "$what: exit 3, listed, the other 5 records golden"

  # Damaged TIFFs that GDAL reports on: the reasons in the manifest name the
  # file, not an internal memory address, so the manifest (up to its "run"
  # object) is the same whatever the rank count.
  what="--max-failures 2 with two truncated band files, $np ranks and 2 ranks"
  ok=1
  fresh_copy
  local t1 t2 size
  t1=$(s2file 2 B02.tif)
  size=$(stat -L -c %s "$t1")
  replace "$t1" head -c $((size * 2 / 3)) # a real file; the original stays
  t2=$(s1file 5 VH.tif)
  replace "$t2" head -c 100
  rm -rf "$tmp/out" "$tmp/out-np2"
  convert "$tmp/out" "$csv" --max-failures 2
  [[ $rc -eq 3 ]] || { fail "$what: exit status $rc, expected 3"; ok=0; }
  local np_saved=$np
  np=2
  convert "$tmp/out-np2" "$csv" --max-failures 2
  np=$np_saved
  [[ $rc -eq 3 ]] || { fail "$what: exit status $rc with 2 ranks, expected 3"; ok=0; }
  if grep -q 'vsimem' "$tmp/out/manifest.json" "$tmp/err" 2>/dev/null; then
    fail "$what: a reason names GDAL's memory file: $(grep -ho '"reason": "[^"]*vsimem[^"]*"' "$tmp/out/manifest.json" | head -n 1)"
    ok=0
  fi
  for f in "$t1" "$t2"; do
    grep -qF "\"file\": \"$f\"" "$tmp/out/manifest.json" 2>/dev/null ||
      { fail "$what: $f not in the manifest's failures"; ok=0; }
  done
  diff <(sed '/"run": {/,$d' "$tmp/out/manifest.json" 2>/dev/null) \
    <(sed '/"run": {/,$d' "$tmp/out-np2/manifest.json" 2>/dev/null) >"$tmp/diff" 2>&1 ||
    { fail "$what: the manifests differ: $(head -n 6 "$tmp/diff")"; ok=0; }
  [[ $ok -eq 0 ]] || pass "$what: exit 3, the same manifest, reasons: $(grep -o '"reason": "[^"]*"' "$tmp/out/manifest.json" | cut -c1-90 | tr '\n' ' ')"
}

# ---- NaN and infinite pixels ---------------------------------------------------
# In the S1 bands (float32): the records keep every pixel bit for bit
# (verify --deep against the sources), the manifest is strict JSON (parsed
# by a parser that rejects NaN and Infinity), each band's statistics count
# the non-finite values apart ("nonfinite") and leave them out of count,
# mean, std, min and max (verify's figures from the records it found equal
# to the sources),
# on NP ranks and on 1, and through the journal and --resume.

# set_pixels FILE INDEX=HEXBITS... : a real copy of FILE (an uncompressed
# striped float32 GeoTIFF) with those pixels set to those float32 bits;
# INDEX "all" sets every pixel.
set_pixels() {
  local f=$1 src
  shift
  src=$(readlink "$f")
  rm "$f"
  python3 - "$src" "$f" "$@" <<'EOF'
import struct, sys
src, dst, changes = sys.argv[1], sys.argv[2], sys.argv[3:]
b = bytearray(open(src, "rb").read())
ifd = struct.unpack_from("<I", b, 4)[0]
tags = {}
for i in range(struct.unpack_from("<H", b, ifd)[0]):
    tag, typ, cnt, val = struct.unpack_from("<HHII", b, ifd + 2 + 12 * i)
    tags[tag] = (typ, cnt, ifd + 2 + 12 * i + 8)
def values(tag):
    typ, cnt, at = tags[tag]
    size, fmt = (2, "<H") if typ == 3 else (4, "<I")
    if cnt * size > 4:
        at = struct.unpack_from("<I", b, at)[0]
    return [struct.unpack_from(fmt, b, at + k * size)[0] for k in range(cnt)]
width, height = values(256)[0], values(257)[0]
rows, offsets = values(278)[0], values(273)
for change in changes:
    where, bits = change.split("=")
    for i in range(width * height) if where == "all" else [int(where)]:
        row = i // width
        at = offsets[row // rows] + ((row % rows) * width + i % width) * 4
        struct.pack_into("<I", b, at, int(bits, 16))
open(dst, "wb").write(b)
EOF
}
# strict_json FILE: parses as RFC 8259 JSON (no NaN, Infinity, -Infinity),
# or says where it is not.
strict_json() {
  python3 - "$1" <<'EOF'
import json, sys
def refuse(word):
    raise ValueError("not JSON: " + word)
try:
    json.loads(open(sys.argv[1], "rb").read().decode("utf-8"), parse_constant=refuse)
except ValueError as e:
    print(e)
    sys.exit(1)
EOF
}

# The figure KEY of band BAND in the manifest's example_mm statistics.
figure() { # manifest, band, key
  python3 - "$@" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
print(m["splits"]["example_mm"]["statistics"]["bands"][sys.argv[2]].get(sys.argv[3], "absent"))
EOF
}

check_output() { # what, out
  local what=$1 out=$2 ok=1 why
  [[ $rc -eq 0 ]] || { fail "$what: exit status $rc"; return; }
  why=$(strict_json "$out/manifest.json") ||
    { fail "$what: manifest.json is not strict JSON: $why"; ok=0; }
  # Pixels bit for bit, labels, and the statistics against the records.
  verify_out "$out" --deep "$tmp/S1" "$tmp/S2" ||
    { fail "$what: verify --deep: $(grep -v 'info:' "$tmp/check" | head -n 5)"; ok=0; }
  local n
  n=$(figure "$out/manifest.json" VV nonfinite)
  [[ $n == "$nonfinite_vv" ]] || { fail "$what: VV nonfinite $n, expected $nonfinite_vv"; ok=0; }
  n=$(figure "$out/manifest.json" VH nonfinite)
  [[ $n == "$nonfinite_vh" ]] || { fail "$what: VH nonfinite $n, expected $nonfinite_vh"; ok=0; }
  n=$(figure "$out/manifest.json" VV count)
  [[ $n == $((6 * 14400 - nonfinite_vv)) ]] || { fail "$what: VV count $n"; ok=0; }
  n=$(figure "$out/manifest.json" B02 nonfinite)
  [[ $n == 0 ]] || { fail "$what: B02 nonfinite $n, expected 0"; ok=0; }
  [[ $ok -eq 0 ]] || pass "$what: strict JSON, pixels kept, VV: $(figure "$out/manifest.json" VV count) values, $(figure "$out/manifest.json" VV nonfinite) non-finite, mean $(figure "$out/manifest.json" VV mean), min $(figure "$out/manifest.json" VV min), max $(figure "$out/manifest.json" VV max)"
}

nonfinite_cases() {
  fresh_copy
  # Row 2: NaN, a NaN with sign and payload, +inf in VV; row 5: -inf in VH;
  # row 6: VV all NaN (its shard has no finite VV value).
  set_pixels "$(s1file 2 VV.tif)" 0=7fc00000 7=ffc00001 14399=7f800000
  set_pixels "$(s1file 5 VH.tif)" 100=ff800000
  set_pixels "$(s1file 6 VV.tif)" all=7fc00000
  nonfinite_vv=$((3 + 14400)) nonfinite_vh=1

  rm -rf "$tmp/out" "$tmp/out1" "$tmp/out-resume"
  convert "$tmp/out" "$csv"
  check_output "NaN and infinite pixels on $np ranks" "$tmp/out"
  rc=0
  "${mpirun[@]}" -np "$np" "$BEN_PREP" verify "$tmp/out" --deep "$tmp/S1" "$tmp/S2" \
    >"$tmp/verify" 2>&1 || rc=$?
  [[ $rc -eq 0 ]] && pass "verify --deep: the records hold the source pixels" ||
    fail "verify --deep: exit status $rc: $(grep error "$tmp/verify" | head -n 3)"

  local np_saved=$np
  np=1
  convert "$tmp/out1" "$csv"
  np=$np_saved
  check_output "NaN and infinite pixels on 1 rank" "$tmp/out1"
  diff <(sed '/"run": {/,$d' "$tmp/out/manifest.json") <(sed '/"run": {/,$d' "$tmp/out1/manifest.json") >/dev/null &&
    pass "the same manifest on 1 and $np ranks" ||
    fail "the manifests of 1 and $np ranks differ"

  # The figures go through the journal exactly: writing the manifest fails,
  # --resume writes it from the journal, the same as without the failure.
  rc=0
  "${mpirun[@]}" -np "$np" -x "LD_PRELOAD=${FAILIO_PRELOAD:?}" \
    -x FAILIO_MATCH=.manifest.json.tmp -x FAILIO_FSYNC=EIO \
    "$BEN_PREP" -r1 "$tmp/S1" -r2 "$tmp/S2" -o "$tmp/out-resume" --records-per-shard "$rps" \
    -n "$csv" >"$tmp/out.txt" 2>"$tmp/err" || rc=$?
  sanitizer_check "manifest write failing"
  [[ $rc -eq 1 && -f $tmp/out-resume/ben-prep.journal ]] ||
    fail "manifest write failing: exit status $rc, expected 1 with a journal"
  convert "$tmp/out-resume" "$csv" --resume
  check_output "NaN and infinite pixels, manifest written by --resume" "$tmp/out-resume"
  diff <(sed '/"run": {/,$d' "$tmp/out/manifest.json") <(sed '/"run": {/,$d' "$tmp/out-resume/manifest.json") >/dev/null &&
    pass "--resume gives the manifest of the uninterrupted run" ||
    fail "--resume: the manifest differs from the uninterrupted run's"
}

# ---- both decoders, one reading ---------------------------------------------------
# Band files whose meaning readers may take differently (a tag listed twice,
# tags out of order, strips that overlap, lie outside the file or over the
# IFD, counts that do not match, a second image, ...; made from the real
# bands by tests/tools/tiff_variant.py) give the same records, the same
# manifest and the same exit status with --decoder auto (the direct decoder
# where it can) as with --decoder gdal; and verify --deep, which reads the
# sources with GDAL, accepts what auto wrote.
decoders_cases() {
  local variant what ok shard
  for variant in dup-offsets-first dup-offsets-last dup-width unsorted overlap \
    strip-over-ifd strip-outside count-mismatch bytes-mismatch next-ifd \
    truncated-ifd photometric-white reduced-resolution plain; do
    what="band files with $variant, --decoder auto and gdal ($np ranks)"
    ok=1
    fresh_copy
    for f in "$(s1file 3 VV.tif)" "$(s2file 4 B02.tif)"; do
      replace "$f" python3 "$TIFF_VARIANT" "$variant" /dev/stdin /dev/stdout
    done
    rm -rf "$tmp/out-auto" "$tmp/out-gdal"
    convert "$tmp/out-auto" "$csv" --max-failures 6
    local rc_auto=$rc
    cp "$tmp/err" "$tmp/err-auto"
    convert "$tmp/out-gdal" "$csv" --max-failures 6 --decoder gdal
    [[ $rc_auto -eq $rc && ( $rc -eq 0 || $rc -eq 3 ) ]] ||
      { fail "$what: exit status $rc_auto with auto, $rc with gdal (0 or 3 expected)"; ok=0; }
    for shard in "$tmp/out-gdal"/*.tfrecord "$tmp/out-auto"/*.tfrecord; do
      [[ -e $shard ]] || continue
      cmp -s "$tmp/out-auto/${shard##*/}" "$tmp/out-gdal/${shard##*/}" ||
        { fail "$what: ${shard##*/} differs between the decoders"; ok=0; }
    done
    diff <(sed '/"run": {/,$d' "$tmp/out-auto/manifest.json" 2>&1) \
      <(sed '/"run": {/,$d' "$tmp/out-gdal/manifest.json" 2>&1) >"$tmp/diff" ||
      { fail "$what: the manifests differ: $(head -n 8 "$tmp/diff")"; ok=0; }
    if [[ $rc_auto -eq 0 ]]; then
      "${mpirun[@]}" -np "$np" "$BEN_PREP" verify "$tmp/out-auto" --deep "$tmp/S1" "$tmp/S2" \
        >"$tmp/verify" 2>&1 || { fail "$what: verify --deep: $(grep error "$tmp/verify" | head -n 3)"; ok=0; }
    fi
    [[ $ok -eq 0 ]] || pass "$what: exit $rc, the same records and manifest$(
      grep -o '"reason": "[^"]*"' "$tmp/out-auto/manifest.json" 2>/dev/null | head -n 2 | tr '\n' ' ' | sed 's/^/; /')"
  done
}

case $mode in
  patch) patch_cases ;;
  csv) csv_cases ;;
  max-failures) max_failures_cases ;;
  nonfinite) nonfinite_cases ;;
  decoders) decoders_cases ;;
  *) echo "usage: test_bad_input.sh csv|patch NP|max-failures NP|nonfinite NP|decoders NP" >&2; exit 2 ;;
esac

finish "$mode cases"
