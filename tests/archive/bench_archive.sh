#!/usr/bin/env bash
# Benchmark of the archive reader on a synthetic archive (and the real
# sample's compressibility):
#   - gzip -6 ratio of the S2 and S1 tars, synthetic and real;
#   - index pass MB/s against `gzip -dc ARCHIVE >/dev/null` (median of R);
#   - index size against the archive at several access point spacings, and
#     random-order patch folder reads per second at each;
#   - archive-order reading: tar stream bytes/s, bytes inflated twice;
#   - plain tar against the same files in folders (members/s, reads).
#
#   bench_archive.sh [N [R]]     (N patch pairs, default 2000; R repeats, 3)
#
# Needs BP_ARCHIVE_TOOL and BEN_SYNTH (ctest sets them); BENCH_DIR keeps the
# archive between runs (default build dir/archive-bench).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
n=${1:-2000} reps=${2:-3}
tool=${BP_ARCHIVE_TOOL:?} synth=${BEN_SYNTH:?}
shared=${SHARED:-}
dir=${BENCH_DIR:-$(dirname "$tool")/archive-bench}
spacings=${SPACINGS:-"0.25 0.5 1 2 4"}
export BP_TOOL_QUIET=1
mkdir -p "$dir"
cd "$dir"

kv() { sed -n "s/^$1=//p" "$2"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cpu_secs() { # user + system CPU seconds of a command (stdout discarded)
  /usr/bin/time -f "%U %S" -o "$dir/time.out" "$@" >/dev/null
  awk '{print $1 + $2}' "$dir/time.out"
}
declare -A rate

if [[ ! -f synth-$n.done ]]; then
  rm -rf synth s2.tar* s1.tar*
  "$synth" -o synth -n "$n" >/dev/null
  tar -C synth --format=gnu -cf s2.tar BigEarthNet-v1.0
  tar -C synth --format=gnu -cf s1.tar BigEarthNet-S1-v1.0
  gzip -6 -k s2.tar
  gzip -6 -k s1.tar
  for k in s2 s1; do
    top=$([[ $k == s2 ]] && echo BigEarthNet-v1.0 || echo BigEarthNet-S1-v1.0)
    (cd "synth/$top" && find . -type f | sed 's|^\./||' | sort) >$k.sorted
    tar -tf $k.tar | grep -v '/$' | sed "s|^$top/||" >$k.archorder
    # Random patch order, each patch's files in name order (as converted).
    python3 "$here/shuffle_patches.py" "$k.sorted" "$k.random" 1
  done
  touch synth-$n.done
fi

ratio() { echo "scale=3; $(stat -c %s "$1") / $(stat -c %s "$2")" | bc -l; }
echo "archive reader benchmark: $n synthetic patch pairs, $reps repetitions (medians),"
echo "warm page cache, $(nproc) cores, $(uname -r); times are CPU seconds (user + system)"
echo "of the measured process, so that other work on the machine does not count"
echo
echo "gzip -6 ratio (tar bytes / gzip bytes):"
echo "  synthetic  S2 $(ratio s2.tar s2.tar.gz)  S1 $(ratio s1.tar s1.tar.gz)"
if [[ -n $shared && -d $shared/bigearthnet-v1-sample ]]; then
  tar -C "$shared/bigearthnet-v1-sample" --format=gnu -cf real-s2.tar BigEarthNet-v1.0
  tar -C "$shared/bigearthnet-v1-sample" --format=gnu -cf real-s1.tar BigEarthNet-S1-v1.0
  gzip -6 -kf real-s2.tar real-s1.tar
  echo "  real sample S2 $(ratio real-s2.tar real-s2.tar.gz)  S1 $(ratio real-s1.tar real-s1.tar.gz)"
fi
echo

for k in s2 s1; do
  gz=$k.tar.gz
  cat "$gz" >/dev/null
  g=$(for _ in $(seq "$reps"); do cpu_secs gzip -dc "$gz"; done | median)
  mb=$(echo "$(stat -c %s $k.tar) / 1000000" | bc -l)
  echo "$k: $(printf %.0f "$mb") MB tar, $(stat -c %s "$gz") bytes gzip"
  printf "  gzip -dc: %.3f s (%.0f MB/s of tar stream)\n" "$g" "$(echo "$mb / $g" | bc -l)"
  printf "  %-8s %-9s %-10s %-9s %-8s %-11s %-9s\n" spacing "index s" "gzip/pass" "index MB" "% of gz" "random f/s" "jumps/f"
  for sp in $spacings; do
    bytes=$(echo "$sp * 1048576 / 1" | bc)
    t=$(for _ in $(seq "$reps"); do
          "$tool" build "$gz" "$gz.$sp.bpidx" "$bytes" >build.out
          kv cpu_seconds build.out
        done | median)
    isz=$(kv index_bytes build.out)
    r=$(for _ in $(seq "$reps"); do
          "$tool" bench "$gz" "$gz.$sp.bpidx" $k.random >read.out
          kv folders_per_cpu_s read.out
        done | median)
    rate[$k,$sp]=$r
    printf "  %-8s %-9.3f %-10.2f %-9.2f %-8.2f %-11.0f %-9.2f\n" "$sp" "$t" \
      "$(echo "$g / $t" | bc -l)" "$(echo "$isz / 1000000" | bc -l)" \
      "$(echo "100 * $isz / $(stat -c %s "$gz")" | bc -l)" "$r" \
      "$(echo "$(kv jumps read.out) / $(kv folders read.out)" | bc -l)"
  done
  "$tool" build "$gz" "$gz.bpidx" >/dev/null
  for _ in $(seq "$reps"); do
    "$tool" bench "$gz" "$gz.bpidx" $k.archorder >seq.out
    echo "$(kv cpu_seconds seq.out) $(kv inflated seq.out) $(kv reinflated seq.out)"
  done | sort -g | awk -v r="$reps" 'NR==int((r+1)/2)' >seq.med
  read -r s infl reinfl <seq.med
  printf "  archive order (default spacing): %.0f MB/s of tar stream, %s bytes inflated twice\n" \
    "$(echo "$infl / 1000000 / $s" | bc -l)" "$reinfl"
  # Plain tar against folders, random patch order.
  "$tool" build $k.tar $k.tar.bpidx >/dev/null
  top=$([[ $k == s2 ]] && echo BigEarthNet-v1.0 || echo BigEarthNet-S1-v1.0)
  ft=$(for _ in $(seq "$reps"); do "$tool" bench-folder "synth/$top" $k.random | sed -n 's/^members_per_cpu_s=//p'; done | median)
  tt=$(for _ in $(seq "$reps"); do "$tool" bench $k.tar $k.tar.bpidx $k.random >tar.out; kv members_per_cpu_s tar.out; done | median)
  nm=$(kv members tar.out) nr=$(kv reads tar.out)
  printf "  random order, members/s: folders %.0f, tar %.0f (%.2fx); tar reads %s for %s members\n" \
    "$ft" "$tt" "$(echo "$tt / $ft" | bc -l)" "$nr" "$nm"
  printf "  reader peak RSS (whole tool process): %s KB\n" "$(kv max_rss_kb tar.out)"
  echo
done

echo "random patch pairs per CPU second, reading only (S2 folder + S1 folder):"
for sp in $spacings; do
  printf "  spacing %-5s MiB: %.0f pairs/s\n" "$sp" \
    "$(echo "1 / (1 / ${rate[s2,$sp]} + 1 / ${rate[s1,$sp]})" | bc -l)"
done
