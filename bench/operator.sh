#!/bin/sh
# bench/operator.sh [N] - the operator commands on a store of N generated
# tickets (default 1,000,000), each with a message and two address
# indicators, on SQLite and on PostgreSQL (issue 23: each under 100 ms
# on 1,000,000 tickets, on both stores).  Best of three wall times per
# command, in ms.  A benchmark: it prints figures and asserts nothing
# about time; but a command that fails (the generated rows no longer fit
# the schema, say) fails the script, so that bench/smoke notices.
#
# The rows are generated into SQLite (python3's sqlite3, in one
# transaction: fast), at the schema `init` made.  PostgreSQL gets the
# same store through `madoguchi migrate --to` (its time is printed too),
# into a database of a throwaway server (tests/pg/pg-lib.sh: a Unix
# socket in a scratch folder; fsync on).
#
# STORES: the stores to time, default "sqlite postgresql".  Without
# PostgreSQL (not installed, or a madoguchi without the backend) the
# SQLite figures are printed and the script exits 77 at the end.
set -eu
cd "$(dirname "$0")/.."
n=${1:-1000000}
stores=${STORES:-sqlite postgresql}
. bench/lib.sh
. tests/pg/pg-lib.sh
bench_start
trap 'pg_destroy; remove_home "${work:?}"' EXIT
export MADOGUCHI_HOME="$work/home"
bench_init "$MADOGUCHI_HOME"
python3 - "$MADOGUCHI_HOME/madoguchi.db" "$n" <<'PY'
import sqlite3, sys, time
db, n = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db)
cats = ["dos", "ddos", "spoofing", "abuse", "intrusion", "scan", "other"]
start = int(time.time()) - 365 * 86400
def ip(a, b, d):
    return bytes(10) + b"\xff\xff" + bytes([10, a, b, d])
with c:
    c.executemany(
        "INSERT INTO ticket (id, number, year, seq, created, updated, status, "
        "category, auto_category, reporter, subject) VALUES "
        "(?, ?, 2026, ?, ?, ?, 'new', ?, ?, ?, ?)",
        ((i, "2026-%06d" % i, i, start + i * 31536000 // n,
          start + i * 31536000 // n, cats[i % 7], cats[i % 7],
          "r%d@example.net" % (i % 5000), "report %d" % i)
         for i in range(1, n + 1)))
    # The counter, as filing would have left it: the next report is N+1
    # (and a copy made by migrate must carry it).
    c.execute("INSERT INTO counter (year, last) VALUES (2026, ?)", (n,))
    c.executemany(
        "INSERT INTO message (id, ticket_id, received, size, dedup_key, "
        "text, subject) VALUES (?, ?, ?, 100, ?, 'text', ?)",
        ((i, i, start, "k%d" % i, "report %d" % i) for i in range(1, n + 1)))
    # Schema 3: a message's bytes are rows of message_raw.
    c.executemany(
        "INSERT INTO message_raw (message_id, seq, bytes) VALUES (?, 0, x'00')",
        ((i,) for i in range(1, n + 1)))
    c.executemany(
        "INSERT INTO indicator (ticket_id, message_id, kind, value, ip, ip_end,"
        " scope, count) VALUES (?, ?, 'ipv4', ?, ?, ?, 'private', 1)",
        ((i, i, "10.%d.%d.%d" % (i % 256, i // 256 % 256, k), ip(i % 256,
          i // 256 % 256, k), ip(i % 256, i // 256 % 256, k))
         for i in range(1, n + 1) for k in (1, 2)))
PY

failed=0
# ms COMMAND...: the best of three wall times of COMMAND, in ms; "failed
# (exit N)" if one run fails.
ms() {
  b=
  for i in 1 2 3; do
    t0=$(date +%s%N)
    rc=0
    "$@" > /dev/null 2> "$work/err" || rc=$?
    t1=$(date +%s%N)
    if [ "$rc" -ne 0 ]; then
      echo "failed (exit $rc: $(head -c 200 "$work/err"))"
      return 1
    fi
    t=$(((t1 - t0) / 1000000))
    if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
  done
  echo "$b ms"
}

# row LABEL COMMAND...: one line of the table.
row() {
  label=$1
  shift
  figure=$(ms "$@") || failed=1
  printf '  %-30s %s\n' "$label" "$figure"
}

mid=2026-$(printf %06d $((n / 2)))
# time_all STORE: every command on the configured store.
time_all() {
  echo "$1:"
  row "list (50 newest)" "$MADOGUCHI" list
  row "list --category scan" "$MADOGUCHI" list --category scan
  row "list --reporter r42@" "$MADOGUCHI" list --reporter r42@
  row "list --since 30d" "$MADOGUCHI" list --since 30d
  row "show $mid" "$MADOGUCHI" show "$mid"
  row "show --json $mid" "$MADOGUCHI" show --json "$mid"
  row "list --ip 10.7.0.0/16" "$MADOGUCHI" list --ip 10.7.0.0/16
  row "list --ip 10.7.9.1" "$MADOGUCHI" list --ip 10.7.9.1
  row "stats (the last 12 months)" "$MADOGUCHI" stats
  row "export --since 1d" "$MADOGUCHI" export --since 1d
  row "outbox list" "$MADOGUCHI" outbox list
  row "notifications" "$MADOGUCHI" notifications
  row "incident list" "$MADOGUCHI" incident list
}

echo "tickets: $n ($(du -h "$MADOGUCHI_HOME/madoguchi.db" | cut -f1) of SQLite)"
# The figures are wall times: a loaded machine's are longer.
echo "load average: $(cut -d ' ' -f 1-3 /proc/loadavg)"
missing=
for store in $stores; do
  case $store in
    sqlite) time_all sqlite ;;
    postgresql)
      if ! pg_available; then
        missing="PostgreSQL 15 is not installed (apt-get install postgresql-15)"
        continue
      fi
      pg_start > /dev/null || { echo "bench: PostgreSQL did not start" >&2; exit 1; }
      uri=$(pg_createdb operator)
      t0=$(date +%s%N)
      if ! "$MADOGUCHI" migrate --to "$uri" > "$work/migrate" 2>&1; then
        missing="madoguchi cannot migrate --to PostgreSQL (issue 23): $(head -n 1 "$work/migrate")"
        continue
      fi
      t1=$(date +%s%N)
      echo "migrate --to postgresql: $(((t1 - t0) / 1000000)) ms"
      # The planner's statistics, as autovacuum would soon gather them.
      pg_super psql -X -q -d operator -c "VACUUM ANALYZE" > /dev/null
      MADOGUCHI_DATABASE=$uri time_all postgresql
      ;;
    *) echo "bench: unknown store $store (sqlite, postgresql)" >&2; exit 64 ;;
  esac
done
[ "$failed" -eq 0 ] || exit 1
[ -z "$missing" ] || bench_skip "$missing"
