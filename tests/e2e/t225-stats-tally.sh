#!/bin/sh
# The counts stats reads (table tally, kept by triggers: store-tally.c)
# stay exact: after filing, re-categorising, merging, incidents, changes
# and deletions made by hand in SQL, and in the copy `migrate --to`
# makes, and after the schema's step from version 10 (a store of before
# the tally); each time they are compared with a count of the rows, and
# the stats tables with counts of the tickets.  On both stores (in the
# PostgreSQL pass, also a copy from SQLite into PostgreSQL).  And
# list --reporter, which looks reporters up in table reporter, finds
# what a scan of the tickets finds.  migrate --to copies an empty chunk
# of a message's bytes (it was bound as NULL, and the copy failed).
. "$(dirname "$0")/lib.sh"

# What tally must hold, counted from the rows: portable SQL (SQLite and
# PostgreSQL), as the triggers count.
hour() { echo "$1 - (($1 % 3600) + 3600) % 3600"; }
counted="SELECT 'ticket' AS kind, $(hour created) AS hour, category AS label,
  COUNT(*) AS n FROM ticket WHERE merged_into IS NULL GROUP BY 1, 2, 3
  UNION ALL SELECT 'loose', $(hour created), category, COUNT(*) FROM ticket
  WHERE merged_into IS NULL AND incident_id IS NULL GROUP BY 1, 2, 3
  UNION ALL SELECT 'ack', $(hour received), COALESCE (ack, ''), COUNT(*)
  FROM message WHERE direction = 'in' GROUP BY 1, 2, 3"
kept="SELECT kind, hour, label, n FROM tally WHERE n <> 0"
# Rows in one and not the other, both ways, and reporters missing.
check_sql="SELECT (SELECT COUNT(*) FROM (SELECT * FROM ($counted) AS c
  EXCEPT SELECT * FROM ($kept) AS k) AS x)
  + (SELECT COUNT(*) FROM (SELECT * FROM ($kept) AS k
  EXCEPT SELECT * FROM ($counted) AS c) AS y)
  + (SELECT COUNT(*) FROM (SELECT reporter FROM ticket
  WHERE reporter IS NOT NULL EXCEPT SELECT reporter FROM reporter) AS z)"

# exact WHAT: tally agrees with the rows of the test's store.
exact() {
  is "$(sql "$check_sql")" 0 "tally is exact $1"
}

