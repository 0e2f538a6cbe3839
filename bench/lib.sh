# bench/lib.sh - sourced by the benchmarks, from the top of the tree.
#
# MADOGUCHI: the binary the benchmarks run (default build/madoguchi; the
# bench/smoke CTest entry points it at its own build's).
#
# bench_start [FILE] [time]: stops with a clear message unless the kit
# (KIT, default ../shared/bench from the top of the tree) has FILE (no
# FILE, ""), the binary is built, and (with "time") /usr/bin/time is
# there; then makes the scratch directory $work, removed on exit, and
# points MADOGUCHI_CONFIG at an empty file there: the defaults, whatever
# /etc says.  A missing prerequisite exits 77, as a skipped test does.
KIT=${KIT:-../shared/bench}
MADOGUCHI=${MADOGUCHI:-$PWD/build/madoguchi}

# bench_skip WHAT: stop, saying that WHAT is needed, with exit 77.
bench_skip() {
  echo "bench: $1" >&2
  exit 77
}

bench_start() {
  [ -z "${1:-}" ] || [ -f "$KIT/$1" ] \
    || bench_skip "the benchmark kit is not in $KIT (set KIT)"
  [ -x "$MADOGUCHI" ] || { echo "bench: $MADOGUCHI is not built" >&2; exit 1; }
  if [ "${2:-}" = time ] && [ ! -x /usr/bin/time ]; then
    bench_skip "/usr/bin/time is needed: apt-get install time"
  fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/madoguchi-bench.XXXXXX")
  trap 'remove_home "${work:?}"' EXIT
  trap 'exit 130' INT TERM
  printf '[madoguchi]\n' > "$work/empty.conf"
  MADOGUCHI_CONFIG=$work/empty.conf
  export MADOGUCHI_CONFIG
}

# bench_init DIR: a fresh data directory DIR with its database (only init
# creates one, and root only in a directory that exists: README).
bench_init() {
  mkdir -p -m 0700 "$1"
  MADOGUCHI_HOME=$1 "$MADOGUCHI" init > /dev/null
}

. tests/e2e/remove-home.sh   # remove_home; every user is at the top

# bench_title TEXT: the first line of a report: TEXT and the machine.
bench_title() {
  echo "$1, $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1)"
}

# bench_stats: "median M  min A  max B" of the numbers on standard input,
# one a line (an even count's median is the mean of the middle two).
bench_stats() {
  sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "no runs"; exit }
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "median %.2f  min %.2f  max %.2f", m, v[1], v[NR] }'
}
