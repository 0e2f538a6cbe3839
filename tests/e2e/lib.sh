# lib.sh - a small TAP library for madoguchi's end-to-end tests (mblaze's
# t/ and notmuch's test-lib are the models).  POSIX sh.
#
# Each test script sources this file, then calls ok/is/... and finally
# done_testing.  Every script runs in a fresh $MADOGUCHI_HOME, removed at
# exit unless KEEP_TEST_HOME is set.
#
# Environment from ctest: MADOGUCHI (the binary), TEST_DATA_DIR.
# MADOGUCHI_TEST_PG=1: the test runs on a PostgreSQL database of its own
# (tests/pg/pg-e2e.sh), on the server PG_TEST_HOST if set.

set -u
: "${MADOGUCHI:?set MADOGUCHI to the madoguchi binary}"
: "${TEST_DATA_DIR:?set TEST_DATA_DIR to tests/data}"

test_count=0
test_failed=0
TEST_HOME=$(mktemp -d "${TMPDIR:-/tmp}/madoguchi-test.XXXXXX")
MADOGUCHI_HOME="$TEST_HOME/home"
export MADOGUCHI_HOME
# The data directory exists, as an installation's does (README): only
# `init` creates one, and never as root.
mkdir -m 0700 "$MADOGUCHI_HOME"
unset MADOGUCHI_CONFIG SENDER RECIPIENT ORIGINAL_RECIPIENT
# Never read the system's config file: tests run on their own settings.
printf '[madoguchi]\n' > "$TEST_HOME/empty.conf"
MADOGUCHI_CONFIG="$TEST_HOME/empty.conf"
export MADOGUCHI_CONFIG

. "$(dirname "$0")/remove-home.sh"   # remove_home

cleanup() {
  pg_e2e_cleanup
  if [ -z "${KEEP_TEST_HOME:-}" ]; then
    chmod -R u+w "$TEST_HOME" 2>/dev/null
    remove_home "$TEST_HOME"
  fi
}
trap cleanup EXIT

# ok CONDITION-EXIT-STATUS DESCRIPTION: pass when the status is 0.
ok() {
  test_count=$((test_count + 1))
  if [ "$1" -eq 0 ]; then
    echo "ok $test_count - $2"
  else
    echo "not ok $test_count - $2"
    test_failed=$((test_failed + 1))
  fi
}

# is GOT EXPECTED DESCRIPTION
is() {
  if [ "$1" = "$2" ]; then
    ok 0 "$3"
  else
    ok 1 "$3"
    echo "#   got:      '$1'"
    echo "#   expected: '$2'"
  fi
}

# contains HAYSTACK NEEDLE DESCRIPTION
contains() {
  case "$1" in
    *"$2"*) ok 0 "$3" ;;
    *) ok 1 "$3"; echo "#   '$2' not found in:"; printf '%s\n' "$1" | sed 's/^/#   /' | head -20 ;;
  esac
}

# deliver FILE [ARGS...]: pipe FILE into madoguchi deliver; sets $rc.
deliver() {
  file=$1
  shift
  "$MADOGUCHI" deliver "$@" < "$file"
  rc=$?
}

# count_tickets: the number of tickets, from list --json.
count_tickets() {
  "$MADOGUCHI" list --all --json | grep -o '"number":' | wc -l | tr -d ' '
}

# sqlite DB SQL...: the sqlite3 CLI, waiting as madoguchi's commands do
# while another process holds a lock (a delivery, or the detached process
# emptying the WAL after one) instead of failing at once.
sqlite() {
  sqlite3 -cmd ".timeout 10000" "$@"
}

# sql QUERY: run a query on the test database (sqlite3 CLI).
sql() {
  sqlite "$MADOGUCHI_HOME/madoguchi.db" "$1"
}

# files_in DIR: the number of files in DIR.
files_in() {
  find "$1" -type f 2>/dev/null | wc -l | tr -d ' '
}

# skip_all WHY: the test cannot run here (a prerequisite is missing).
# Exit 77, which CTest reports as skipped (SKIP_RETURN_CODE), never 0:
# a test that did nothing must not read as passed.
skip_all() {
  echo "1..0 # SKIP $1"
  exit 77
}

done_testing() {
  echo "1..$test_count"
  [ "$test_failed" -eq 0 ]
  exit $?
}

# not_in_pg_pass WHY: the test is about the SQLite store itself (its
# file, its locks, a fault shim on libsqlite3) or about the source, not
# a store: it skips in the PostgreSQL pass, and CTest gives it the label
# not-pg from this line (at the start of one), which that pass leaves out.
not_in_pg_pass() {
  on_sqlite || skip_all "not in the PostgreSQL pass: $1"
}

# on_sqlite: true unless the test runs in the PostgreSQL pass; for the
# checks of a test that only SQLite has (its WAL, its locks, its file).
on_sqlite() {
  [ "${MADOGUCHI_TEST_PG:-0}" != 1 ]
}

# make_reports N NAME: N copies of plain-english.eml, $TEST_HOME/mI.eml,
# each with a Message-ID of its own (<NAME-I@example.net>).
make_reports() {
  mr_i=1
  while [ $mr_i -le "$1" ]; do
    sed "s/^Message-ID: .*/Message-ID: <$2-$mr_i@example.net>/" \
      "$TEST_DATA_DIR/plain-english.eml" > "$TEST_HOME/m$mr_i.eml"
    mr_i=$((mr_i + 1))
  done
}

# failed_deliveries N: how many of the deliveries 1..N left an exit
# status other than 0 in $TEST_HOME/rcI; each is shown with its errI.
failed_deliveries() {
  fd_failed=0 fd_i=1
  while [ $fd_i -le "$1" ]; do
    if [ "$(cat "$TEST_HOME/rc$fd_i")" != 0 ]; then
      fd_failed=$((fd_failed + 1))
      echo "# delivery $fd_i: exit $(cat "$TEST_HOME/rc$fd_i"):" \
        "$(cat "$TEST_HOME/err$fd_i" 2> /dev/null)" >&2
    fi
    fd_i=$((fd_i + 1))
  done
  echo "$fd_failed"
}

# nap: a short pause inside a polling loop.
nap() {
  sleep 0.1 2>/dev/null || sleep 1
}

# wait_until SECONDS COMMAND...: poll COMMAND until it succeeds; status 1
# if it still fails after SECONDS.
wait_until() {
  deadline=$(($(date +%s) + $1))
  shift
  while ! "$@"; do
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    nap
  done
  return 0
}

. "$(dirname "$0")/../pg/pg-e2e.sh"
