#!/bin/sh
# bench/pg-deliver.sh [N] - `madoguchi deliver` into a local PostgreSQL
# against the same into SQLite, in the same run (issue 23: PostgreSQL
# >= 0.8 of SQLite's delivery rate).  The kit's driver plays the MTA:
# N generated 2-8 KB reports (default 300), one process per message on a
# stdin pipe, each delivered to SQLite and then to PostgreSQL before the
# next (the driver's interleaved mode), so that both see the same disk
# and CPU weather; RUNS (default 3) rounds, each into a fresh data
# directory and a fresh database.  Prints each store's rate and
# latencies, the ratio PostgreSQL/SQLite of each round (median, min,
# max), and what was filed: tickets, deliveries that failed, reports
# left in spool/new/.  A benchmark: it prints figures, asserts nothing.
#
# The server is tests/pg/pg-lib.sh's throwaway PostgreSQL 15 (a Unix
# socket in a scratch folder, trust), durable as a site's is: fsync and
# synchronous_commit on, the defaults otherwise (pg_start passes no -c
# here; initdb's -N only skips syncing the new cluster's files once).
# Each host keeps its spool: both data directories are on the same disk.
#
# Where PostgreSQL's time goes, after the rounds: what the server spent
# per delivery (CPU of its processes that ended, read from /proc: a
# delivery's backend and nothing else of the rounds), and what
# connecting alone costs (pgbench -C: a connection, SELECT 1, gone).  A
# delivery is a process of its own and so a connection and a server
# process of its own, started cold.  With pgbouncer installed a third
# column delivers through it (session pooling, PgBouncer's default):
# the server processes stay, warm, from one delivery to the next;
# POOLER=no leaves it out.
#
# Needs a built madoguchi, python3, a C compiler, PostgreSQL 15
# (postgresql-15) and the kit: KIT (default ../shared/bench, from the top
# of the tree).  Without PostgreSQL it exits 77.
set -eu
cd "$(dirname "$0")/.."
n=${1:-300}
runs=${RUNS:-3}
. bench/lib.sh
. tests/pg/pg-lib.sh
pg_available || bench_skip "PostgreSQL 15 is needed: apt-get install postgresql-15"
# server_cpu: CPU seconds, in clock ticks, of the server's processes
# that have ended (the postmaster's children's).
server_cpu() {
  awk '{ print $16 + $17 }' "/proc/$(head -n 1 "$PG_HOST/data/postmaster.pid")/stat"
}

# A pgbouncer in front of the server, in session mode, in a folder of
# its own that its user can reach (pooler; empty: none).
start_pooler() {
  pooler=$(mktemp -d "${TMPDIR:-/tmp}/madoguchi-pgbouncer.XXXXXX") || return 1
  chmod 0755 "$pooler"
  [ "$(id -u)" -ne 0 ] || chown postgres "$pooler"
  printf '[databases]\n* = host=%s user=%s\n[pgbouncer]\n%s\n' \
    "$PG_HOST" "$PG_ROLE" "listen_addr =
listen_port = 6432
unix_socket_dir = $pooler
auth_type = any
pool_mode = session
max_client_conn = 100
logfile = $pooler/log
pidfile = $pooler/pid" > "$pooler/pgbouncer.ini"
  as_user=
  [ "$(id -u)" -ne 0 ] || as_user="-u postgres"
  # shellcheck disable=SC2086
  "$pgbouncer" -d $as_user "$pooler/pgbouncer.ini" \
    && sleep 1 && [ -S "$pooler/.s.PGSQL.6432" ]
}

stop_pooler() {
  [ -n "$pooler" ] || return 0
  [ -f "$pooler/pid" ] && kill "$(cat "$pooler/pid")" && sleep 1
  rm -rf "$pooler"
}

bench_start driver.c
pooler=
pgbouncer=$(command -v pgbouncer || command -v /usr/sbin/pgbouncer || true)
[ "${POOLER:-yes}" = no ] || [ -z "$pgbouncer" ] || pooler=yes
trap 'stop_pooler; pg_destroy; remove_home "${work:?}"' EXIT
make -s -C "$KIT" OUTDIR="$work/kit" "$work/kit/driver" > /dev/null
python3 "$KIT/gen_msgs.py" "$work/msgs" "$n" > /dev/null
pg_start > /dev/null || { echo "bench: PostgreSQL did not start" >&2; exit 1; }
if [ -n "$pooler" ] && ! start_pooler; then
  echo "bench: pgbouncer did not start: $(tail -n 1 "$pooler/log" 2> /dev/null)"
  stop_pooler
  pooler=
fi

# rate TAG: that store's rate over SQLite's in round r.
rate() {
  awk -v tag="$1:" '/^interleaved / {
         for (i = 1; i <= NF; i++) if ($i ~ /^rate=/) r[$2] = substr($i, 6) }
       END { if (r["sqlite:"] > 0) printf "%.3f\n", r[tag] / r["sqlite:"] }' \
    "$work/out-$r"
}

