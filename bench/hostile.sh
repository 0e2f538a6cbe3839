#!/bin/sh
# bench/hostile.sh [CASE...] - the hostile messages of
# tests/e2e/t150-hostile.sh, each delivered into a fresh data directory
# with the default configuration, as a table of wall time, peak RSS
# (/usr/bin/time) and the flags recorded.  A benchmark: it asserts
# nothing, and runs without memory limits; a delivery is still stopped
# after BENCH_TIMEOUT seconds (default 120; keep it under deliver_timeout,
# 300, or madoguchi's own watchdog ends the delivery first and the row
# says "unfiled"), shown as "timeout" in the status column.
#
# MADOGUCHI (default build/madoguchi) is the binary; CASE... (default: all,
# listed by `bench/hostile.sh --list`) picks cases.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
MADOGUCHI=${MADOGUCHI:-$root/build/madoguchi}
[ -x "$MADOGUCHI" ] || { echo "bench: $MADOGUCHI not built" >&2; exit 1; }
BENCH_ALL=1   # every case, the 1 MB of unclosed encoded-words too
. "$root/tests/e2e/hostile-lib.sh"
. "$root/tests/e2e/remove-home.sh"
if [ "${1:-}" = --list ]; then
  hostile_cases
  exit 0
fi
if hostile_is_asan; then
  hostile_asan_shrink
  echo "(AddressSanitizer build: volumes shrunk as in t150-hostile.sh)"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/madoguchi-bench.XXXXXX") || exit 1
case $work in
  */madoguchi-bench.*) ;;
  *) echo "bench: bad scratch directory '$work'" >&2; exit 1 ;;
esac
trap 'remove_home "$work"' EXIT
trap 'exit 130' INT TERM
printf '[madoguchi]\n' > "$work/empty.conf"
MADOGUCHI_CONFIG=$work/empty.conf
export MADOGUCHI_CONFIG

[ $# -gt 0 ] || set -- $(hostile_cases)
printf '%-26s | %9s | %11s | %-8s | %s\n' case seconds "peak RSS KB" status flags
printf '%-26s-+-%9s-+-%11s-+-%-8s-+-%s\n' -------------------------- --------- ----------- -------- -----
for c in "$@"; do
  case " $(echo $(hostile_cases)) " in
    *" $c "*) ;;
    *) echo "bench: no case '$c' (see --list)" >&2; continue ;;
  esac
  hostile_run "$c" "$work/$c" "" "${BENCH_TIMEOUT:-120}"
  case $h_rc in
    0) status=ok ;;
    124|137) status=timeout ;;
    *) status="exit $h_rc" ;;
  esac
  tickets=$(sqlite3 "$work/$c/home/madoguchi.db" "SELECT COUNT(*) FROM ticket" 2>/dev/null)
  [ "$status" = ok ] && [ "${tickets:-0}" != 1 ] && status=unfiled
  flags=$(hostile_flags "$work/$c")
  printf '%-26s | %9s | %11s | %-8s | %s\n' "$c" "$h_secs" "$h_rss" "$status" "${flags:--}"
  remove_home "${work:?}/${c:?}"
done
