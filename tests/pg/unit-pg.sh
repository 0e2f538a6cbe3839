#!/bin/sh
# tests/pg/unit-pg.sh TEST [ARGS...] - a store unit test (test-store,
# test-stats) on PostgreSQL (issue 23): TEST runs with MADOGUCHI_TEST_PG=1
# against the server in PG_TEST_HOST (tests/pg/start.sh; CI's), or one
# started here for it and removed after (pg-lib.sh's pg_server), and
# makes a fresh database there per test case (tests/support/store-test.h).
#
# Exit 77 (skipped) when PostgreSQL is not installed; 1 when it is but
# no server starts (CI must hear of it); else TEST's status.
set -u
. "$(dirname "$0")/pg-lib.sh"
[ $# -ge 1 ] || { echo "usage: unit-pg.sh TEST [ARGS...]" >&2; exit 64; }
if ! pg_available; then
  echo "1..0 # SKIP PostgreSQL 15 is not installed (apt-get install postgresql-15)"
  exit 77
fi
if ! pg_server; then
  echo "Bail out! PostgreSQL did not start (server ${PG_HOST:-none})"
  exit 1
fi
PG_TEST_HOST=$PG_HOST MADOGUCHI_TEST_PG=1 "$@"
status=$?
pg_release
exit "$status"