# filed HOME [URI]: "T tickets, L left in spool/new/" for that store.
filed() {
  t=$(MADOGUCHI_HOME=$1 MADOGUCHI_DATABASE=${2:-} "$MADOGUCHI" list --all \
    --format csv | tail -n +2 | grep -c . || true)
  echo "$t tickets, $(find "$1/spool/new" -type f | wc -l) left in spool/new/"
}

bench_title "deliver into PostgreSQL vs SQLite: $n reports, $runs rounds"
echo "PostgreSQL $("$PG_BIN/postgres" --version | sed 's/^[^0-9]*\([0-9.]*\).*/\1/'), fsync on, synchronous_commit on"
: > "$work/ratios"
: > "$work/pooled-ratios"
: > "$work/server-ticks"
r=1
while [ "$r" -le "$runs" ]; do
  lite=$work/lite-$r
  pg=$work/pg-$r
  bench_init "$lite"
  mkdir -m 0700 "$pg"
  uri=$(pg_createdb "bench$r")
  MADOGUCHI_HOME=$pg MADOGUCHI_DATABASE=$uri "$MADOGUCHI" init > /dev/null
  # A build without the backend would measure SQLite twice.
  [ ! -e "$pg/madoguchi.db" ] \
    || bench_skip "madoguchi does not file into PostgreSQL (issue 23)"
  set --
  if [ -n "$pooler" ]; then
    pooled=$work/pooled-$r
    mkdir -m 0700 "$pooled"
    puri="postgresql:///bench${r}p?host=$pooler&port=6432&user=$PG_ROLE"
    pg_createdb "bench${r}p" > /dev/null
    MADOGUCHI_HOME=$pooled MADOGUCHI_DATABASE=$puri "$MADOGUCHI" init > /dev/null
    set -- ::: @pgbouncer env MADOGUCHI_HOME="$pooled" \
      MADOGUCHI_DATABASE="$puri" "$MADOGUCHI" deliver
  fi
  rc=0
  cpu0=$(server_cpu)
  "$work/kit/driver" -n "$n" "$work/msgs" -- \
    @sqlite env MADOGUCHI_HOME="$lite" MADOGUCHI_DATABASE= "$MADOGUCHI" deliver \
    ::: @postgresql env MADOGUCHI_HOME="$pg" MADOGUCHI_DATABASE="$uri" \
    "$MADOGUCHI" deliver "$@" > "$work/out-$r" 2> "$work/err-$r" || rc=$?
  echo "$(($(server_cpu) - cpu0))" >> "$work/server-ticks"
  echo "round $r (driver exit $rc):"
  # The driver's label repeats the command line: the tag says enough.
  sed -e 's/^\(interleaved [a-z]*\):.* \(msgs=\)/\1: \2/' "$work/out-$r"
  echo "  sqlite: $(filed "$lite"); postgresql: $(filed "$pg" "$uri")"
  [ -z "$pooler" ] || echo "  pgbouncer: $(filed "$pooled" "$puri")"
  [ -s "$work/err-$r" ] && sed -n '1,5s/^/  stderr: /p' "$work/err-$r"
  rate postgresql | tee -a "$work/ratios" \
    | sed 's/^/  ratio postgresql\/sqlite = /'
  [ -z "$pooler" ] || rate pgbouncer | tee -a "$work/pooled-ratios" \
    | sed 's/^/  ratio pgbouncer\/sqlite = /'
  r=$((r + 1))
done
echo "ratio postgresql/sqlite over $runs rounds: $(bench_stats < "$work/ratios") (target >= 0.8)"
[ -z "$pooler" ] \
  || echo "ratio pgbouncer/sqlite over $runs rounds: $(bench_stats < "$work/pooled-ratios") (session pooling)"

# Where the time goes: the server's CPU per delivery, and a connection.
tick=$(getconf CLK_TCK)
awk -v n="$n" -v t="$tick" '{ printf "%.1f\n", 1000 * $1 / t / n }' \
  "$work/server-ticks" > "$work/server-ms"
echo "server CPU per delivery, ms (direct: a cold server process each): $(bench_stats < "$work/server-ms")"
if [ -x "$PG_BIN/pgbench" ]; then
  echo 'SELECT 1;' > "$work/one.sql"
  cpu0=$(server_cpu)
  "$PG_BIN/pgbench" -h "$PG_HOST" -U "$PG_ROLE" -n -C -t 50 \
    -f "$work/one.sql" bench1 > "$work/connect" 2>&1
  echo "connecting alone (pgbench -C, 50 x SELECT 1): $(sed -n \
    's/^average connection time = //p' "$work/connect") each, server CPU \
$(awk -v a="$cpu0" -v b="$(server_cpu)" -v t="$tick" \
    'BEGIN { printf "%.1f ms", 1000 * (b - a) / t / 50 }') each"
fi
