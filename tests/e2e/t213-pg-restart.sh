#!/bin/sh
# PostgreSQL stopped in the middle of 50 deliveries, and restarted (issue
# 23): every delivery exits 0 (the report is safe in the spool), those
# that could not reach the database wait in spool/new, and after
# `spool run` each of the 50 reports is filed exactly once, with
# gap-free numbers.  The server is stopped as by a crash (pg_ctl -m
# immediate) while twenty deliveries are in flight, so that some lose
# it mid-transaction, some before they connect; ten more run while it
# is down.  The test stops its server: it always has one of its own.
. "$(dirname "$0")/lib.sh"
PG_TEST_HOST=
pg_e2e_database
pg_e2e_use_database
# A delivery that cannot reach the database gives up after two seconds
# (busy_timeout) rather than the default minute.
printf '[madoguchi]\nbusy_timeout = 2000\n' > "$TEST_HOME/config.conf"
MADOGUCHI_CONFIG=$TEST_HOME/config.conf
export MADOGUCHI_CONFIG
NEW=$MADOGUCHI_HOME/spool/new

"$MADOGUCHI" init > /dev/null
ok $? "init on PostgreSQL"
make_reports 50 pg-stop

# deliver_one I: delivers report I, its exit status in rc$I.
deliver_one() {
  "$MADOGUCHI" deliver < "$TEST_HOME/m$1.eml" 2> "$TEST_HOME/err$1"
  echo $? > "$TEST_HOME/rc$1"
}

i=1
while [ $i -le 15 ]; do
  deliver_one $i
  i=$((i + 1))
done
is "$(files_in "$NEW")" 0 "15 reports filed while the server runs"

# Twenty in flight, and the server crashes under them once two of them
# are filed: the others are starting, connecting or in a transaction.
while [ $i -le 35 ]; do
  deliver_one $i &
  i=$((i + 1))
done
two_more() {
  [ "$(sql "SELECT COUNT(*) FROM ticket" 2> /dev/null)" -ge 17 ] 2> /dev/null
}
wait_until 60 two_more
pg_stop immediate
ok $? "the server stops (immediate) with deliveries in flight"
wait
echo "# $(($(files_in "$NEW") > 20 ? 0 : 20 - $(files_in "$NEW"))) of the 20 in flight were filed before the stop"

# Ten while it is down: each is spooled and waits.
down_ok=0
while [ $i -le 45 ]; do
  before=$(files_in "$NEW")
  deliver_one $i
  [ "$(cat "$TEST_HOME/rc$i")" = 0 ] \
    && [ "$(files_in "$NEW")" -eq $((before + 1)) ] \
    && down_ok=$((down_ok + 1))
  i=$((i + 1))
done
is "$down_ok" 10 "10 deliveries with the server down: exit 0, each waits in spool/new"
waiting=$(files_in "$NEW")
ok $([ "$waiting" -ge 10 ]; echo $?) "$waiting reports wait in spool/new"

pg_restart
ok $? "the server starts again"
while [ $i -le 50 ]; do
  deliver_one $i
  i=$((i + 1))
done

is "$(failed_deliveries 50)" 0 "all 50 deliveries exit 0"

"$MADOGUCHI" spool run > "$TEST_HOME/run.out" 2> "$TEST_HOME/run.err"
ok $? "spool run after the restart"
is "$(files_in "$NEW")" 0 "  leaves nothing in spool/new"
is "$(files_in "$MADOGUCHI_HOME/spool/failed")" 0 "  nor in spool/failed"

is "$(sql "SELECT COUNT(*) FROM message WHERE message_id LIKE 'pg-stop-%'")" 50 \
  "0 lost: 50 reports filed"
is "$(sql "SELECT message_id FROM message GROUP BY message_id HAVING COUNT(*) > 1")" "" \
  "0 duplicated: none filed twice"
is "$(count_tickets)" 50 "50 tickets"
is "$(sql "SELECT COUNT(DISTINCT number) FROM ticket")" 50 "50 distinct numbers"
is "$(sql "SELECT MAX(seq) - MIN(seq) + 1 FROM ticket")" 50 "numbers are gap-free"
is "$(sql "SELECT COUNT(*) FROM event WHERE what = 'created'")" 50 \
  "50 created events"
is "$(sql "SELECT reply_to FROM outbox GROUP BY reply_to HAVING COUNT(*) > 1")" "" \
  "no report acknowledged twice"

# A retry by the MTA of a report that had waited makes no second ticket.
"$MADOGUCHI" deliver < "$TEST_HOME/m40.eml"
ok $? "report 40 delivered again: exit 0"
is "$(count_tickets)" 50 "  and no new ticket"

done_testing
