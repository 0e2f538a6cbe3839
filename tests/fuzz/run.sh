#!/bin/sh
# run.sh TARGET SECONDS - runs the libFuzzer target fuzz-TARGET for
# SECONDS on a scratch copy of its seed corpus, so that the repository
# is never modified.  Exits non-zero on any crash, leak, timeout, OOM or
# sanitizer report, after printing the input that caused it.
#
#   FUZZ_BUILD_DIR  build tree configured with -DMADOGUCHI_FUZZ=ON
#                   (default: build-fuzz in the source tree)
#   FUZZ_WORK_DIR   scratch directory (default: $FUZZ_BUILD_DIR/fuzz-work);
#                   TARGET/corpus and TARGET/artifacts are made afresh
#   FUZZ_ARGS       extra libFuzzer flags (e.g. -seed=1 or -jobs=1)
#
# Seeds: tests/fuzz/corpus/TARGET/ plus, copied at run time so that no
# sample is kept twice in git, tests/data/*.eml and tests/data/classify/
# *.eml (message), rules/*.rules (rules), the LINE column of
# tests/data/loglines.tsv (timestamp), doc/madoguchi.conf.example
# (config); tests/data/fuzz-TARGET-* (minimised crashers) for all.
set -eu

if [ $# -ne 2 ]; then
  echo "usage: $0 TARGET SECONDS" >&2
  exit 64
fi
target=$1
seconds=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$src/build-fuzz}
work=${FUZZ_WORK_DIR:-$build/fuzz-work}/$target
bin=$build/tests/fuzz/fuzz-$target

case $target in
  message)   max_len=65536; dict=mime.dict ;;
  rules)     max_len=65536; dict=rules.dict ;;
  timestamp) max_len=4096;  dict=log.dict ;;
  tag)       max_len=1024;  dict=mime.dict ;;
  config)    max_len=16384; dict= ;;
  prefilter) max_len=4096;  dict=rules.dict ;;
  *) echo "run.sh: unknown target $target" >&2; exit 64 ;;
esac
if [ ! -x "$bin" ]; then
  echo "run.sh: $bin not built (cmake -DMADOGUCHI_FUZZ=ON)" >&2
  exit 1
fi

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
corpus=$work/corpus
if [ -d "$src/tests/fuzz/corpus/$target" ]; then
  cp "$src/tests/fuzz/corpus/$target"/* "$corpus"/
fi
case $target in
  message)
    cp "$src"/tests/data/*.eml "$corpus"/
    for f in "$src"/tests/data/classify/*.eml; do
      cp "$f" "$corpus/classify-$(basename "$f")"
    done ;;
  rules)
    cp "$src"/rules/*.rules "$corpus"/ ;;
  timestamp)
    awk -F '\t' -v dir="$corpus" '
      /^#/ || NF < 2 { next }
      { n++; f = sprintf("%s/logline-%03d", dir, n);
        printf "%s\n", $2 > f; close(f) }' "$src/tests/data/loglines.tsv" ;;
  config)
    cp "$src/doc/madoguchi.conf.example" "$corpus"/ ;;
esac
for f in "$src"/tests/data/fuzz-"$target"-*; do
  if [ -f "$f" ]; then
    cp "$f" "$corpus"/
  fi
done

set -- -max_total_time="$seconds" -timeout=1 -rss_limit_mb=512 \
  -max_len="$max_len" -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/"
if [ -n "$dict" ]; then
  set -- "$@" -dict="$src/tests/fuzz/$dict"
fi
echo "run.sh: fuzz-$target for ${seconds}s on $(ls "$corpus" | wc -l) seeds"
# Symbolized stack traces (Debian's "llvm" puts llvm-symbolizer on PATH).
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] \
   && ! command -v llvm-symbolizer > /dev/null \
   && [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi
status=0
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  "$bin" "$@" ${FUZZ_ARGS:-} "$corpus" > "$work/log" 2>&1 || status=$?
# libFuzzer's start and final stats; on failure, the report.
grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|Done [0-9]+ runs|stat::)' \
  "$work/log" || true
if [ "$status" -ne 0 ] || [ -n "$(ls "$work/artifacts")" ]; then
  echo "run.sh: fuzz-$target FAILED (exit $status); full log $work/log" >&2
  grep -v -E '^(#[0-9]|INFO:|MERGE|"|###)' "$work/log" | head -n 80 >&2
  for f in "$work"/artifacts/*; do
    [ -f "$f" ] || continue
    echo "run.sh: input $f (base64):" >&2
    base64 "$f" | head -n 200 >&2
  done
  exit 1
fi
echo "run.sh: fuzz-$target passed"
