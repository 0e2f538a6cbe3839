#!/bin/sh
# Event times as logs write them (tests/data/timestamps.tsv): every form
# of fail2ban's date detector templates and the common zone spellings,
# at the start of a line or after a level, a host or a bracket.  Each
# line's first event time is the one the corpus expects, in UTC.
. "$(dirname "$0")/lib.sh"

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
# One event time per line, as "LINE UTC", the first one of each line.
got=$("$MADOGUCHI" extract --json "$mail" | tr '{' '\n' \
      | sed -n 's/^"utc":"\([^"]*\)".*"line":\([0-9]*\)}.*/\2 \1/p' \
      | sort -n -k1,1 -s | awk '!seen[$1]++')

grep -v '^#' "$corpus" > "$TEST_HOME/rows"
n=0
while IFS="$tab" read -r form line want; do
  n=$((n + 1))
  have=$(printf '%s\n' "$got" | sed -n "s/^$n //p")
  is "$have" "$want" "$form: $line"
done < "$TEST_HOME/rows"
done_testing
