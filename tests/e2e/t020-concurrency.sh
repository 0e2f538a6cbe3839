#!/bin/sh
# 50 deliveries at the same moment: 50 tickets, 50 distinct numbers, and
# no delivery fails on a locked database.
. "$(dirname "$0")/lib.sh"

"$MADOGUCHI" init > /dev/null
ok $? "init creates the database and spool"

make_reports 50 concurrent

i=1
while [ $i -le 50 ]; do
  ( "$MADOGUCHI" deliver < "$TEST_HOME/m$i.eml"; echo $? > "$TEST_HOME/rc$i" ) &
  i=$((i + 1))
done
wait

is "$(failed_deliveries 50)" 0 "all 50 concurrent deliveries exit 0"
is "$(count_tickets)" 50 "50 tickets"
is "$(sql "SELECT COUNT(DISTINCT number) FROM ticket")" 50 "50 distinct numbers"
is "$(sql "SELECT MAX(seq) - MIN(seq) + 1 FROM ticket")" 50 "numbers are gap-free"
is "$(files_in "$MADOGUCHI_HOME/spool/new")" 0 "none waits in the spool"
is "$(sql "SELECT COUNT(*) FROM event WHERE what = 'created'")" 50 "50 created events"

done_testing
