# bench/lib.sh - sourced by the benchmarks that use the delivery kit.
#
# bench_start FILE [time]: stops with a clear message unless the kit
# (KIT, default ../shared/bench from the top of the tree) has FILE,
# build/madoguchi is built, and (with "time") /usr/bin/time is there;
# then makes the scratch directory $work, removed on exit, and points
# MADOGUCHI_CONFIG at an empty file there: the defaults, whatever /etc
# says.
KIT=${KIT:-../shared/bench}

bench_start() {
  [ -f "$KIT/$1" ] || { echo "bench: the benchmark kit is not in $KIT (set KIT)" >&2; exit 1; }
  [ -x build/madoguchi ] || { echo "bench: build/madoguchi is not built" >&2; exit 1; }
  if [ "${2:-}" = time ] && [ ! -x /usr/bin/time ]; then
    echo "bench: /usr/bin/time is needed: apt-get install time" >&2
    exit 1
  fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/madoguchi-bench.XXXXXX")
  trap 'remove_home "${work:?}"' EXIT
  trap 'exit 130' INT TERM
  printf '[madoguchi]\n' > "$work/empty.conf"
  MADOGUCHI_CONFIG=$work/empty.conf
  export MADOGUCHI_CONFIG
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
