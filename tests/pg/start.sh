#!/bin/sh
# tests/pg/start.sh - starts a throwaway PostgreSQL 15 for a whole test
# run (tests/pg/pg-lib.sh: its own folder, a Unix socket there, trust
# authentication, no TCP, fsync off) and prints its folder: run the
# tests with PG_TEST_HOST set to it, and remove it with tests/pg/stop.sh.
#
#   PG_TEST_HOST=$(sh tests/pg/start.sh) && export PG_TEST_HOST
#
# Exit 77 when PostgreSQL is not installed, 1 when it does not start.
set -u
. "$(dirname "$0")/pg-lib.sh"
if ! pg_available; then
  echo "start.sh: PostgreSQL 15 is not installed (apt-get install postgresql-15)" >&2
  exit 77
fi
pg_start -c fsync=off > /dev/null || exit 1
echo "$PG_HOST"
