#!/bin/sh
# bench/inflight.sh [N] - deliveries in parallel (issue 8, target 3: two
# deliveries in flight >= 1.2 times the throughput of one, and no
# SQLITE_BUSY).  The kit's driver plays the MTA: N generated 2-8 KB
# reports (default 300), one `madoguchi deliver` process per message on a
# stdin pipe, first with one in flight (-j 1), then with two (-j 2), each
# into a fresh data directory with the default configuration.  Prints
# both rates and latencies, the ratio, and what could have gone wrong
# with two writers: deliveries that failed (the driver's fails=), log
# lines about a busy or locked database or about a message kept in the
# spool (deliver runs with -v, so that its log, syslog otherwise, goes to
# stderr: one line per message), messages left in spool/new/ and tickets
# filed (N, when all is well).  A benchmark: it prints figures, asserts
# nothing.
#
# Needs a built madoguchi, python3, a C compiler, sqlite3, and the kit:
# KIT (default ../shared/bench, from the top of the tree).
set -eu
cd "$(dirname "$0")/.."
n=${1:-300}
. bench/lib.sh
bench_start driver.c
make -s -C "$KIT" OUTDIR="$work/kit" "$work/kit/driver" > /dev/null
python3 "$KIT/gen_msgs.py" "$work/msgs" "$n"

bench_title "deliveries in flight: $n reports"
for j in 1 2; do
  home=$work/home-j$j
  bench_init "$home"
  rc=0
  MADOGUCHI_HOME=$home "$work/kit/driver" -j "$j" -n "$n" "$work/msgs" -- \
    "$MADOGUCHI" -v deliver > "$work/out-j$j" 2> "$work/err-j$j" || rc=$?
  cat "$work/out-j$j"
  busy=$(grep -ciE 'busy|locked' "$work/err-j$j" || true)
  kept=$(grep -ci 'still in the spool\|kept in the spool' "$work/err-j$j" || true)
  other=$(grep -v 'filed as' "$work/err-j$j" | grep -c . || true)
  left=$(find "$home/spool/new" -type f | wc -l)
  tickets=$(sqlite3 "$home/madoguchi.db" "SELECT COUNT(*) FROM ticket")
  echo "  j=$j: driver exit $rc; log lines: $busy busy/locked, $kept kept in the spool, $other other than 'filed as'; $left left in spool/new/; $tickets tickets filed"
  if [ "$busy" != 0 ] || [ "$kept" != 0 ]; then
    grep -iE 'busy|locked|in the spool' "$work/err-j$j" | head -n 5 | sed 's/^/    /'
  fi
done
awk '/^j=1 / || /^j=2 / { for (i = 1; i <= NF; i++) if ($i ~ /^rate=/) r[$1] = substr($i, 6) }
     END { if (r["j=1"] > 0) printf "ratio j=2 / j=1 = %.2f (target >= 1.2)\n", r["j=2"] / r["j=1"] }' \
  "$work/out-j1" "$work/out-j2"
