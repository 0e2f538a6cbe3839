# tests/pg/pg-e2e.sh - PostgreSQL for the end-to-end tests (issue 23).
# Sourced by tests/e2e/lib.sh (after its functions), and by the tests
# that need PostgreSQL whatever the pass.
#
# pg_e2e_database: a fresh database for this test on the run's server
# (PG_TEST_HOST) or on one of the test's own (tests/pg/pg-lib.sh), its
# URI in PG_E2E_URI; dropped, and the own server removed, by
# pg_e2e_cleanup (lib.sh's cleanup calls it).  PostgreSQL not installed:
# skip_all (exit 77).  Installed but not starting: the test bails out
# (exit 1), as CI must hear of it.
#
# pg_e2e_require_store: skip_all unless madoguchi files into PostgreSQL:
# `init` with MADOGUCHI_DATABASE set makes its tables there (and no
# SQLite file).  Until the backend is merged the PostgreSQL tests skip;
# in CI a skip fails the run.
#
# pg_e2e_other NAME: the database of a second data directory the test
# starts (another site, another host), which has one of its own as a
# site does: in the PostgreSQL pass a second fresh database on the
# test's server, dropped with the test's; its URI in PG_E2E_OTHER_URI.
# Else PG_E2E_OTHER_URI is empty, which as MADOGUCHI_DATABASE is no
# setting: the data directory's own SQLite file.  Run that directory's
# commands with MADOGUCHI_DATABASE=$PG_E2E_OTHER_URI.
#
# With MADOGUCHI_TEST_PG=1 (the suite's PostgreSQL pass, .ci/run),
# lib.sh runs every test on such a database: MADOGUCHI_DATABASE is its
# URI, and `sql` runs its queries there (psql, rows printed as the
# sqlite3 CLI prints them).

. "$(dirname "$0")/../pg/pg-lib.sh"

pg_e2e_database() {
  [ -z "${PG_E2E_URI:-}" ] || return 0
  pg_available \
    || skip_all "PostgreSQL 15 is not installed (apt-get install postgresql-15)"
  if ! pg_server; then
    echo "Bail out! PostgreSQL did not start (server ${PG_HOST:-none})"
    exit 1
  fi
  # Unique per test and run: several tests share the run's server.
  PG_E2E_DB=$(basename "$0" .sh)-$$
  if ! PG_E2E_URI=$(pg_createdb "$PG_E2E_DB"); then
    PG_E2E_DB=
    pg_release
    echo "Bail out! createdb failed on the server in $PG_HOST"
    exit 1
  fi
}

pg_e2e_cleanup() {
  [ -n "${PG_E2E_DB:-}" ] || return 0
  if [ -n "${KEEP_TEST_HOME:-}" ]; then
    echo "# kept: $PG_E2E_URI ${PG_E2E_OTHERS:-}"
    return 0
  fi
  for pg_e2e_db in $PG_E2E_DB ${PG_E2E_OTHERS:-}; do
    pg_dropdb "$pg_e2e_db" 2> /dev/null
  done
  pg_release
}

pg_e2e_other() {
  PG_E2E_OTHER_URI=
  [ "${MADOGUCHI_TEST_PG:-0}" = 1 ] || return 0
  if ! PG_E2E_OTHER_URI=$(pg_createdb "$PG_E2E_DB-$1"); then
    echo "Bail out! createdb $PG_E2E_DB-$1 failed on the server in $PG_HOST"
    exit 1
  fi
  PG_E2E_OTHERS="${PG_E2E_OTHERS:-} $PG_E2E_DB-$1"
}

pg_e2e_require_store() {
  MADOGUCHI_DATABASE=$PG_E2E_URI "$MADOGUCHI" init > /dev/null 2>&1
  if ! pg_psql "$PG_E2E_URI" "SELECT count(*) FROM ticket" > /dev/null 2>&1 \
    || [ -e "$MADOGUCHI_HOME/madoguchi.db" ]; then
    skip_all "madoguchi does not file into PostgreSQL (issue 23)"
  fi
}

# pg_e2e_use_database: after pg_e2e_database, a test of PostgreSQL
# itself (t213, t214, t217) files into its database whatever the pass:
# the store is required there, named by MADOGUCHI_DATABASE, and sql runs
# a statement in it.
pg_e2e_use_database() {
  pg_e2e_require_store
  MADOGUCHI_DATABASE=$PG_E2E_URI
  export MADOGUCHI_DATABASE
  sql() { pg_psql "$PG_E2E_URI" "$1"; }
}

if [ "${MADOGUCHI_TEST_PG:-0}" = 1 ]; then
  pg_e2e_database
  MADOGUCHI_DATABASE=$PG_E2E_URI
  export MADOGUCHI_DATABASE
  sql() {
    pg_psql "$MADOGUCHI_DATABASE" "$1"
  }
fi
