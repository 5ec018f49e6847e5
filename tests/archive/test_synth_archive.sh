#!/usr/bin/env bash
# ben-synth --archive tar|gz: the archives' members, extracted by GNU tar,
# are byte for byte the folder output of the same arguments (and the split
# files are the same); one top folder per archive, each patch folder's
# entry before its files, GNU long-name entries for names over 100 bytes;
# the .tar.gz is the .tar through gzip; the same seed gives the same bytes;
# no temporary file is left; the archive reader indexes every member.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
synth=${BEN_SYNTH:?}
n=30
s2top=BigEarthNet-v1.0 s1top=BigEarthNet-S1-v1.0

"$synth" -o "$work/folders" -n $n --seed 3 -q
"$synth" -o "$work/tar" -n $n --seed 3 --archive tar -q
"$synth" -o "$work/gz" -n $n --seed 3 --archive gz -q
"$synth" -o "$work/gz2" -n $n --seed 3 --archive=gz -q

for k in tar gz; do
  ext=$([[ $k == tar ]] && echo tar || echo tar.gz)
  left=$(find "$work/$k" -mindepth 1 -maxdepth 1 | sed "s|^$work/$k/||" | LC_ALL=C sort | tr '\n' ' ')
  [[ $left == "$s1top.$ext $s2top.$ext splits splits-s2 " ]] ||
    die "--archive $k wrote: $left"
  mkdir "$work/x-$k"
  for top in $s2top $s1top; do
    tar -C "$work/x-$k" -xf "$work/$k/$top.$ext" || die "tar xf $top.$ext"
    diff -r "$work/folders/$top" "$work/x-$k/$top" >/dev/null ||
      die "--archive $k: $top extracted differs from the folder output"
  done
  for d in splits splits-s2; do
    diff -r "$work/folders/$d" "$work/$k/$d" >/dev/null || die "--archive $k: $d differ"
  done
  ok "--archive $k: both archives extract to the folder output ($n pairs)"
done

gzip -t "$work/gz/$s2top.tar.gz" "$work/gz/$s1top.tar.gz" || die "gzip -t"
for top in $s2top $s1top; do
  cmp <(gzip -dc "$work/gz/$top.tar.gz") "$work/tar/$top.tar" || die "$top: .tar.gz is not the .tar"
  cmp "$work/gz/$top.tar.gz" "$work/gz2/$top.tar.gz" || die "$top: same seed, other bytes"
done
ok "the .tar.gz files are the .tar files through gzip; the same seed gives the same bytes"

declare -A nlong
# The layout: the top folder's entry first, then each patch folder's entry
# followed by its files; GNU format with long-name records.
for top in $s2top $s1top; do
  tar -tf "$work/tar/$top.tar" >"$work/names"
  [[ $(head -1 "$work/names") == "$top/" ]] || die "$top: first entry $(head -1 "$work/names")"
  python3 - "$work/names" "$top" <<'EOF' || die "$top: layout"
import sys
names = open(sys.argv[1]).read().split('\n')[1:-1]
top = sys.argv[2] + '/'
folder = None
for m in names:
    assert m.startswith(top), m
    rest = m[len(top):]
    if rest.endswith('/'):
        folder = rest
    else:
        assert folder and rest.startswith(folder) and '/' not in rest[len(folder):], m
EOF
  [[ $(grep -c '/$' "$work/names") == $((n + 1)) ]] || die "$top: folder entries"
  # Every name over 100 bytes has its long-name record (S1 names always
  # are; S2 ones from patch 10_10 on, as the real archive's).
  long=$(awk 'length > 100' "$work/names" | wc -l)
  records=$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read().count(b"././@LongLink\0"))' "$work/tar/$top.tar")
  [[ $long == "$records" ]] || die "$top: $long names over 100 bytes, $records long-name records"
  nlong[$top]=$long
done
((nlong[$s1top] == 3 * n)) || die "S1: ${nlong[$s1top]} long names"
ok "one top folder, folder entries before their files, GNU long-name records (S1 ${nlong[$s1top]}, S2 ${nlong[$s2top]})"

# The archive reader takes them: every file a member.
"$tool" build "$work/gz/$s1top.tar.gz" "$work/s1.bpidx" >"$work/b.out" || die "index build"
grep -q '^damaged=0$' "$work/b.out" || die "reported damaged"
[[ $(kv members "$work/b.out") == $((3 * n)) ]] || die "members: $(kv members "$work/b.out")"
ok "indexed by the archive reader: $(kv members "$work/b.out") members, $(kv folders "$work/b.out") folders"

# A bad kind is a usage error; a failed run leaves no temporary file.
"$synth" -o "$work/bad" --archive zip 2>"$work/e" && die "--archive zip accepted"
grep -q "invalid archive kind 'zip'" "$work/e" || die "message: $(cat "$work/e")"
# "splits" a file: the run fails after the archives were started.
mkdir -p "$work/ro" && touch "$work/ro/splits"
"$synth" -o "$work/ro" -n 3 --archive gz -q 2>"$work/e" && die "a file named splits accepted"
grep -q "splits: exists and is not a folder" "$work/e" || die "message: $(cat "$work/e")"
left=$(find "$work/ro" -name '.*.tmp' -o -name '*.tar*')
[[ -z $left ]] || die "left behind: $left"
ok "usage error for --archive zip; a failed run leaves no archive or temporary file"
echo "$passed checks passed"
