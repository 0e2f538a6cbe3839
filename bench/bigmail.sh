#!/bin/sh
# bench/bigmail.sh - one big report through `madoguchi deliver` (issue 8,
# target 5: a 50 MB report with a base64 log attachment filed in <= 2 s
# and <= 64 MB peak RSS; a 500 MB one filed, flagged, without running out
# of memory).  Builds a SIZE_MB report (default 50; MB = MiB) as
# extract.sh does: a short text and a base64 text/plain attachment of a
# synthetic log (the kit's gen_log.py), and a variant whose attachment is
# random bytes (application/octet-stream).  Each is piped into deliver, as
# an MTA does, RUNS times (default 3), each in a fresh data directory; a
# table of the wall time (median, min, max) and the largest peak RSS
# (/usr/bin/time), the exit status, and the flags `madoguchi show` prints
# for the filed message.  Rows:
#   log, defaults     the default limits (max_message_size raised only if
#                     SIZE_MB needs it): the log text is kept and scanned
#                     up to max_part_text (8M) and max_scan_text (32M)
#   log, whole text   extract.sh's limits: every byte of the log scanned
#   binary, defaults  random bytes: nothing to decode as text
# With BIG=1 (slow: minutes, and about 3 x BIG_MB of disk), the same for
# a BIG_MB report (default 500) with the default limits, under which it
# is larger than max_message_size (64M): kept truncated, flagged.
# A benchmark: it prints figures, asserts nothing.
#
# Needs a built madoguchi, python3, base64, /usr/bin/time (apt-get
# install time) and the kit's gen_log.py: KIT (default ../shared/bench,
# from the top of the tree).
set -eu
cd "$(dirname "$0")/.."
size=${SIZE_MB:-50}
big=${BIG_MB:-500}
. bench/lib.sh
bench_start gen_log.py time

# report KIND MB OUT: a report of about MB MiB in all; the attachment is
# base64 with 76-column lines, 4/3 x 77/76 of its decoded size.
report() {
  bytes=$(awk -v m="$2" 'BEGIN { printf "%d", m * 1048576 * 3 / 4 * 76 / 77 - 4096 }')
  case $1 in
    log)
      python3 "$KIT/gen_log.py" "$work/attachment" "$(awk -v b="$bytes" 'BEGIN { print b / 1048576 }')" 1
      part='Content-Type: text/plain; name=big.log' ;;
    binary)
      head -c "$bytes" /dev/urandom > "$work/attachment"
      part='Content-Type: application/octet-stream; name=dump.bin' ;;
  esac
  {
    printf 'From: noc@example.net\nTo: info@cert.example.jp\nSubject: logs (%s)\n' "$1"
    printf 'Date: Thu, 26 Nov 2026 10:00:00 +0900\nMessage-ID: <bigmail-%s@example.net>\n' "$1"
    printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n'
    printf 'Content-Type: text/plain\n\nAttacks from 192.0.2.1 since this morning; logs attached.\n--b\n'
    printf '%s\nContent-Transfer-Encoding: base64\n\n' "$part"
    base64 "$work/attachment"
    printf -- '--b--\n'
  } > "$3"
  rm -f "$work/attachment"
}

# config NAME MB MODE: NAME.conf.  MODE defaults: the default limits;
# fit: those, with max_message_size raised to fit an MB report when it is
# over the default 64M; whole: fit, and extract.sh's text limits.
config() {
  printf '[madoguchi]\n' > "$work/$1.conf"
  if [ "$3" != defaults ] && awk -v m="$2" 'BEGIN { exit !(m > 62) }'; then
    awk -v m="$2" 'BEGIN { printf "max_message_size = %dM\n", m + 9 }' >> "$work/$1.conf"
  fi
  if [ "$3" = whole ]; then
    printf 'max_part_text = 1G\nmax_scan_text = 1G\nmax_indicators = 1000000\n' >> "$work/$1.conf"
  fi
}

# deliver_once CONF REPORT: deliver REPORT into a fresh data directory
# ($work/home, left for the caller to read); appends "seconds RSS-KB" to
# $work/times; sets rc.
deliver_once() {
  remove_home "${home:?}"
  bench_init "$home"
  # shellcheck disable=SC2002 # on a pipe, as the MTA hands it over
  if cat "$2" | MADOGUCHI_CONFIG=$work/$1.conf MADOGUCHI_HOME=$home \
       /usr/bin/time -f '%e %M' -o "$work/time" "$MADOGUCHI" deliver 2> "$work/err"; then
    rc=0
  else
    rc=$?
  fi
  tail -n 1 "$work/time" >> "$work/times"
}

# row LABEL CONF REPORT: deliver REPORT RUNS times (default 3), each into
# a fresh data directory: seconds (median, min, max), the largest peak
# RSS, and the last run's exit status and flags
row() {
  home=$work/home
  : > "$work/times"
  for i in $(seq "${RUNS:-3}"); do
    deliver_once "$2" "$3"
    [ "$rc" = 0 ] || break
  done
  number=$(MADOGUCHI_CONFIG=$work/$2.conf MADOGUCHI_HOME=$home "$MADOGUCHI" list | awk 'NR == 2 { print $1 }')
  if [ -n "$number" ]; then
    line=$(MADOGUCHI_CONFIG=$work/$2.conf MADOGUCHI_HOME=$home "$MADOGUCHI" show "$number" | grep -m 1 '^--- message')
    case $line in
      *", flags: "*) flags=${line##*, flags: } ;;
      *) flags=- ;;
    esac
    flags="$number: $flags"
  else
    flags="unfiled, $(find "$home/spool/new" -type f | wc -l) in spool/new/"
  fi
  mb=$(awk -v b="$(wc -c < "$3")" 'BEGIN { printf "%.1f", b / 1048576 }')
  secs=$(awk '{ print $1 }' "$work/times" | bench_stats)
  rss=$(awk '$2 > m { m = $2 } END { printf "%.1f", m / 1024 }' "$work/times")
  printf '%-22s %6s  %-34s %7s %5s  %s\n' "$1" "$mb" "$secs" "$rss" "$rc" "$flags"
  [ "$rc" = 0 ] || sed 's/^/    /' "$work/err" | tail -n 3
  remove_home "${home:?}"
}

header() {
  printf '%-22s %6s  %-34s %7s %5s  %s\n' case MB "seconds (${RUNS:-3} runs)" "RSS MB" exit \
    "ticket: flags"
}
bench_title "big reports through deliver"
report log "$size" "$work/log.eml"
report binary "$size" "$work/binary.eml"
config fit "$size" fit
config whole "$size" whole
header
row "log, defaults" fit "$work/log.eml"
row "log, whole text" whole "$work/log.eml"
row "binary, defaults" fit "$work/binary.eml"
rm -f "$work/log.eml" "$work/binary.eml"

if [ "${BIG:-0}" = 1 ]; then
  config big "$big" defaults
  report log "$big" "$work/big.eml"
  row "log ${big} MB, defaults" big "$work/big.eml"
  rm -f "$work/big.eml"
  report binary "$big" "$work/big.eml"
  row "binary ${big} MB, defaults" big "$work/big.eml"
  rm -f "$work/big.eml"
else
  echo "(BIG=1 for the ${big} MB report, with the default limits)"
fi
