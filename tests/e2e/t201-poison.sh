#!/bin/sh
# poison: a spool entry whose processing kills its process does not stop
# `spool run` (issue 16, item 2).  Each entry is filed by a child of its
# own under deliver's watchdog; an entry that kills its child is counted
# (per content: the MTA's copies of it count together), and after three
# attempts it goes to spool/quarantine/ with why, shown by `spool list`;
# later copies of it are removed, and `spool retry` brings it back.
#
# The poison is a 48 MB log with max_part_text 64M: filing it needs some
# 300 MB, and `spool run` runs under ulimit -v 60 MB (a normal report
# needs under 30 MB), so g_malloc aborts its child, as the issue's 3 M
# parts did under prlimit.  Not under ASan (no ulimit -v there).  The
# watchdog case holds the database's write lock past deliver_timeout.
dir=$(dirname "$0")
. "$dir/lib.sh"
. "$dir/hostile-lib.sh"

command -v sqlite3 > /dev/null || skip_all "no sqlite3"

printf '[madoguchi]\ndeliver_timeout = 5\nmax_part_text = 64M\n' \
  > "$TEST_HOME/poison.conf"
MADOGUCHI_CONFIG=$TEST_HOME/poison.conf
SPOOL=$MADOGUCHI_HOME/spool
"$MADOGUCHI" init > /dev/null || exit 1

# spool_put NAME FILE: FILE as the spool entry NAME in new/, as deliver
# writes it (spool.h), without filing it.  Names sort as they arrive.
spool_put() {
  n=$(wc -c < "$2" | tr -d ' ')
  {
    printf 'madoguchi-spool 1 size=%020d kept=%020d from=r%%40example.net\n' \
      "$n" "$n"
    cat "$2"
  } > "$SPOOL/new/$1"
}

normal() {
  printf 'From: Reporter <r@example.net>\nTo: info@cert.example.jp\n'
  printf 'Subject: scan %s\nDate: Thu, 26 Nov 2026 10:00:00 +0900\n' "$1"
  printf 'Message-ID: <normal-%s@example.net>\n\n' "$1"
  printf 'port scan from 192.0.2.%s\n' "$1"
}

# spool_run: spool run under the memory limit; sets rc, out.
spool_run() {
  out=$( (ulimit -v 60000 && exec "$MADOGUCHI" spool run) 2> "$TEST_HOME/err")
  rc=$?
}

subjects() {
  sql "SELECT subject FROM message ORDER BY subject" | paste -s -d , -
}

if hostile_is_asan; then
  echo "# AddressSanitizer build: no ulimit -v, the memory poison is skipped"
