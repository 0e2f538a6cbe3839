#!/bin/sh
# bench/archive.sh - archives attached to reports (issue 19 targets):
#   bomb     a report whose zip expands to 1 GiB of zeros (BOMB_MIB MiB,
#            default 1024), piped into
#            `madoguchi deliver`: filed and flagged in <= 10 s with
#            <= 96 MB peak RSS; with the default guards (the ratio stops
#            it) and without the ratio guard (max_archive_bytes, 256M,
#            stops it after reading that much)
#   feed     a CSV feed of FEED_MB MiB (default 20), attached as plain
#            text and zipped: `madoguchi extract` on each (parse, unzip,
#            scan, read the rows), with max_part_text and max_scan_text
#            raised so that all of it is read either way; the zipped
#            one's speed relative to the plain one's (target >= 0.5)
# Each RUNS times (default 3), in a fresh data directory; wall time
# median, min, max and the largest peak RSS (/usr/bin/time).  The mails
# are made by tests/e2e/mkarchive.py.  A benchmark: it prints figures,
# asserts nothing.
#
# Needs a built madoguchi (MADOGUCHI), python3 and /usr/bin/time
# (apt-get install time); not the kit.
set -eu
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
feed_mb=${FEED_MB:-20}
bomb_mib=${BOMB_MIB:-1024}
. bench/lib.sh
command -v python3 > /dev/null || bench_skip "python3 is needed"
bench_start "" time
mk=tests/e2e/mkarchive.py

printf '[madoguchi]\n' > "$work/defaults.conf"
printf '[madoguchi]\nmax_archive_ratio = 0\n' > "$work/noratio.conf"
printf '[madoguchi]\nmax_part_text = 64M\nmax_scan_text = 64M\n' \
  > "$work/feed.conf"

# run NAME CONF COMMAND...: RUNS times; prints "NAME  wall ...  rss ..."
# and leaves the last run's data directory in $work/home.
run() {
  name=$1
  conf=$2
  shift 2
  : > "$work/times"
  rss=0
  i=0
  while [ "$i" -lt "$runs" ]; do
    rm -rf "$work/home"
    MADOGUCHI_CONFIG=$conf bench_init "$work/home"
    MADOGUCHI_HOME=$work/home MADOGUCHI_CONFIG=$conf \
      /usr/bin/time -f '%e %M' -o "$work/time" "$@" > /dev/null
    read -r wall kb < "$work/time"
    echo "$wall" >> "$work/times"
    [ "$kb" -gt "$rss" ] && rss=$kb
    i=$((i + 1))
  done
  printf '%-28s wall s: %s  peak RSS %d MB\n' "$name" \
    "$(bench_stats < "$work/times")" $((rss / 1024))
}

flags() {
  sqlite3 "$work/home/madoguchi.db" "SELECT flags FROM message" 2>/dev/null
}

bench_title "archive.sh: $runs runs"
python3 "$mk" bomb "$bomb_mib" > "$work/bomb.eml"
echo "bomb: $(wc -c < "$work/bomb.eml") bytes of mail, $bomb_mib MiB expanded"
run "bomb, defaults" "$work/defaults.conf" \
  sh -c 'exec "$0" deliver < "$1"' "$MADOGUCHI" "$work/bomb.eml"
echo "  flags: $(flags)"
run "bomb, no ratio guard" "$work/noratio.conf" \
  sh -c 'exec "$0" deliver < "$1"' "$MADOGUCHI" "$work/bomb.eml"
echo "  flags: $(flags)"

python3 "$mk" feed-plain "$feed_mb" > "$work/plain.eml"
python3 "$mk" feed-zip "$feed_mb" > "$work/zip.eml"
echo "feed: ${feed_mb} MiB of CSV; mail $(wc -c < "$work/plain.eml") bytes" \
  "plain, $(wc -c < "$work/zip.eml") bytes zipped"
plain=$(run "feed, plain text" "$work/feed.conf" \
  "$MADOGUCHI" extract "$work/plain.eml")
echo "$plain"
zipped=$(run "feed, zipped" "$work/feed.conf" \
  "$MADOGUCHI" extract "$work/zip.eml")
echo "$zipped"
p=$(printf '%s\n' "$plain" | sed -n 's/.*median \([0-9.]*\).*/\1/p')
z=$(printf '%s\n' "$zipped" | sed -n 's/.*median \([0-9.]*\).*/\1/p')
awk -v p="$p" -v z="$z" 'BEGIN { printf "zipped speed / plain speed: %.2f\n", p / z }'
