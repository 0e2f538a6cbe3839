#!/bin/sh
# stats and export: the totals and the per-category counts agree with
# the database in every format; CSV, JSON, SVG and JSON Lines are well
# formed; the chart is replaced atomically; filters and bad periods; the
# configuration keys are documented.
# python3 and xmllint are used when present; without them the checks
# fall back to grep (CI images may lack both).
. "$(dirname "$0")/lib.sh"

categories="dos ddos spoofing abuse intrusion scan other"
have() { command -v "$1" >/dev/null 2>&1; }

for f in "$TEST_DATA_DIR"/*.eml; do
  deliver "$f"
done
tickets=$(sql "SELECT COUNT(*) FROM ticket")
ok $([ "$tickets" -gt 0 ]; echo $?) "the samples are filed ($tickets tickets)"

# by_category CAT: reports of category CAT in the database.
by_category() {
  sql "SELECT COUNT(*) FROM ticket WHERE merged_into IS NULL AND category = '$1'"
}

# --- the table ----------------------------------------------------------

"$MADOGUCHI" stats > "$TEST_HOME/stats.txt"
ok $? "stats exits 0"
reports_line=$(grep '^total ' "$TEST_HOME/stats.txt" | sed -n 1p)
incidents_line=$(grep '^total ' "$TEST_HOME/stats.txt" | sed -n 2p)
is "$(echo "$reports_line" | awk '{ print $NF }')" "$tickets" \
  "table: the reports total is the number of tickets"
is "$(echo "$incidents_line" | awk '{ print $NF }')" "$tickets" \
  "table: without incidents, every ticket is one"
months=$(grep -c '^[0-9][0-9][0-9][0-9]-[0-9][0-9] ' "$TEST_HOME/stats.txt")
is "$months" 36 "table: the last 12 months by default, in the three tables (reports, incidents, notifications)"
col=2
for cat in $categories; do
  is "$(echo "$reports_line" | awk -v c=$col '{ print $c }')" \
    "$(by_category "$cat")" "table: $cat total matches the database"
  col=$((col + 1))
done
contains "$(cat "$TEST_HOME/stats.txt")" "192.0.2.45" \
  "table: a reported address is among the top sources"
contains "$(cat "$TEST_HOME/stats.txt")" "192.0.2.0/24" \
  "table: its /24 is among the top prefixes"

# --- CSV ------------------------------------------------------------------

"$MADOGUCHI" stats --format csv > "$TEST_HOME/stats.csv"
ok $? "stats --format csv exits 0"
is "$(head -n 1 "$TEST_HOME/stats.csv")" "table,row,column,value" \
  "csv: the header"
is "$(grep -c '^reports,' "$TEST_HOME/stats.csv")" $((13 * 8)) \
  "csv: 12 months and the totals, 7 categories and a total each"
is "$(grep -c '^incidents,' "$TEST_HOME/stats.csv")" $((13 * 8)) \
  "csv: the same for incidents"
is "$(grep '^reports,total,total,' "$TEST_HOME/stats.csv")" \
  "reports,total,total,$tickets" "csv: the total is the number of tickets"
for cat in $categories; do
  is "$(grep "^reports,total,$cat," "$TEST_HOME/stats.csv" | cut -d, -f4)" \
    "$(by_category "$cat")" "csv: $cat total matches the database"
done
incoming="FROM message WHERE direction = 'in'"
sent=$(sql "SELECT COUNT(*) $incoming AND ack = 'acknowledged'")
is "$(grep '^acknowledgements,acknowledged,' "$TEST_HOME/stats.csv" \
      | cut -d, -f4)" \
  "$sent" "csv: acknowledgements made match the database"
suppressed=$(sql "SELECT COUNT(*) $incoming AND ack IS DISTINCT FROM 'acknowledged'")
is "$(grep '^acknowledgements,suppressed,' "$TEST_HOME/stats.csv" \
      | cut -d, -f4)" \
  "$suppressed" "csv: acknowledgements suppressed match the database"

# --- operators act: a category, a merge, an incident ------------------------

number() { sql "SELECT number FROM ticket WHERE id = $1"; }
"$MADOGUCHI" set "$(number 1)" --category ddos --as alice
ok $? "an operator changes a category"
"$MADOGUCHI" merge "$(number 2)" "$(number 1)" --as alice > /dev/null
ok $? "an operator merges a ticket into another"
"$MADOGUCHI" incident new "Scan wave" "$(number 3)" "$(number 4)" \
  --as bob > /dev/null
ok $? "an operator groups two tickets into an incident"
reports=$(sql "SELECT COUNT(*) FROM ticket WHERE merged_into IS NULL")
incidents=$(sql "SELECT COUNT(DISTINCT COALESCE(incident_id, -id)) FROM ticket WHERE merged_into IS NULL")
is "$reports $incidents" "$((tickets - 1)) $((tickets - 2))" \
  "the database has one report and two incidents fewer"

# --- JSON -----------------------------------------------------------------

"$MADOGUCHI" stats --json > "$TEST_HOME/stats.json"
ok $? "stats --json exits 0"
is "$(wc -l < "$TEST_HOME/stats.json" | tr -d ' ')" 1 "json: one line"
if have python3; then
  python3 -m json.tool "$TEST_HOME/stats.json" > /dev/null
  ok $? "json: parses (python3 -m json.tool)"
  is "$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(d["totals"]["total"], sum(m["total"] for m in d["months"]),
      d["incidents"]["totals"]["total"], d["first_action"]["acted"] >= 1,
      d["totals"]["ddos"] >= 1)' "$TEST_HOME/stats.json")" \
    "$reports $reports $incidents True True" \
    "json: reports, the months' sum, incidents, tickets acted on"
else
  case "$(cat "$TEST_HOME/stats.json")" in
    '{"since":'*'}') ok 0 "json: one object (python3 absent: grep only)" ;;
    *) ok 1 "json: one object (python3 absent: grep only)" ;;
  esac
fi
json=$(cat "$TEST_HOME/stats.json")
contains "$json" "\"total\":$reports,\"notifications\":0}],\"totals\"" \
  "json: the reports total leaves out the merged ticket"
contains "$json" "\"total\":$incidents}}," \
  "json: the incidents total counts an incident once"
case "$json" in
  *'"acted":0,'*) ok 1 "json: tickets acted on" ;;
  *'"acted":'*) ok 0 "json: tickets acted on" ;;
  *) ok 1 "json: tickets acted on" ;;
esac
contains "$json" '"median_seconds":' "json: a median time to first action"
totals=$(printf '%s' "$json" | sed 's/,"incidents":.*//; s/.*"totals":{//')
for cat in $categories; do
  contains "$totals" "\"$cat\":$(by_category "$cat")," \
    "json: $cat total matches the database"
done

# --- SVG ------------------------------------------------------------------

svg="$TEST_HOME/chart.svg"
"$MADOGUCHI" stats --svg "$svg" > /dev/null
ok $? "stats --svg exits 0"
if have xmllint; then
  xmllint --noout "$svg"
  ok $? "svg: well-formed (xmllint)"
else
  head -n 1 "$svg" | grep -q '^<?xml version="1.0"' \
    && tail -n 1 "$svg" | grep -q '^</svg>$'
  ok $? "svg: XML declaration and closing tag (xmllint absent)"
  is "$(grep -o '<text' "$svg" | wc -l)" "$(grep -o '</text>' "$svg" | wc -l)" \
    "svg: every text element is closed (xmllint absent)"
fi
svg_text=$(cat "$svg")
contains "$svg_text" ">$reports</text>" "svg: the month's total is on its bar"
contains "$svg_text" "$reports reports, $incidents incidents" \
  "svg: the subtitle counts reports and incidents"
scan=$(by_category scan)
contains "$svg_text" ">scan ($scan)</text>" "svg: the legend counts scans"
contains "$svg_text" ">$scan</text>" "svg: the scan segment shows its count"
for cat in $categories; do
  contains "$svg_text" ">$cat (" "svg: the legend has $cat"
done
contains "$svg_text" ">Month (local time)</text>" "svg: an x axis label"
contains "$svg_text" ">Reports, notifications</text>" "svg: a y axis label"
contains "$svg_text" ">notifications (" "svg: the legend has the notifications"

# Replaced, not rewritten in place: a new inode, no temporary left over.
inode=$(ls -i "$svg" | awk '{ print $1 }')
"$MADOGUCHI" stats --svg "$svg" > /dev/null
ok $? "stats --svg over an existing chart exits 0"
ok $([ "$(ls -i "$svg" | awk '{ print $1 }')" != "$inode" ]; echo $?) \
  "svg: the chart is renamed into place"
is "$(ls "$TEST_HOME" | grep -c '^chart\.svg.')" 0 "svg: no temporary file left"
"$MADOGUCHI" stats --svg "$TEST_HOME/no/such/dir/chart.svg" > /dev/null 2>&1
is $? 73 "svg: an unwritable path exits EX_CANTCREAT"

# --- periods ---------------------------------------------------------------

"$MADOGUCHI" stats --since 30d --format csv > "$TEST_HOME/30d.csv"
is "$(grep '^reports,total,total,' "$TEST_HOME/30d.csv")" \
  "reports,total,total,$reports" "--since 30d: today's tickets count"
tomorrow=$(date -d tomorrow +%Y-%m-%d 2>/dev/null || echo 2999-01-01)
"$MADOGUCHI" stats --since "$tomorrow" --until 2999-12-31 --format csv \
  > "$TEST_HOME/later.csv"
is "$(grep '^reports,total,total,' "$TEST_HOME/later.csv")" \
  "reports,total,total,0" "--since tomorrow: nothing"
"$MADOGUCHI" stats --since yesterday 2> "$TEST_HOME/err"
is $? 64 "a bad --since exits EX_USAGE"
contains "$(cat "$TEST_HOME/err")" "not a date" "and says why"
"$MADOGUCHI" stats --since 2026-06 --until 2026-01 2> /dev/null
is $? 64 "an empty period exits EX_USAGE"

# --- export ----------------------------------------------------------------

"$MADOGUCHI" export > "$TEST_HOME/export.jsonl"
ok $? "export exits 0"
is "$(wc -l < "$TEST_HOME/export.jsonl" | tr -d ' ')" "$tickets" \
  "export: one line per ticket"
line_re='^{"number":"[0-9]*-[0-9]*",.*"messages":\[.*"indicators":\[.*\]}$'
is "$(grep -c "$line_re" "$TEST_HOME/export.jsonl")" \
  "$tickets" "export: every line is a ticket with messages and indicators"
contains "$(grep "^{\"number\":\"$(number 2)\"" "$TEST_HOME/export.jsonl")" \
  "\"merged_into\":\"$(number 1)\",\"messages\":[]" \
  "export: a merged ticket names where its messages went"
contains "$(grep "^{\"number\":\"$(number 3)\"" "$TEST_HOME/export.jsonl")" \
  '"incident":"' "export: a ticket's incident"
if have python3; then
  python3 -c 'import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    t = json.loads(line)
    for m in t["messages"]:
        keys = {"message_id", "from", "subject", "date", "received", "text"}
        assert keys <= set(m)
    for i in t["indicators"]:
        keys = {"kind", "value", "count", "first_seen", "last_seen"}
        assert keys <= set(i)' \
    "$TEST_HOME/export.jsonl"
  ok $? "export: every line parses, with the documented keys (python3)"
fi
contains "$(cat "$TEST_HOME/export.jsonl")" "【報告】ポートスキャンについて" \
  "export: decoded Japanese subjects"
scans=$(sql "SELECT COUNT(*) FROM ticket WHERE category = 'scan'")
is "$("$MADOGUCHI" export --category scan | wc -l | tr -d ' ')" "$scans" \
  "export --category scan: the scan tickets"
is "$("$MADOGUCHI" export --status open | wc -l | tr -d ' ')" \
  "$(sql "SELECT COUNT(*) FROM ticket WHERE status = 'open'")" \
  "export --status open: the open tickets"
is "$("$MADOGUCHI" export --since "$tomorrow" | wc -l | tr -d ' ')" 0 \
  "export --since tomorrow: nothing"

"$MADOGUCHI" export --format csv > "$TEST_HOME/export.csv"
ok $? "export --format csv exits 0"
is "$(head -n 1 "$TEST_HOME/export.csv")" \
  "number,created,status,category,owner,reporter,subject,indicators" \
  "export csv: the header"
if have python3; then
  rows=$(python3 -c 'import csv, sys
f = open(sys.argv[1], encoding="utf-8", newline="")
print(len(list(csv.reader(f))) - 1)' \
    "$TEST_HOME/export.csv")
else
  rows=$(($(grep -c '^[0-9][0-9][0-9][0-9]-[0-9]*,' "$TEST_HOME/export.csv")))
fi
is "$rows" "$tickets" "export csv: one row per ticket"
contains "$(cat "$TEST_HOME/export.csv")" \
  "$(sql "SELECT number FROM ticket WHERE id = 1"),$(date -u +%Y)-" \
  "export csv: created in ISO 8601"
contains "$(grep ',scan,' "$TEST_HOME/export.csv")" "192.0.2.45" \
  "export csv: indicator values"
"$MADOGUCHI" export --category nonsense 2> /dev/null
is $? 64 "export: an unknown category exits EX_USAGE"
"$MADOGUCHI" export --format xml 2> /dev/null
is $? 64 "export: an unknown format exits EX_USAGE"

# --- documentation ---------------------------------------------------------

# Every key `config` prints is described in madoguchi.conf(5).
man5="$TEST_DATA_DIR/../../doc/madoguchi.conf.5"
missing=""
for key in $("$MADOGUCHI" config | sed -n 's/^\([a-z_]*\) =.*/\1/p'); do
  grep -q "^\.B $key\$" "$man5" || missing="$missing $key"
done
is "$missing" "" "madoguchi.conf(5) describes every configuration key"
# Every command `help` lists is described in madoguchi(1).
man1="$TEST_DATA_DIR/../../doc/madoguchi.1"
missing=""
for cmd in $("$MADOGUCHI" help | awk '/^commands:/ { on = 1; next }
                                      on && /^  [a-z]/ { print $1 }'); do
  grep -q "^\.B $cmd\( \|\$\)" "$man1" || missing="$missing $cmd"
done
is "$missing" "" "madoguchi(1) describes every command"
if have bash; then
  bash -n "$TEST_DATA_DIR/../../doc/madoguchi.bash-completion"
  ok $? "the bash completion is valid bash"
fi

done_testing
