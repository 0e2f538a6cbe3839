#!/bin/sh
# Event times as logs write them (tests/data/timestamps.tsv): every form
# of fail2ban's date detector templates and the common zone spellings,
# at the start of a line or after a level, a host or a bracket.  Each
# line's first event time is the one the corpus expects, in UTC.
. "$(dirname "$0")/lib.sh"
not_in_pg_pass "uses no store: an extract dry run"

corpus=$TEST_DATA_DIR/timestamps.tsv
[ -f "$corpus" ] || skip_all "no $corpus"

tab=$(printf '\t')
mail=$TEST_HOME/times.eml
mkdir -p "$TEST_HOME"
{
  printf 'From: reporter@example.com\nTo: cert@example.net\n'
  printf 'Subject: times\nDate: Thu, 26 Nov 2026 10:00:00 +0900\n\n'
  grep -v '^#' "$corpus" | cut -f2
} > "$mail"
out=$("$MADOGUCHI" extract --json "$mail")
# One event time per line, as "LINE UTC", the first one of each line.
got=$(printf '%s\n' "$out" | tr '{' '\n' \
      | sed -n 's/^"utc":"\([^"]*\)".*"line":\([0-9]*\)}.*/\2 \1/p' \
      | sort -n -k1,1 -s | awk '!seen[$1]++')

grep -v '^#' "$corpus" > "$TEST_HOME/rows"
n=0
while IFS="$tab" read -r form line want; do
  n=$((n + 1))
  have=$(printf '%s\n' "$got" | sed -n "s/^$n //p")
  is "$have" "$want" "$form: $line"
done < "$TEST_HOME/rows"

# Every line is log evidence, whether its time leads it or follows a
# level, a host, a bracket, a priority or CSV cells: one excerpt runs
# from the first line to the line before the prose (full-names and the
# prose-* rows after it), another from after it.
prose=$(grep -n '^full-names' "$TEST_HOME/rows" | cut -d: -f1)
after=$(grep -n -e '^full-names' -e '^prose-' "$TEST_HOME/rows" | tail -n 1 \
        | cut -d: -f1)
contains "$out" "\"first_line\":1,\"last_line\":$((prose - 1))," \
  "lines 1-$((prose - 1)) are one excerpt"
contains "$out" "\"first_line\":$((after + 1)),\"last_line\":$n," \
  "lines $((after + 1))-$n are one excerpt"
done_testing
