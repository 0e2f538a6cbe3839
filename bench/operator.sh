#!/bin/sh
# bench/operator.sh [N] - list, show, list --ip and stats on a database of
# N generated tickets (default 1,000,000), each with a message and two
# address indicators.  A benchmark: it prints figures, asserts nothing.
# Needs python3 (to generate the rows quickly) and a built madoguchi.
set -eu
cd "$(dirname "$0")/.."
n=${1:-1000000}
work=$(mktemp -d "${TMPDIR:-/tmp}/madoguchi-opbench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export MADOGUCHI_HOME="$work/home"
./build/madoguchi init > /dev/null
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
        "INSERT INTO message (id, ticket_id, received, size, dedup_key, raw, "
        "text, subject) VALUES (?, ?, ?, 100, ?, x'00', 'text', ?)",
        ((i, i, start, "k%d" % i, "report %d" % i) for i in range(1, n + 1)))
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
echo "list (50 newest):          $(best ./build/madoguchi list) ms"
echo "list --category scan:      $(best ./build/madoguchi list --category scan) ms"
echo "show 2026-$(printf %06d $((n / 2))):        $(best ./build/madoguchi show "2026-$(printf %06d $((n / 2)))") ms"
echo "list --ip 10.7.0.0/16:     $(best ./build/madoguchi list --ip 10.7.0.0/16) ms"
echo "list --ip 10.7.9.1:        $(best ./build/madoguchi list --ip 10.7.9.1) ms"
echo "stats (the last 12 months): $(best ./build/madoguchi stats) ms"
