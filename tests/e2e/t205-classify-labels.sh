#!/bin/sh
# The labelled corpus (tests/data/classify/LABELS): every report there is
# classified as an analyst labelled it.  A change to the rules or the
# classifier that moves any of them fails here, so that it is either a
# fix of the label or a regression, decided on purpose.
. "$(dirname "$0")/lib.sh"
not_in_pg_pass "uses no store: classify dry runs"

dir=$TEST_DATA_DIR/classify
[ -f "$dir/LABELS" ] || skip_all "no $dir/LABELS"

tab=$(printf '\t')
labelled=0
while IFS="$tab" read -r file want _; do
  case $file in '#'* | '') continue ;; esac
  labelled=$((labelled + 1))
  if [ ! -f "$dir/$file" ]; then
    ok 1 "$file exists"
    continue
  fi
  got=$("$MADOGUCHI" classify --json "$dir/$file" \
        | sed -n 's/^{"category":"\([a-z]*\)".*/\1/p')
  is "$got" "$want" "$file is $want"
done < "$dir/LABELS"

# A label for every report and a report for every label: a report added
# without a label would go untested.
reports=$(find "$dir" -name '*.eml' | wc -l | tr -d ' ')
is "$reports" "$labelled" "every report in classify/ has a label"
done_testing