else
  printf 'From: Reporter <r@example.net>\nSubject: a big log\n' > "$TEST_HOME/poison.eml"
  printf 'Message-ID: <poison@example.net>\n\n' >> "$TEST_HOME/poison.eml"
  awk 'BEGIN { for (i = 0; i < 800000; i++)
    printf "2026-11-26 10:00:00 sshd probe from 192.0.2.1 port 22 failed\n" }' \
    >> "$TEST_HOME/poison.eml"
  for i in 1 2; do normal "$i" > "$TEST_HOME/n$i.eml"; done

  spool_put 1796600001.M1P1Rpoison1 "$TEST_HOME/poison.eml"
  spool_put 1796600002.M1P1Rnormal1 "$TEST_HOME/n1.eml"
  spool_run
  is "$rc" 75 "run 1: exit 75, the poison left in the spool"
  is "$(subjects)" "scan 1" "run 1: the report after the poison is filed"
  is "$(files_in "$SPOOL/new")" 1 "run 1: the poison waits in new/"
  contains "$(cat "$SPOOL"/attempts/*)" "attempts=1" "run 1: one attempt counted"
  contains "$(cat "$SPOOL"/attempts/*)" "killed by signal" "run 1: and how it ended"
  contains "$(cat "$TEST_HOME/err")" "attempt 1 of 3" "run 1: the attempt is logged"

  # The MTA delivers the poison again (a retry), and another report.
  spool_put 1796600003.M1P1Rpoison2 "$TEST_HOME/poison.eml"
  spool_put 1796600004.M1P1Rnormal2 "$TEST_HOME/n2.eml"
  spool_run
  is "$(subjects)" "scan 1,scan 2" "run 2: the report after the poisons is filed"
  is "$(files_in "$SPOOL/quarantine")" 1 "run 2: the third attempt quarantines"
  contains "$out" "quarantined after 3 attempts: killed by signal" \
    "run 2: spool run says so"

  spool_run
  is "$rc" 0 "run 3: exit 0"
  contains "$out" "a copy of quarantined" "run 3: the other copy is removed"
  is "$(files_in "$SPOOL/new")/$(files_in "$SPOOL/quarantine")" 0/1 \
    "run 3: new/ is empty, one copy is in quarantine/"

  spool_put 1796600005.M1P1Rpoison3 "$TEST_HOME/poison.eml"
  spool_run
  is "$rc/$(files_in "$SPOOL/new")" 0/0 "a later copy is removed at once"
  list=$("$MADOGUCHI" spool list)
  contains "$list" "quarantine 1796600003.M1P1Rpoison2" "spool list shows the quarantined entry"
  contains "$list" "3 attempts, 2 copies removed: killed by signal" \
    "spool list says why"
  is "$(sql "SELECT COUNT(*) FROM ticket")" 2 "the poison was never filed"

  # Without the memory limit (and with the default max_part_text and
  # deliver_timeout) it can be filed: retry brings it back.
  "$MADOGUCHI" spool retry 1796600003.M1P1Rpoison2
  ok $? "spool retry takes a quarantined entry"
  MADOGUCHI_CONFIG=$TEST_HOME/empty.conf "$MADOGUCHI" spool run \
    > "$TEST_HOME/out" 2>&1
  is $? 0 "and spool run files it"
  is "$(files_in "$SPOOL/quarantine")/$(files_in "$SPOOL/attempts")" 0/0 \
    "quarantine/ and attempts/ are empty"
  "$MADOGUCHI" show --raw "$(sql "SELECT number FROM ticket t JOIN message m ON m.ticket_id = t.id WHERE m.subject = 'a big log'")" \
    > "$TEST_HOME/raw.out"
  cmp -s "$TEST_HOME/raw.out" "$TEST_HOME/poison.eml"
  ok $? "its raw bytes are kept verbatim"
  rm -f "$TEST_HOME/raw.out" "$TEST_HOME/poison.eml"
fi

# The watchdog: a child with no result within deliver_timeout (here the
# database's write lock is held past it; busy_timeout is 60 s) is ended
# and the attempt counted; a later run files the entry and forgets it.
normal 4 > "$TEST_HOME/n4.eml"
spool_put 1796600006.M1P1Rnormal4 "$TEST_HOME/n4.eml"
mkfifo "$TEST_HOME/lock"
if on_sqlite; then
  sqlite3 "$MADOGUCHI_HOME/madoguchi.db" < "$TEST_HOME/lock" > /dev/null 2>&1 &
  holder=$!
  exec 3> "$TEST_HOME/lock"
  echo 'BEGIN IMMEDIATE;' >&3
  locked() {
    ! sqlite3 -cmd ".timeout 0" "$MADOGUCHI_HOME/madoguchi.db" \
      "BEGIN IMMEDIATE; ROLLBACK;" > /dev/null 2>&1
  }
else
  # PostgreSQL: the tables a filing writes, locked against writers.
  "$PG_BIN/psql" -X -q -d "$MADOGUCHI_DATABASE" < "$TEST_HOME/lock" \
    > /dev/null 2>&1 &
  holder=$!
  exec 3> "$TEST_HOME/lock"
  echo 'BEGIN; LOCK TABLE counter, ticket, message IN EXCLUSIVE MODE;' >&3
  locked() {
    ! pg_psql "$MADOGUCHI_DATABASE" "BEGIN; SET LOCAL lock_timeout = 1;
      LOCK TABLE counter IN EXCLUSIVE MODE; ROLLBACK" > /dev/null 2>&1
  }
fi
wait_until 30 locked
ok $? "the write lock is held"
# (not holding the lock's FIFO open: the holder ends at its end of file)
"$MADOGUCHI" spool run > "$TEST_HOME/out" 2> "$TEST_HOME/err" 3>&- &
runner=$!
timed_out() {
  grep -qs "deliver_timeout" "$SPOOL"/attempts/*
}
wait_until 120 timed_out
ok $? "the watchdog ends the attempt and records why"
exec 3>&-
wait "$holder"
wait "$runner"
is $? 75 "spool run exits 75: the entry waits"
is "$(files_in "$SPOOL/new")" 1 "the entry is still in new/"
"$MADOGUCHI" spool run > "$TEST_HOME/out" 2>&1
is $? 0 "the next run files it"
contains "$(cat "$TEST_HOME/out")" "filed as" "and says so"
is "$(files_in "$SPOOL/attempts")" 0 "and forgets the attempt"

done_testing
