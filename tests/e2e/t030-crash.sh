#!/bin/sh
# SIGKILL at random points of deliver loses nothing.  As an MTA does, a
# delivery that did not exit 0 is retried; after `spool run` every
# message is filed exactly once.
. "$(dirname "$0")/lib.sh"

N=${CRASH_ROUNDS:-40}
"$MADOGUCHI" init > /dev/null

# A report with a ~1 MB log attachment, so that each step takes a while.
make_message() {
  printf 'From: crash@example.net\nTo: info@cert.example.jp\n'
  printf 'Subject: crash test %s\nMessage-ID: <crash-%s@example.net>\n' "$1" "$1"
  printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n'
  i=0
  while [ $i -lt 200 ]; do
    printf 'Nov 24 03:12:%02d host sshd[123]: Failed password for root from 203.0.113.%d port 4%04d ssh2\n' $((i % 60)) $((i % 250)) $i
    i=$((i + 1))
  done
}

round=1
killed=0
while [ $round -le $N ]; do
  make_message $round > "$TEST_HOME/c.eml"
  # Kill after 0 to 29 ms: before, during and after the spool commit.
  delay=$(awk -v r=$round 'BEGIN { srand(r * 7919); printf "0.%03d", int(rand() * 30) }')
  "$MADOGUCHI" deliver < "$TEST_HOME/c.eml" &
  pid=$!
  sleep "$delay"
  kill -9 $pid 2>/dev/null && killed=$((killed + 1))
  wait $pid
  status=$?
  if [ $status -ne 0 ]; then
    # The MTA still holds the message: it retries.
    "$MADOGUCHI" deliver < "$TEST_HOME/c.eml"
    status=$?
  fi
  [ $status -eq 0 ] || echo "# round $round: retry exited $status"
  round=$((round + 1))
done
echo "# $killed of $N deliveries were killed; $(files_in "$MADOGUCHI_HOME/spool/new") left in spool/new"

"$MADOGUCHI" spool run > /dev/null
ok $? "spool run files whatever the kills left behind"
is "$(sql "SELECT COUNT(DISTINCT message_id) FROM message")" "$N" "every message is filed"
is "$(count_tickets)" "$N" "exactly once"
is "$(files_in "$MADOGUCHI_HOME/spool/new")" 0 "spool/new is empty"
if on_sqlite; then
  is "$(sql "PRAGMA integrity_check")" ok "the database is intact"
fi

done_testing
