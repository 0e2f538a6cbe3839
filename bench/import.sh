#!/bin/sh
# bench/import.sh [N] - `madoguchi import` of a backlog (issue 8, target
# 4: >= 2000 reports/s on the kit's reports, using both cores).  N
# generated 2-8 KB kit reports (default 2000), imported once as a Maildir
# (one file each in cur/) and once as one mbox (each report after a
# "From " line, ">From "-quoted inside, mboxrd), each into a fresh data
# directory with the default configuration and the default thread count
# (the number of cores), RUNS times (default 3).  Prints madoguchi's own
# summary of the last run, then the median, min and max of reports/s over
# the process's whole wall time and of CPU utilisation (user+sys)/wall
# (2.00 = both of two cores busy all along), and the largest peak RSS,
# from /usr/bin/time.  A benchmark: it prints figures, asserts nothing.
#
# Needs a built madoguchi, python3, /usr/bin/time (apt-get install time)
# and the kit's gen_msgs.py: KIT (default ../shared/bench, from the top
# of the tree).
set -eu
cd "$(dirname "$0")/.."
n=${1:-2000}
. bench/lib.sh
bench_start gen_msgs.py time

mkdir -p "$work/maildir/new" "$work/maildir/tmp"
python3 "$KIT/gen_msgs.py" "$work/maildir/cur" "$n"
# The mbox: a "From " line before each report, a blank line after it.
python3 - "$work/maildir/cur" "$work/reports.mbox" <<'PY'
import os, re, sys
with open(sys.argv[2], "wb") as out:
    for name in sorted(os.listdir(sys.argv[1])):
        with open(os.path.join(sys.argv[1], name), "rb") as f:
            text = re.sub(rb"(?m)^(>*From )", rb">\1", f.read())
        out.write(b"From abuse-reports@reporter.example.net Mon Oct  2 13:55:00 2023\n")
        out.write(text if text.endswith(b"\n") else text + b"\n")
        out.write(b"\n")
PY

bench_title "import: $n kit reports, ${RUNS:-3} runs each"
for kind in maildir mbox; do
  case $kind in
    maildir) src=$work/maildir; size=$(( $(cat "$src"/cur/msg-*.eml | wc -c) / 1024 )) ;;
    mbox) src=$work/reports.mbox; size=$(( $(wc -c < "$src") / 1024 )) ;;
  esac
  : > "$work/runs-$kind"
  for i in $(seq "${RUNS:-3}"); do
    home=$work/home-$kind
    rm -rf "$home"
    bench_init "$home"
    rc=0
    MADOGUCHI_HOME=$home /usr/bin/time -f '%e %U %S %M' -o "$work/time-$kind" \
      "$MADOGUCHI" import "$src" > "$work/out-$kind" 2> "$work/err-$kind" || rc=$?
    [ "$rc" = 0 ] || { echo "$kind: exit $rc:"; tail -n 5 "$work/err-$kind" | sed 's/^/    /'; }
    tail -n 1 "$work/time-$kind" >> "$work/runs-$kind"
  done
  echo "$kind ($size KB), the last run: $(cat "$work/out-$kind")"
  tickets=$(MADOGUCHI_HOME=$home "$MADOGUCHI" list --all | tail -n +2 | wc -l)
  echo "  reports/s (target >= 2000): $(awk -v n="$n" '$1 > 0 { print n / $1 }' "$work/runs-$kind" | bench_stats)"
  echo "  CPU (user+sys)/wall (2.00 = both cores): $(awk '$1 > 0 { print ($2 + $3) / $1 }' "$work/runs-$kind" | bench_stats)"
  awk -v t="$tickets" '$4 > m { m = $4 } END { printf "  peak RSS %.1f MB  tickets %d (the last run)\n", m / 1024, t }' "$work/runs-$kind"
done
