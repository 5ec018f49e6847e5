# memcheck.sh - sourced by the tests that run MPI ranks under valgrind:
# sets vg, the memcheck command to put between mpirun and the program.
# Errors make the rank exit 99; definite leaks count as errors; Open MPI's
# own start-up allocations are suppressed (VALGRIND_SUPP, ours, and Open
# MPI's file where installed). Exits 77 (skipped) without valgrind.
# shellcheck shell=bash
: "${VALGRIND_SUPP:?}"
command -v valgrind >/dev/null || { echo "SKIP: valgrind not installed"; exit 77; }
supp=(--suppressions="$VALGRIND_SUPP")
[[ -f /usr/share/openmpi/openmpi-valgrind.supp ]] &&
  supp+=(--suppressions=/usr/share/openmpi/openmpi-valgrind.supp)
# shellcheck disable=SC2034 # used by the sourcing script
vg=(valgrind -q --error-exitcode=99 --leak-check=full
  --errors-for-leak-kinds=definite --show-leak-kinds=definite
  --track-origins=yes --num-callers=50 "${supp[@]}")
