#!/bin/sh
# bench/startup.sh - what one `madoguchi deliver` spends before and
# around its real work (issue 8, target 2: loading and compiling the rules
# <= 1 ms per process).  Under callgrind it delivers one kit report (2-8
# KB) into a data directory where one warm-up delivery has already written
# the rules cache (DATA_DIR/rules.cache), then the same report into a
# second such directory with the cache deleted first (a cache miss), and
# prints the inclusive instruction counts of:
#   the whole process, _dl_start (dynamic linking and relocation),
#   intake_load_rules (loading the rule set: from the cache, or on a miss
#   rules_load, reading rules/, plus rewriting the cache), and
#   rule_code / pcre2_compile_8 / pcre2_jit_compile_8 (making ready the
#   rules this report needs, on first use: decoding each from the cache or
#   compiling it, and JIT-compiling those that search 512 bytes or more;
#   on a miss everything is compiled for the cache, inside
#   intake_load_rules, as rules_compile_all).
# Instructions, not milliseconds: counts are exact and repeatable; this
# machine's wall clock is not.  For scale, with perf(1), also the
# task-clock of a native warm delivery (best of 5).  A benchmark: it
# prints figures, asserts nothing.
#
# Needs a built madoguchi, valgrind (callgrind_annotate), python3, and the
# kit's gen_msgs.py: KIT (default ../shared/bench, from the top of the tree).
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_start gen_msgs.py
command -v valgrind > /dev/null || bench_skip "valgrind is needed: apt-get install valgrind"
python3 "$KIT/gen_msgs.py" "$work/msgs" 2
report=$work/msgs/msg-00001.eml   # msg-00000 is the warm-up

# prepare DIR: a data directory with one report filed (the rules cache written)
prepare() {
  bench_init "$1"
  MADOGUCHI_HOME=$1 "$MADOGUCHI" deliver < "$work/msgs/msg-00000.eml"
  [ -f "$1/rules.cache" ] || echo "bench: no $1/rules.cache after the warm-up" >&2
}
# profile DIR NAME: deliver the report under callgrind, annotate to NAME.txt
profile() {
  MADOGUCHI_HOME=$1 valgrind --tool=callgrind --callgrind-out-file="$work/$2.out" \
    "$MADOGUCHI" deliver < "$report" 2> "$work/$2.log" \
    || { echo "bench: the $2 delivery failed:" >&2; cat "$work/$2.log" >&2; exit 1; }
  callgrind_annotate --inclusive=yes --auto=no --threshold=100 "$work/$2.out" > "$work/$2.txt"
}
prepare "$work/warm"
prepare "$work/cold"
profile "$work/warm" warm
rm -f "$work/cold/rules.cache"
profile "$work/cold" cold

# count NAME FUNCTION: inclusive instructions of FUNCTION, the largest of
# its lines ("-" when it never ran, or has no symbol: a static function
# the compiler inlined); TOTAL: the whole process.
count() {
  awk -v f=":$2 [" -v total="$2" '
    total == "TOTAL" && /PROGRAM TOTALS/ { gsub(",", "", $1); print $1; found = 1; exit }
    total != "TOTAL" && index($0, f) { gsub(",", "", $1); if ($1 + 0 > max) max = $1 + 0 }
    END { if (!found) print (max ? max : "-") }' "$work/$1.txt"
}
commas() {   # 12345678 -> 12,345,678
  echo "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta'
}
row() {   # row LABEL WARM COLD
  printf '%-44s %14s %14s\n' "$1" "$(commas "$2")" "$(commas "$3")"
}
echo "one madoguchi deliver of a $(wc -c < "$report")-byte kit report, under callgrind"
printf '%-44s %14s %14s\n' "inclusive instructions (Ir)" "cache warm" "cache miss"
for f in "whole process:TOTAL" "_dl_start (dynamic linking):_dl_start" "main:main" \
    "intake_load_rules (loading the rules):intake_load_rules" \
    "  rules_load (reading rules/, a miss only):rules_load" \
    "rule_code (the rules this report needs):rule_code" \
    "  rules_compile_all (a miss: for the cache):rules_compile_all" \
    "  pcre2_compile_8:pcre2_compile_8" "  pcre2_jit_compile_8:pcre2_jit_compile_8"; do
  row "${f%:*}" "$(count warm "${f##*:}")" "$(count cold "${f##*:}")"
done
sum() {   # sum NAME: intake_load_rules + rule_code, rules_compile_all once
  l=$(count "$1" intake_load_rules); c=$(count "$1" rule_code)
  a=$(count "$1" rules_compile_all)
  echo $(( ${l#-} + ${c#-} - ${a#-} + 0 ))
}
warm_rules=$(sum warm)
row "rules load + compile (the two above)" "$warm_rules" "$(sum cold)"

# For scale: the task-clock (CPU time, user+sys) of a native warm
# delivery, best of 5 (a fresh report each time, so none is a duplicate).
# The kernel's share (fsync, page faults) is in it and not in Ir.
if command -v perf > /dev/null; then
  python3 "$KIT/gen_msgs.py" "$work/more" 7
  best=
  for i in 2 3 4 5 6; do
    t=$(MADOGUCHI_HOME=$work/warm perf stat -x, -e task-clock "$MADOGUCHI" deliver \
          < "$work/more/msg-0000$i.eml" 2>&1 > /dev/null | awk -F, '/task-clock/ { print $1 }')
    case $t in ''|*[!0-9.]*) best=; break ;; esac
    if [ -z "$best" ] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then best=$t; fi
  done
  if [ -n "$best" ]; then
    echo "native warm delivery: task-clock $best ms (perf stat, best of 5)"
    awk -v r="$warm_rules" -v t="$(count warm TOTAL)" -v c="$best" 'BEGIN {
      printf "rules load + compile: %.1f%% of the instructions (%.2f ms of that task-clock if pro rata: a rough upper bound)\n", 100 * r / t, c * r / t }'
  else
    echo "native warm delivery: perf stat gave no task-clock"
  fi
fi
