#!/bin/sh
# Only init creates a data directory and a database (and deliver creates
# the database in an existing data directory of its own): an operator's
# command on a mistyped MADOGUCHI_HOME fails, naming the path and
# `madoguchi init`, and leaves nothing behind (issue 16, item 7).  On
# PostgreSQL (the suite's second pass) the database is the server's, and
# what init and deliver make in the data directory is its spool: the
# same rules hold for it.
. "$(dirname "$0")/lib.sh"

msg="$TEST_DATA_DIR/plain-english.eml"
typo="$TEST_HOME/typo"

# run ARGS...: madoguchi on the mistyped home; sets $rc and $err.
run() {
  MADOGUCHI_HOME=$typo "$MADOGUCHI" "$@" > /dev/null 2> "$TEST_HOME/err"
  rc=$?
  err=$(cat "$TEST_HOME/err")
}

for cmd in list "show 2026-000001" "spool list" "spool run" stats export \
           "outbox list" "set 2026-000001 --status resolved"; do
  # shellcheck disable=SC2086  # the words of cmd are its arguments
  run $cmd
  is "$rc" 78 "$cmd on a missing data directory: exit 78 (EX_CONFIG)"
  [ -e "$typo" ]
  is $? 1 "$cmd creates nothing"
done
contains "$err" "$typo" "the message names the path"
contains "$err" "madoguchi init" "and suggests init"

run list --help
is "$rc" 0 "list --help needs no data directory"
[ -e "$typo" ]
is $? 1 "and creates nothing"

# A data directory without a database: the same, and it stays empty.
mkdir -m 0700 "$typo"
for cmd in list "spool list" stats; do
  # shellcheck disable=SC2086
  run $cmd
  is "$rc" 78 "$cmd in a data directory without a database: exit 78"
done
# On PostgreSQL the database is the server's: what the data directory
# lacks is the spool, and the message says so.
missing=database
on_sqlite || missing=spool
contains "$err" "no $missing in $typo" "the message says what is missing ($missing)"
is "$(ls -A "$typo" | wc -l | tr -d ' ')" 0 "nothing is created in it"

# deliver makes the database in a data directory of its own user (the
# README's quick start, the first delivery of an installation).
MADOGUCHI_HOME=$typo "$MADOGUCHI" deliver < "$msg"
is $? 0 "deliver in its own empty data directory: exit 0"
# made: what a data directory holds, the database or (PostgreSQL) the spool.
made() {
  if on_sqlite; then [ -f "$1/madoguchi.db" ]; else [ -d "$1/spool/new" ]; fi
}
made "$typo"
ok $? "and creates the database (on PostgreSQL, the spool)"
is "$(MADOGUCHI_HOME=$typo "$MADOGUCHI" list --json | grep -o '"number"' | wc -l | tr -d ' ')" \
  1 "list then finds the ticket"

# deliver never creates the data directory itself.
MADOGUCHI_HOME=$TEST_HOME/none "$MADOGUCHI" -v deliver < "$msg" 2> "$TEST_HOME/err"
is $? 75 "deliver to a missing data directory: exit 75"
[ -e "$TEST_HOME/none" ]
is $? 1 "and does not create it"
contains "$(cat "$TEST_HOME/err")" "$TEST_HOME/none" "the log names the path"

# init creates the data directory, except as root (t070).
if [ "$(id -u)" -ne 0 ]; then
  MADOGUCHI_HOME=$TEST_HOME/fresh/home "$MADOGUCHI" init > /dev/null
  ok $? "init creates a data directory"
  made "$TEST_HOME/fresh/home"
  ok $? "with its database (on PostgreSQL, its spool)"
else
  MADOGUCHI_HOME=$TEST_HOME/fresh "$MADOGUCHI" init > /dev/null 2>&1
  is $? 78 "init as root on a missing data directory: exit 78"
  [ -e "$TEST_HOME/fresh" ]
  is $? 1 "and creates nothing"
fi

done_testing
