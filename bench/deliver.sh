#!/bin/sh
# bench/deliver.sh [N] - `madoguchi deliver` against the floor of the
# shared benchmark kit (issue 8, target 1: throughput >= 0.8 of the
# floor's, p95 latency <= 1.5 times the floor's).  The kit's compare.sh
# delivers N generated 2-8 KB reports (default 300), one process per
# message on a stdin pipe as an MTA does, alternately to its naive
# prototype (the floor) and to madoguchi, so that both see the same disk
# and CPU weather; this prints its rates and latencies, the throughput
# ratio, and the median and p95 ratios.  madoguchi files into a fresh
# data directory with the default configuration.  A benchmark: it prints
# figures, asserts nothing.
#
# Needs a built madoguchi, bash, python3, a C compiler and the -dev
# packages of GMime, GLib, SQLite and PCRE2 (the kit builds its floor),
# and the kit: KIT (default ../shared/bench, from the top of the tree).
set -eu
cd "$(dirname "$0")/.."
n=${1:-300}
. bench/lib.sh
bench_start compare.sh
MADOGUCHI_HOME=$work/home
export MADOGUCHI_HOME
bench_init "$MADOGUCHI_HOME"

bench_title "deliver vs the floor: $n reports"
rc=0
# OUTDIR: the kit's driver, floor, reports and floor database, all in
# $work (compare.sh's default is a shared /tmp/madoguchi-bench).
OUTDIR=$work/kit bash "$KIT/compare.sh" -n "$n" -- "$MADOGUCHI" deliver \
  > "$work/compare.txt" 2> "$work/compare.err" || rc=$?
cat "$work/compare.txt"
if [ "$rc" != 0 ]; then
  echo "compare.sh exited $rc (a delivery failed, see fails= above):"
  tail -n 20 "$work/compare.err"
fi
# The latency lines read "  latency floor   n=300  median=  9.400 ... p95=  32.000 ...".
sed 's/= */=/g' "$work/compare.txt" | awk '
  /^ *latency floor/ || /^ *latency candidate/ {
    for (i = 1; i <= NF; i++) {
      if ($i ~ /^median=/) m = substr($i, 8)
      if ($i ~ /^p95=/) p = substr($i, 5)
    }
    if ($2 == "floor") { fm = m; fp = p } else { cm = m; cp = p }
  }
  END {
    if (fm > 0) printf "median ratio candidate/floor = %.2f\n", cm / fm
    if (fp > 0) printf "p95 ratio candidate/floor = %.2f (target <= 1.5)\n", cp / fp
  }'
echo "tickets filed: $("$MADOGUCHI" list --all | tail -n +2 | wc -l)"
