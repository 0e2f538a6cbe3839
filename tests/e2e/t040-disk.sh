#!/bin/sh
# A full disk, a read-only spool or no free space: exit 75 and nothing
# half-written.  A broken database after spooling: exit 0, the message
# waits in spool/new/ and `spool run` files it later.  The broken
# database is SQLite's file (a directory, garbage) or, in the suite's
# PostgreSQL pass, a database the server does not have (t213 stops the
# server itself).
. "$(dirname "$0")/lib.sh"

msg="$TEST_DATA_DIR/plain-english.eml"

# Less free space than min_free_space (no root needed).
printf '[madoguchi]\nmin_free_space = 1024G\n' > "$TEST_HOME/full.conf"
MADOGUCHI_CONFIG="$TEST_HOME/full.conf" "$MADOGUCHI" deliver < "$msg" 2>"$TEST_HOME/err"
is $? 75 "not enough free space: exit 75"
is "$(files_in "$MADOGUCHI_HOME/spool")" 0 "nothing is left in the spool"
is "$(cat "$TEST_HOME/err")" "madoguchi: temporary failure, please retry" "stderr is terse"

if [ "$(id -u)" -eq 0 ] && mkdir -p "$TEST_HOME/small" \
   && mount -t tmpfs -o size=512k tmpfs "$TEST_HOME/small" 2>/dev/null; then
  trap 'umount "$TEST_HOME/small" 2>/dev/null; cleanup' EXIT
  mkdir "$TEST_HOME/small/home"
  # A 2 MB message on a 512 KB file system: ENOSPC while writing.
  head -c 1500000 /dev/urandom | base64 > "$TEST_HOME/big.txt"
  { sed '/^$/q' "$msg"; cat "$TEST_HOME/big.txt"; } > "$TEST_HOME/big.eml"
  printf '[madoguchi]\nmin_free_space = 0\n' > "$TEST_HOME/zero.conf"
  MADOGUCHI_HOME="$TEST_HOME/small/home" MADOGUCHI_CONFIG="$TEST_HOME/zero.conf" \
    "$MADOGUCHI" deliver < "$TEST_HOME/big.eml" 2>/dev/null
  is $? 75 "disk full while spooling: exit 75"
  is "$(files_in "$TEST_HOME/small/home/spool")" 0 "no partial file is left"

  # A read-only spool.
  MADOGUCHI_HOME="$TEST_HOME/small/home" "$MADOGUCHI" init > /dev/null
  mount -o remount,ro "$TEST_HOME/small"
  MADOGUCHI_HOME="$TEST_HOME/small/home" "$MADOGUCHI" deliver < "$msg" 2>/dev/null
  is $? 75 "read-only spool: exit 75"
  umount "$TEST_HOME/small"
else
  echo "# skipped tmpfs cases: they need root"
fi

# The database cannot be opened after spooling: exit 0, kept in new/.
if on_sqlite; then
  mkdir -p "$MADOGUCHI_HOME/madoguchi.db"
else
  pg_database=$MADOGUCHI_DATABASE
  MADOGUCHI_DATABASE=$(pg_uri "$PG_E2E_DB-missing")
fi
deliver "$msg"
is $rc 0 "database unusable after spooling: still exit 0"
is "$(files_in "$MADOGUCHI_HOME/spool/new")" 1 "the message waits in spool/new"
"$MADOGUCHI" spool run > /dev/null 2>&1
is $? 75 "spool run exits 75 while the database is unusable"
is "$(files_in "$MADOGUCHI_HOME/spool/new")" 1 "and keeps the message"
if on_sqlite; then
  rmdir "$MADOGUCHI_HOME/madoguchi.db"
  "$MADOGUCHI" spool run > /dev/null 2> "$TEST_HOME/err"
  is $? 78 "spool run with no database at all: exit 78 (EX_CONFIG)"
  contains "$(cat "$TEST_HOME/err")" "madoguchi init" "and it says to run init"
else
  MADOGUCHI_DATABASE=$pg_database
fi
"$MADOGUCHI" init > /dev/null
"$MADOGUCHI" spool run > "$TEST_HOME/out"
is $? 0 "spool run files it once the database is back"
contains "$(cat "$TEST_HOME/out")" "filed as" "and says so"
is "$(count_tickets)" 1 "one ticket"
is "$(files_in "$MADOGUCHI_HOME/spool/new")" 0 "spool/new is empty"

# A corrupted database file: clear error, mail still spooled.
if on_sqlite; then
  printf 'this is not an SQLite database, just garbage %.0s' $(seq 1 200) \
    > "$TEST_HOME/corrupt.db"
  mkdir -p "$TEST_HOME/corrupt"
  cp "$TEST_HOME/corrupt.db" "$TEST_HOME/corrupt/madoguchi.db"
  MADOGUCHI_HOME="$TEST_HOME/corrupt" "$MADOGUCHI" deliver < "$msg"
  is $? 0 "corrupted database: exit 0"
  is "$(files_in "$TEST_HOME/corrupt/spool/new")" 1 "the message is in spool/new"
  MADOGUCHI_HOME="$TEST_HOME/corrupt" "$MADOGUCHI" list 2>"$TEST_HOME/err"
  is $? 74 "list on a corrupted database fails with EX_IOERR"
  contains "$(cat "$TEST_HOME/err")" "madoguchi.db" "and names the file"
fi

# A spool file that is not one goes to failed/ and can be retried.
echo "garbage" > "$MADOGUCHI_HOME/spool/new/bogus"
"$MADOGUCHI" spool run > /dev/null 2>&1
is "$(files_in "$MADOGUCHI_HOME/spool/failed")" 1 "a damaged spool file moves to failed/"

done_testing
