#!/bin/sh
# Conflicts between hosts on one PostgreSQL store (issue 23), each made
# to happen on purpose:
#  - a filing that loses a deadlock (40P01) or a serialization failure
#    (40001) is run again by the store, a few times (STORE_TRIES, 4),
#    and only then left in the spool as busy;
#  - a duplicate key (23505) is such a conflict only on a key two hosts
#    may take at the same moment (a report's dedup key); any other is an
#    error, which no retry mends (exit 74 for an operator, not 75);
#  - an operator's change is retried alike;
#  - an incident number taken while another transaction takes one waits
#    for it and takes the next, rather than colliding.
# The conflicts come from a trigger on the event table (its INSERT is
# one a filing sends without waiting: its failure arrives with a later
# statement's answer) raising the SQLSTATE given, counted in a sequence,
# which a rollback does not roll back.
. "$(dirname "$0")/lib.sh"
pg_e2e_database
pg_e2e_use_database
NEW=$MADOGUCHI_HOME/spool/new

"$MADOGUCHI" init > /dev/null
ok $? "init on PostgreSQL"
sql "CREATE SEQUENCE fault_calls;
CREATE TABLE fault_plan (state TEXT, key TEXT, times INTEGER);
CREATE FUNCTION fault () RETURNS trigger LANGUAGE plpgsql AS \$\$
DECLARE
  p fault_plan;
BEGIN
  SELECT * INTO p FROM fault_plan;
  IF FOUND AND nextval ('fault_calls') <= p.times THEN
    IF p.key IS NULL THEN
      RAISE EXCEPTION 'injected %', p.state USING ERRCODE = p.state;
    END IF;
    RAISE EXCEPTION 'injected % on %', p.state, p.key
      USING ERRCODE = p.state, CONSTRAINT = p.key;
  END IF;
  RETURN NEW;
END \$\$;
CREATE TRIGGER fault BEFORE INSERT ON event
  FOR EACH ROW EXECUTE FUNCTION fault ();"
ok $? "a trigger that raises what fault_plan says"

# plan STATE KEY TIMES: the next TIMES inserts into event raise STATE.
plan() {
  sql "DELETE FROM fault_plan; INSERT INTO fault_plan
       VALUES ('$1', NULLIF ('$2', ''), $3);
       SELECT setval ('fault_calls', 1, false)" > /dev/null
}
calls() { sql "SELECT last_value - CASE WHEN is_called THEN 0 ELSE 1 END
               FROM fault_calls"; }

make_reports 5 conflict
# deliver_case I: report I delivered; "exit E, T tickets, W waiting".
deliver_case() {
  "$MADOGUCHI" deliver < "$TEST_HOME/m$1.eml" 2> "$TEST_HOME/err$1"
  echo "exit $?, $(count_tickets) tickets, $(files_in "$NEW") waiting"
}

plan 40P01 "" 2
is "$(deliver_case 1)" "exit 0, 1 tickets, 0 waiting" \
  "two deadlocks in a filing: filed at the third try"
is "$(calls)" 3 "  the event's INSERT ran three times"

plan 40001 "" 1000
is "$(deliver_case 2)" "exit 0, 1 tickets, 1 waiting" \
  "serialization failures every time: left in the spool"
is "$(calls)" 4 "  after four tries"

plan 23505 message_dedup_key_key 1
is "$(deliver_case 3)" "exit 0, 2 tickets, 1 waiting" \
  "a dedup key taken at the same moment: filed at the second try"
is "$(calls)" 2 "  the event's INSERT ran twice"

plan 23505 indicator_message_id_kind_value_key 1000
is "$(deliver_case 4)" "exit 0, 2 tickets, 2 waiting" \
  "any other duplicate key: not filed, left in the spool"
is "$(calls)" 1 "  and not tried again"

plan 40P01 "" 1
number=$("$MADOGUCHI" list --all --format csv | sed -n '2s/,.*//p')
"$MADOGUCHI" comment "$number" "a deadlock first" 2> "$TEST_HOME/comment.err"
ok $? "an operator's comment that loses a deadlock is retried"
is "$(calls)" 2 "  the event's INSERT ran twice"
plan 23505 contact_match_key 1000
"$MADOGUCHI" comment "$number" "a real duplicate" 2> "$TEST_HOME/comment.err"
is "$?" 74 "a comment failing on a real duplicate key: exit 74, not 75"
plan 40P01 "" 1000
"$MADOGUCHI" comment "$number" "always deadlocked" 2> "$TEST_HOME/comment.err"
is "$?" 75 "a comment that always loses: exit 75 (try again later)"
sql "DELETE FROM fault_plan"

# An incident taken while another transaction holds an uncommitted one
# of the same year: the command waits, then takes the next number.
year=$(date +%Y)
mkfifo "$TEST_HOME/psql.in"
"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$PG_E2E_URI" \
  < "$TEST_HOME/psql.in" > "$TEST_HOME/psql.out" 2>&1 &
psql_pid=$!
exec 3> "$TEST_HOME/psql.in"
echo "BEGIN; INSERT INTO incident (number, year, seq, title, created)
      VALUES ('INC-$year-0001', $year, 1, 'held', 0);" >&3
# Locks of this test's database's sessions: the run's server has others.
locks() {
  sql "SELECT COUNT(*) FROM pg_locks l JOIN pg_stat_activity a
       ON a.pid = l.pid WHERE a.datname = current_database () AND $1"
}
held() {
  [ "$(locks "l.relation = 'incident'::regclass
              AND l.mode = 'RowExclusiveLock' AND l.granted")" -ge 1 ]
}
waiting() {
  [ "$(locks "NOT l.granted")" -ge 1 ]
}
wait_until 30 held
ok $? "another transaction holds an incident it has not committed"
"$MADOGUCHI" incident new "at the same moment" > "$TEST_HOME/inc.out" \
  2> "$TEST_HOME/inc.err" &
inc_pid=$!
wait_until 30 waiting
ok $? "incident new waits for it"
echo "COMMIT;" >&3
exec 3>&-
wait "$psql_pid"
wait "$inc_pid"
is "$?" 0 "incident new then succeeds"
is "$(sql "SELECT number FROM incident WHERE title = 'at the same moment'")" \
  "INC-$year-0002" "  with the next number"

# Ten at once: ten numbers, none twice.
i=1
while [ $i -le 10 ]; do
  ("$MADOGUCHI" incident new "parallel $i" > /dev/null 2> "$TEST_HOME/p$i.err"
    echo $? > "$TEST_HOME/prc$i") &
  i=$((i + 1))
done
wait
is "$(cat "$TEST_HOME"/prc* | sort | uniq -c | tr -s ' ')" " 10 0" \
  "ten incident new at once: all exit 0"
is "$(sql "SELECT COUNT(DISTINCT number) FROM incident")" 12 \
  "  twelve distinct numbers"
is "$(sql "SELECT MAX(seq) FROM incident WHERE year = $year")" 12 \
  "  without a gap"

done_testing
