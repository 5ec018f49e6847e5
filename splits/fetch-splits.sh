#!/usr/bin/env bash
# Download the official BigEarthNet-MM 19-class split files (train.csv,
# val.csv, test.csv) from TU Berlin's BigEarthNet-MM_19-classes_models
# repository at a pinned commit and check their md5 sums. See README.md.
set -euo pipefail

readonly DEFAULT_BASE='https://git.tu-berlin.de/rsim/BigEarthNet-MM_19-classes_models/-/raw/9a5be07346ab0884b2d9517475c27ef9db9b5104/splits'
readonly NAMES=(train val test)
declare -A MD5=(
  [train]=623e501b38ab7b12fe44f0083c00986d
  [val]=22efe8ed9cbd71fa10742ff7df2b7978
  [test]=697fb90677e30571b9ac7699b7e5b432
)

prog=${0##*/}
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
  cat <<EOF
Usage: $prog [--dest DIR] [--base URL]

Download the BigEarthNet-MM 19-class splits (train.csv, val.csv, test.csv)
and verify their md5 sums. Files already present with the right md5 are kept.

Options:
  --dest DIR   where to put the files (default: $script_dir)
  --base URL   base address; <URL>/<name>.csv is fetched
               (default: \$BEN_SPLITS_BASE_URL, else
               $DEFAULT_BASE)
  -h, --help   show this help

Uses curl, or wget if curl is not installed. Exit status: 0 all files
present and verified, 1 a download or md5 check failed, 2 usage error.
EOF
}

usage_error() {
  printf '%s: %s\n' "$prog" "$1" >&2
  printf "Try '%s --help'.\n" "$prog" >&2
  exit 2
}

dest=$script_dir
base=${BEN_SPLITS_BASE_URL:-$DEFAULT_BASE}

while (($# > 0)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --dest | --base)
      (($# >= 2)) || usage_error "option $1 needs an argument"
      if [[ $1 == --dest ]]; then dest=$2; else base=$2; fi
      shift 2 ;;
    --dest=*) dest=${1#--dest=}; shift ;;
    --base=*) base=${1#--base=}; shift ;;
    *) usage_error "unknown option or argument: $1" ;;
  esac
done
[[ -n $dest ]] || usage_error "--dest must not be empty"
[[ -n $base ]] || usage_error "base URL must not be empty"
base=${base%/}

if command -v curl >/dev/null 2>&1; then
  downloader=curl
elif command -v wget >/dev/null 2>&1; then
  downloader=wget
else
  printf '%s: neither curl nor wget found; install one of them (e.g. apt-get install curl)\n' "$prog" >&2
  exit 1
fi

# fetch URL FILE: download URL to FILE; non-zero status on failure.
fetch() {
  local url=$1 out=$2
  if [[ $downloader == curl ]]; then
    curl -fsSL --retry 3 -o "$out" "$url"
  elif [[ $url == file://* ]]; then
    # wget has no file:// support: copy the local file instead.
    local path=${url#file://}
    path=${path#localhost}
    path=${path//%/\\x}   # undo %XX escapes
    cp -- "$(printf '%b' "$path")" "$out"
  else
    # -nv also logs successes: show wget's output only when it fails.
    local log
    if ! log=$(wget -nv --tries=3 -O "$out" "$url" 2>&1); then
      printf '%s\n' "$log" >&2
      return 1
    fi
  fi
}

# md5_of FILE: print the md5 of FILE (empty if it cannot be read).
md5_of() {
  local sum _
  read -r sum _ < <(md5sum -- "$1" 2>/dev/null) || true
  printf '%s' "${sum:-}"
}

mkdir -p -- "$dest"

tmp=''
cleanup() { if [[ -n $tmp ]]; then rm -f -- "$tmp"; fi; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

n_down=0 n_ok=0 n_fail=0
for name in "${NAMES[@]}"; do
  file=$name.csv
  final=$dest/$file
  want=${MD5[$name]}
  note=''

  if [[ -e $final ]]; then
    have=$(md5_of "$final")
    if [[ $have == "$want" ]]; then
      printf '%s: up to date (md5 %s)\n' "$file" "$want"
      n_ok=$((n_ok + 1))
      continue
    fi
    note=" (replaced existing file with wrong md5 ${have:-unreadable})"
  fi

  url=$base/$file
  tmp=$(mktemp "$dest/.$file.XXXXXX.tmp")
  why=''
  if ! fetch "$url" "$tmp"; then
    why="download failed: $url"
  else
    got=$(md5_of "$tmp")
    if [[ $got != "$want" ]]; then
      why="md5 mismatch: expected $want, got ${got:-none} (from $url)"
    fi
  fi

  if [[ -z $why ]]; then
    mv -f -- "$tmp" "$final"
    tmp=''
    printf '%s: downloaded (md5 %s)%s\n' "$file" "$want" "$note"
    n_down=$((n_down + 1))
  else
    rm -f -- "$tmp"
    tmp=''
    # A file under the final name must always be a verified one.
    if [[ -n $note ]]; then
      rm -f -- "$final"
      why="$why; removed existing file with wrong md5"
    fi
    printf '%s: FAILED: %s\n' "$file" "$why" >&2
    n_fail=$((n_fail + 1))
  fi
done

printf 'summary: %d downloaded, %d up to date, %d failed (in %s)\n' \
  "$n_down" "$n_ok" "$n_fail" "$dest"
if ((n_fail > 0)); then
  printf '%s: %d of %d split files failed\n' "$prog" "$n_fail" "${#NAMES[@]}" >&2
  exit 1
fi
