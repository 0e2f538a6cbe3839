# tests/pg/pg-lib.sh - a throwaway PostgreSQL 15 for the tests and the
# benchmarks (issue 23).  POSIX sh, sourced.
#
# A server lives in one folder of its own: its cluster (DIR/data), its
# log (DIR/log) and its Unix socket (DIR/.s.PGSQL.5432).  No TCP
# (listen_addresses is empty), trust authentication: only the folder's
# socket reaches it, and a folder is made per server, so two servers
# (two tests at once) never meet.  PostgreSQL refuses to run as root:
# as root the cluster belongs to the `postgres` user (the Debian
# package's), else to whoever runs the test.
#
# Two roles: postgres, the superuser, which makes and drops databases;
# and madoguchi, without privileges, the owner of each test's database,
# as a site's service role would be ("an empty database it may write",
# issue 23).  The URI of a database names the socket's folder and the
# role: postgresql:///NAME?host=DIR&user=madoguchi.
#
#   pg_available          0 when the binaries are here (PG_BIN set).
#   pg_start [OPTION...]  makes a folder, initdb, starts; PG_HOST=folder.
#                         OPTIONs go to postgres (-c fsync=off ...).
#   pg_server             PG_HOST=PG_TEST_HOST, a server started for the
#                         whole run (tests/pg/start.sh), if set; else
#                         pg_start -c fsync=off, removed by pg_release.
#   pg_stop [MODE]        stops it (pg_ctl -m MODE, default fast).
#   pg_restart            starts it again after pg_stop.
#   pg_destroy            stops it if it runs and removes the folder.
#   pg_release            pg_destroy, for a server pg_server started.
#   pg_createdb NAME      a fresh, empty database; prints its URI.
#   pg_dropdb NAME        drops it, even with sessions left open.
#   pg_uri NAME           the URI of database NAME.
#   pg_psql URI SQL       runs SQL there, rows as sqlite3 prints them
#                         (fields joined by |, no header).
#
# PG_BIN picks the binaries (default /usr/lib/postgresql/15/bin, as
# postgresql-15 installs them, else `pg_config --bindir`); PG_HOST an
# existing server's folder (tests/pg/start.sh prints it), which
# pg_start then does not replace.

PG_ROLE=${PG_ROLE:-madoguchi}

pg_available() {
  if [ -z "${PG_BIN:-}" ]; then
    PG_BIN=/usr/lib/postgresql/15/bin
    if [ ! -x "$PG_BIN/initdb" ] && command -v pg_config > /dev/null; then
      PG_BIN=$(pg_config --bindir)
    fi
  fi
  [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] \
    && [ -x "$PG_BIN/psql" ] && [ -x "$PG_BIN/createdb" ] || return 1
  # As root the cluster must belong to someone else.
  [ "$(id -u)" -ne 0 ] || id postgres > /dev/null 2>&1 || return 1
  command -v setpriv > /dev/null || [ "$(id -u)" -ne 0 ]
}

# pg_owner COMMAND...: COMMAND as the cluster's owner, from its folder
# (root's home is not the postgres user's to read).
pg_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd "$PG_HOST" && setpriv --reuid=postgres --regid=postgres \
      --init-groups env HOME="$PG_HOST" "$@")
  else
    (cd "$PG_HOST" && "$@")
  fi
}

# pg_super COMMAND [ARGS...]: a client program of PG_BIN, as postgres.
pg_super() {
  pg_cmd=$1
  shift
  "$PG_BIN/$pg_cmd" -h "$PG_HOST" -U postgres "$@"
}

pg_start() {
  pg_available || return 1
  PG_HOST=$(mktemp -d "${TMPDIR:-/tmp}/madoguchi-pg.XXXXXX") || return 1
  # Whoever runs madoguchi (t070's nobody, too) must reach the socket.
  chmod 0755 "$PG_HOST"
  [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$PG_HOST"
  PG_OPTIONS="-c listen_addresses= -c unix_socket_directories=$PG_HOST"
  PG_OPTIONS="$PG_OPTIONS -c max_connections=300 $*"
  # C.UTF-8: pg_trgm counts only letters its locale knows, and the C
  # locale knows no Japanese.  -N: a test cluster need not be synced.
  pg_owner "$PG_BIN/initdb" -D "$PG_HOST/data" -U postgres -A trust \
    -E UTF8 --locale=C.UTF-8 -N > "$PG_HOST/initdb.log" 2>&1 \
    && pg_restart \
    && pg_super psql -X -q -d postgres \
      -c "CREATE ROLE $PG_ROLE LOGIN" > /dev/null \
    || {
      cat "$PG_HOST/initdb.log" "$PG_HOST/log" 2> /dev/null >&2
      pg_destroy
      return 1
    }
}

pg_restart() {
  pg_owner "$PG_BIN/pg_ctl" -D "$PG_HOST/data" -l "$PG_HOST/log" -w \
    -o "$PG_OPTIONS" start > /dev/null
}

pg_stop() {
  pg_owner "$PG_BIN/pg_ctl" -D "$PG_HOST/data" -m "${1:-fast}" -w stop \
    > /dev/null
}

pg_destroy() {
  [ -n "${PG_HOST:-}" ] || return 0
  if [ -f "$PG_HOST/data/postmaster.pid" ]; then
    pg_stop immediate 2> /dev/null
  fi
  rm -rf "$PG_HOST"
  PG_HOST=
}

pg_uri() {
  echo "postgresql:///$1?host=$PG_HOST&user=$PG_ROLE"
}

pg_createdb() {
  pg_super createdb -O "$PG_ROLE" -T template0 -E UTF8 "$1" || return 1
  pg_uri "$1"
}

pg_dropdb() {
  pg_super dropdb --force --if-exists "$1"
}

pg_psql() {
  "$PG_BIN/psql" -X -q -A -t -F '|' -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

pg_server() {
  pg_own=
  if [ -n "${PG_TEST_HOST:-}" ]; then
    PG_HOST=$PG_TEST_HOST
    PG_OPTIONS=
    pg_available && [ -S "$PG_HOST/.s.PGSQL.5432" ]
  else
    # Tests need no durability past a crash of the machine: fsync=off
    # still survives a crash of the server (the test's pg_stop).
    pg_start -c fsync=off && pg_own=1
  fi
}

pg_release() {
  [ -z "${pg_own:-}" ] || pg_destroy
}
