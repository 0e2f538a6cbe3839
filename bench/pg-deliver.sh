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
# synchronous_commit on, the defaults otherwise.  Each host keeps its
# spool: both data directories are on the same disk here.
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
bench_start driver.c
trap 'pg_destroy; remove_home "${work:?}"' EXIT
make -s -C "$KIT" OUTDIR="$work/kit" "$work/kit/driver" > /dev/null
python3 "$KIT/gen_msgs.py" "$work/msgs" "$n" > /dev/null
pg_start > /dev/null || { echo "bench: PostgreSQL did not start" >&2; exit 1; }

# filed HOME [URI]: "T tickets, L left in spool/new/" for that store.
filed() {
  t=$(MADOGUCHI_HOME=$1 MADOGUCHI_DATABASE=${2:-} "$MADOGUCHI" list --all \
    --format csv | tail -n +2 | grep -c . || true)
  echo "$t tickets, $(find "$1/spool/new" -type f | wc -l) left in spool/new/"
}

bench_title "deliver into PostgreSQL vs SQLite: $n reports, $runs rounds"
echo "PostgreSQL $("$PG_BIN/postgres" --version | sed 's/^[^0-9]*\([0-9.]*\).*/\1/'), fsync on, synchronous_commit on"
: > "$work/ratios"
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
  rc=0
  "$work/kit/driver" -n "$n" "$work/msgs" -- \
    @sqlite env MADOGUCHI_HOME="$lite" MADOGUCHI_DATABASE= "$MADOGUCHI" deliver \
    ::: @postgresql env MADOGUCHI_HOME="$pg" MADOGUCHI_DATABASE="$uri" \
    "$MADOGUCHI" deliver > "$work/out-$r" 2> "$work/err-$r" || rc=$?
  echo "round $r (driver exit $rc):"
  # The driver's label repeats the command line: the tag says enough.
  sed -e 's/^\(interleaved [a-z]*\):.* \(msgs=\)/\1: \2/' "$work/out-$r"
  echo "  sqlite: $(filed "$lite"); postgresql: $(filed "$pg" "$uri")"
  [ -s "$work/err-$r" ] && sed -n '1,5s/^/  stderr: /p' "$work/err-$r"
  awk '/^interleaved sqlite:/ || /^interleaved postgresql:/ {
         for (i = 1; i <= NF; i++) if ($i ~ /^rate=/) r[$2] = substr($i, 6) }
       END { if (r["sqlite:"] > 0) printf "%.3f\n", r["postgresql:"] / r["sqlite:"] }' \
    "$work/out-$r" | tee -a "$work/ratios" | sed 's/^/  ratio postgresql\/sqlite = /'
  r=$((r + 1))
done
echo "ratio postgresql/sqlite over $runs rounds: $(bench_stats < "$work/ratios") (target >= 0.8)"