# stats_agree WHAT: the stats totals are the tickets' counts.
stats_agree() {
  "$MADOGUCHI" stats --since 1970-01 --format csv > "$TEST_HOME/stats.csv"
  for cat in dos ddos spoofing abuse intrusion scan other; do
    want=$(sql "SELECT COUNT(*) FROM ticket WHERE merged_into IS NULL
      AND category = '$cat'")
    got=$(grep "^reports,total,$cat," "$TEST_HOME/stats.csv" | cut -d, -f4)
    [ "$got" = "$want" ] || { is "$got" "$want" "stats: $cat reports $1"; return; }
  done
  want=$(sql "SELECT COUNT(*) + (SELECT COUNT(DISTINCT incident_id) FROM ticket
    WHERE merged_into IS NULL) FROM ticket WHERE merged_into IS NULL
    AND incident_id IS NULL")
  is "$(grep '^incidents,total,total,' "$TEST_HOME/stats.csv" | cut -d, -f4)" \
    "$want" "stats: reports per category and incidents agree $1"
}

for f in "$TEST_DATA_DIR"/*.eml; do
  deliver "$f"
done
tickets=$(sql "SELECT COUNT(*) FROM ticket")
ok $([ "$tickets" -gt 3 ]; echo $?) "the samples are filed ($tickets tickets)"
exact "after filing"
stats_agree "after filing"

numbers=$(sql "SELECT number FROM ticket ORDER BY id" | tr '\n' ' ')
set -- $numbers
A=$1 B=$2 C=$3 D=$4
"$MADOGUCHI" set "$A" --category scan > /dev/null \
  && "$MADOGUCHI" set "$B" --category ddos --status resolved > /dev/null
ok $? "set --category"
exact "after set --category"
"$MADOGUCHI" merge "$A" "$C" > /dev/null
ok $? "merge"
exact "after merge"
"$MADOGUCHI" incident new "tally" "$B" > "$TEST_HOME/inc.out" \
  && INC=$(grep -Eo 'INC-[0-9]+-[0-9]+' "$TEST_HOME/inc.out" | sed -n 1p) \
  && "$MADOGUCHI" incident add "$INC" "$C" > /dev/null \
  && "$MADOGUCHI" incident add "$INC" "$D" > /dev/null \
  && "$MADOGUCHI" incident remove "$D" > /dev/null
ok $? "incident new, add and remove"
exact "after incidents"
stats_agree "after set, merge and incidents"

# By hand, in SQL: a ticket's time and an acknowledgement decision
# changed, a ticket inserted and one deleted.
sql "UPDATE ticket SET created = created - 40 * 86400 WHERE number = '$D'"
sql "UPDATE message SET ack = 'changed-by-hand' WHERE id = (SELECT MIN (id)
  FROM message WHERE direction = 'in')"
sql "INSERT INTO ticket (number, year, seq, created, updated, category,
  reporter) VALUES ('1999-000001', 1999, 1, 100, 100, 'scan', 'Hand@X.example')"
sql "INSERT INTO ticket (number, year, seq, created, updated, category)
  VALUES ('1999-000002', 1999, 2, 200, 200, 'dos')"
sql "DELETE FROM ticket WHERE number = '1999-000002'"
exact "after changes, an insert and a delete by hand"
stats_agree "after changes by hand"
contains "$("$MADOGUCHI" stats --since 1970-01 --format csv)" \
  "reports,1970-01,scan,1" "stats: a ticket of 1970 counts in its month"

# list --reporter: the reporters that match, their tickets.
want=$(sql "SELECT COUNT(*) FROM ticket WHERE merged_into IS NULL
  AND lower (reporter) LIKE '%hand@x%'")
is "$("$MADOGUCHI" list --all --reporter HAND@x --json | grep -c '"number":')" \
  "$want" "list --reporter finds, case aside, what a scan finds ($want)"
r=$(sql "SELECT reporter FROM ticket WHERE number = '$B'")
want=$(sql "SELECT COUNT(*) FROM ticket WHERE merged_into IS NULL
  AND reporter = '$r'")
is "$("$MADOGUCHI" list --all --reporter "$r" --json | grep -c '"number":')" \
  "$want" "list --reporter $r"

# --- migrate --to: the copy's counts are its own rows' ------------------

"$MADOGUCHI" stats --since 1970-01 --format csv > "$TEST_HOME/stats-source.csv"
mkdir -m 0700 "$TEST_HOME/copy"
"$MADOGUCHI" migrate --to "$TEST_HOME/copy/madoguchi.db" > /dev/null
ok $? "migrate --to a new SQLite file"
is "$(sqlite "$TEST_HOME/copy/madoguchi.db" "$check_sql")" 0 \
  "tally is exact in the SQLite copy"
MADOGUCHI_HOME=$TEST_HOME/copy MADOGUCHI_DATABASE= "$MADOGUCHI" stats \
  --since 1970-01 --format csv > "$TEST_HOME/stats-copy.csv"
is "$(cmp "$TEST_HOME/stats-source.csv" "$TEST_HOME/stats-copy.csv" 2>&1)" "" \
  "stats of the SQLite copy are the source's"

if ! on_sqlite; then
  # The SQLite copy into a second PostgreSQL database.
  PG2=$(pg_createdb "$PG_E2E_DB-copy") || exit 1
  MADOGUCHI_HOME=$TEST_HOME/copy MADOGUCHI_DATABASE= "$MADOGUCHI" migrate \
    --to "$PG2" > /dev/null
  ok $? "migrate the SQLite copy --to PostgreSQL"
  is "$(pg_psql "$PG2" "$check_sql")" 0 "tally is exact in the PostgreSQL copy"
  MADOGUCHI_DATABASE=$PG2 "$MADOGUCHI" stats --since 1970-01 --format csv \
    > "$TEST_HOME/stats-copy2.csv"
  is "$(cmp "$TEST_HOME/stats-source.csv" "$TEST_HOME/stats-copy2.csv" 2>&1)" \
    "" "stats of the PostgreSQL copy are the source's"
  pg_dropdb "$PG_E2E_DB-copy" 2> /dev/null
fi

# --- the step from schema 10 to 11 counts the rows already there ------

if on_sqlite; then
  sql "DROP TRIGGER tally_ticket_insert; DROP TRIGGER tally_ticket_delete;
    DROP TRIGGER tally_ticket_update; DROP TRIGGER tally_message_insert;
    DROP TRIGGER tally_message_delete; DROP TRIGGER tally_message_update;
    DROP TABLE tally; DROP TABLE reporter; DROP INDEX message_received;
    DROP INDEX indicator_scope; DROP INDEX event_action;
    PRAGMA user_version = 10"
else
  sql "DROP TRIGGER tally_ticket ON ticket; DROP TRIGGER tally_message ON
    message; DROP FUNCTION tally_ticket (); DROP FUNCTION tally_message ();
    DROP FUNCTION tally_add (TEXT, BIGINT, TEXT, BIGINT); DROP TABLE tally;
    DROP TABLE reporter; DROP INDEX message_received, indicator_scope,
    event_action; UPDATE setting SET value = '10'
    WHERE name = 'schema_version'"
fi
ok $? "the store taken back to schema 10"
"$MADOGUCHI" list > /dev/null
ok $? "a command opens it (and steps it to 11)"
exact "after the step from schema 10"
"$MADOGUCHI" stats --since 1970-01 --format csv > "$TEST_HOME/stats-11.csv"
is "$(cmp "$TEST_HOME/stats-source.csv" "$TEST_HOME/stats-11.csv" 2>&1)" "" \
  "stats after the step are as before it"

done_testing
