#!/bin/sh
# Two hosts, one PostgreSQL store (issue 23): two data directories (two
# MX hosts, each with its own spool) deliver 50 reports at the same
# moment into one database: none fails, 50 tickets with 50 distinct,
# gap-free numbers, nothing left waiting in either spool, and both hosts
# see the same tickets.
. "$(dirname "$0")/lib.sh"
pg_e2e_database
pg_e2e_use_database

host_a=$MADOGUCHI_HOME
host_b=$TEST_HOME/host-b
mkdir -m 0700 "$host_b"
"$MADOGUCHI" init > /dev/null
ok $? "host A: init on the database"
MADOGUCHI_HOME=$host_b "$MADOGUCHI" init > /dev/null
ok $? "host B: init on the same database"

make_reports 50 two-hosts

# Odd reports reach host A, even ones host B, all at once.
i=1
while [ $i -le 50 ]; do
  home=$host_a
  [ $((i % 2)) -eq 0 ] && home=$host_b
  (
    MADOGUCHI_HOME=$home "$MADOGUCHI" deliver < "$TEST_HOME/m$i.eml" \
      2> "$TEST_HOME/err$i"
    echo $? > "$TEST_HOME/rc$i"
  ) &
  i=$((i + 1))
done
wait

is "$(failed_deliveries 50)" 0 "all 50 deliveries on two hosts exit 0"
is "$(files_in "$host_a/spool/new")" 0 "none waits in host A's spool"
is "$(files_in "$host_b/spool/new")" 0 "none waits in host B's spool"
is "$(count_tickets)" 50 "50 tickets"
is "$(sql "SELECT COUNT(DISTINCT number) FROM ticket")" 50 "50 distinct numbers"
is "$(sql "SELECT MAX(seq) - MIN(seq) + 1 FROM ticket")" 50 "numbers are gap-free"
is "$(sql "SELECT MIN(seq) FROM ticket")" 1 "  from the first"
is "$(sql "SELECT COUNT(DISTINCT message_id) FROM message")" 50 \
  "each report filed once"
is "$(sql "SELECT COUNT(*) FROM event WHERE what = 'created'")" 50 \
  "50 created events"
"$MADOGUCHI" list --all --json > "$TEST_HOME/a.json"
MADOGUCHI_HOME=$host_b "$MADOGUCHI" list --all --json > "$TEST_HOME/b.json"
cmp -s "$TEST_HOME/a.json" "$TEST_HOME/b.json"
ok $? "both hosts list the same tickets"

# A redelivery to the other host (an MTA's retry through the second MX)
# makes no second ticket.
MADOGUCHI_HOME=$host_b "$MADOGUCHI" deliver < "$TEST_HOME/m1.eml"
ok $? "report 1 again, through host B: exit 0"
is "$(count_tickets)" 50 "  and no new ticket"

done_testing
