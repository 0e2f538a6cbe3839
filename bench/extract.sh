#!/bin/sh
# bench/extract.sh [SIZE_MB] - extraction throughput on a large synthetic
# log attachment, against ripgrep with one IPv4 pattern on the same file
# in the same run.  Each is run RUNS times (default 3), alternately, and
# the table gives the median, min and max of each one's MB/s and of the
# ratio of the two in each round.  Then what PCRE2 itself needs: each
# extraction rule's pattern (`madoguchi rules list`) run alone over the
# raw log by ripgrep's PCRE2 engine (rg -P, the system's libpcre2 with
# JIT, without Unicode as madoguchi's long ASCII texts are searched), one
# pass a rule, RUNS rounds: the seconds of one core all the passes take,
# and the best ratio a two-core extraction running each rule over the
# text could reach against rg's one pattern.  A benchmark: it prints
# figures and asserts nothing.
#
# Needs a built madoguchi (build/madoguchi), python3, ripgrep (rg) and
# the kit's gen_log.py: GEN_LOG, else in KIT (default ../shared/bench).
set -eu
cd "$(dirname "$0")/.."
size=${1:-20}
. bench/lib.sh
command -v rg > /dev/null || bench_skip "ripgrep (rg) is needed: apt-get install ripgrep"
gen=${GEN_LOG:-$KIT/gen_log.py}   # the shared benchmark kit's generator
[ -f "$gen" ] || bench_skip "$gen not found (set GEN_LOG or KIT)"
bench_start "" time
python3 "$gen" "$work/log" "$size" 1
{
  printf 'From: noc@example.net\nTo: info@cert.example.jp\nSubject: logs\n'
  printf 'Date: Thu, 26 Nov 2026 10:00:00 +0900\nMessage-ID: <bench@example.net>\n'
  printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n'
  printf 'Content-Type: text/plain\n\nLogs attached.\n--b\n'
  printf 'Content-Type: text/plain; name=big.log\nContent-Transfer-Encoding: base64\n\n'
  base64 "$work/log"
  printf -- '--b--\n'
} > "$work/report.eml"
printf '[madoguchi]\nrules_dir = %s/rules\nmax_part_text = 1G\nmax_scan_text = 1G\nmax_indicators = 1000000\n' \
  "$PWD" > "$work/bench.conf"

bytes=$(wc -c < "$work/log")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')

# wall COMMAND...: the seconds COMMAND takes
wall() {
  t0=$(date +%s.%N)
  "$@" > /dev/null
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

: > "$work/ours"
: > "$work/rg"
: > "$work/ratio"
for i in $(seq "${RUNS:-3}"); do
  ours=$(wall "$MADOGUCHI" -c "$work/bench.conf" extract "$work/report.eml")
  rg=$(wall rg -o '(?:[0-9]{1,3}\.){3}[0-9]{1,3}' "$work/log")
  awk -v m="$mb" -v s="$ours" 'BEGIN { print m / s }' >> "$work/ours"
  awk -v m="$mb" -v s="$rg" 'BEGIN { print m / s }' >> "$work/rg"
  awk -v a="$ours" -v b="$rg" 'BEGIN { print b / a }' >> "$work/ratio"
done
rss=$(/usr/bin/time -f %M "$MADOGUCHI" -c "$work/bench.conf" extract "$work/report.eml" 2>&1 >/dev/null | tail -1)
echo "log: $mb MB ($(wc -l < "$work/log") lines), as a base64 attachment; ${RUNS:-3} runs each"
echo "madoguchi extract (all default rules), MB/s: $(bench_stats < "$work/ours")"
echo "rg -o IPv4 (one pattern), MB/s:             $(bench_stats < "$work/rg")"
echo "ratio (madoguchi / ripgrep speed, target >= 0.5): $(bench_stats < "$work/ratio")"
echo "madoguchi peak RSS: $rss KB"

# PCRE2 alone: every extraction rule over the log, one pass each.
"$MADOGUCHI" -c "$work/bench.conf" rules list \
  | awk -F'\t' '$3 !~ /^(classify|negation|formfield)$/' > "$work/rules"
tab=$(printf '\t')
# rg_found ARGS...: rg, where finding nothing (status 1) is no error
rg_found() { rg "$@" || [ $? -eq 1 ]; }
: > "$work/pcre2"
: > "$work/bound"
for i in $(seq "${RUNS:-3}"); do
  total=0
  while IFS=$tab read -r file name kind pattern; do
    t=$(wall rg_found -P --no-pcre2-unicode -o -e "$pattern" "$work/log")
    total=$(awk -v a="$total" -v b="$t" 'BEGIN { print a + b }')
  done < "$work/rules"
  rg=$(wall rg -o '(?:[0-9]{1,3}\.){3}[0-9]{1,3}' "$work/log")
  echo "$total" >> "$work/pcre2"
  awk -v a="$total" -v b="$rg" 'BEGIN { print b / (a / 2) }' >> "$work/bound"
done
echo "PCRE2 alone (rg -P), the $(wc -l < "$work/rules") extraction rules one pass each, s of one core: $(bench_stats < "$work/pcre2")"
echo "  so at best, two cores each running half of it, ratio: $(bench_stats < "$work/bound")"
