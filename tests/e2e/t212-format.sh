#!/bin/sh
# The house style is what .clang-format says (HACKING): every C file of
# src/, include/ and tests/ as clang-format 14 writes it.  Another
# clang-format version breaks some lines differently, so it is not asked.
. "$(dirname "$0")/lib.sh"
not_in_pg_pass "a check of the source (clang-format), not of a store"

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1

command -v clang-format >/dev/null 2>&1 || skip_all "no clang-format"
case $(clang-format --version) in
  *" version 14."*) ;;
  *) skip_all "clang-format is not version 14 (.ci/install-deps installs it)" ;;
esac

files=$(find src include tests bench -name '*.[ch]' -not -path '*/corpus/*' | sort)
# shellcheck disable=SC2086 # the file names have no blanks
clang-format --dry-run --Werror $files > "$TEST_HOME/format.log" 2>&1
ok $? "$(echo "$files" | wc -l) C files as .clang-format writes them"
# What to run: the first lines that differ.
grep -o '^[^:]*:[0-9]*' "$TEST_HOME/format.log" | sort -u | head -20 | sed 's/^/# /'
done_testing
