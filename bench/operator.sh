#!/bin/sh
# bench/operator.sh [N] - list, show, list --ip and stats on a database of
# N generated tickets (default 1,000,000), each with a message and two
# address indicators.  A benchmark: it prints figures, asserts nothing.
# Needs python3 (to generate the rows quickly) and a built madoguchi.
set -eu
cd "$(dirname "$0")/.."
n=${1:-1000000}
. bench/lib.sh
bench_start
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
best() {   # best of 3 wall times, in ms
  b=
  for i in 1 2 3; do
    t0=$(date +%s%N); "$@" > /dev/null; t1=$(date +%s%N)
    t=$(( (t1 - t0) / 1000000 ))
    if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
  done
  echo "$b"
}
echo "tickets: $n ($(du -h "$MADOGUCHI_HOME/madoguchi.db" | cut -f1))"
echo "list (50 newest):          $(best "$MADOGUCHI" list) ms"
echo "list --category scan:      $(best "$MADOGUCHI" list --category scan) ms"
echo "show 2026-$(printf %06d $((n / 2))):        $(best "$MADOGUCHI" show "2026-$(printf %06d $((n / 2)))") ms"
echo "list --ip 10.7.0.0/16:     $(best "$MADOGUCHI" list --ip 10.7.0.0/16) ms"
echo "list --ip 10.7.9.1:        $(best "$MADOGUCHI" list --ip 10.7.9.1) ms"
echo "stats (the last 12 months): $(best "$MADOGUCHI" stats) ms"
