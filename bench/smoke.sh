#!/bin/sh
# bench/smoke.sh - every benchmark of bench/ once, at a tiny size, so that
# one that no longer runs is noticed (bench/operator.sh went on inserting
# into a column schema version 3 had dropped).  A script passes when it
# exits 0; its figures are not looked at, and no time is asserted.  TAP on
# standard output, the output of a failed script after its line.
#
# Exit 0 when all ran, 1 when one failed, 77 (skipped) when none failed
# but one could not run: the kit (KIT, default ../shared/bench from the
# top of the tree) or another prerequisite is missing.  A script without
# a tiny size below fails, so that a new benchmark is not left out.
#
# MADOGUCHI: the binary (default build/madoguchi), as for each script.
# CTest runs this as bench/smoke (label bench).  Two scripts run at once:
# about 40 s on 2 CPUs.
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh   # KIT, MADOGUCHI
export KIT MADOGUCHI

# tiny SCRIPT: the command line that runs bench/SCRIPT at a tiny size.
tiny() {
  case $1 in
    archive.sh) echo "env RUNS=1 BOMB_MIB=16 FEED_MB=0.2 sh bench/archive.sh" ;;
    bigmail.sh) echo "env SIZE_MB=1 RUNS=1 sh bench/bigmail.sh" ;;
    deliver.sh) echo "sh bench/deliver.sh 4" ;;
    extract.sh) echo "env RUNS=1 sh bench/extract.sh 1" ;;
    hostile.sh) echo "sh bench/hostile.sh headers-only many-headers" ;;
    import.sh) echo "env RUNS=1 sh bench/import.sh 20" ;;
    inflight.sh) echo "sh bench/inflight.sh 6" ;;
    operator.sh) echo "sh bench/operator.sh 200" ;;
    pg-deliver.sh) echo "env RUNS=1 sh bench/pg-deliver.sh 4" ;;
    startup.sh) echo "sh bench/startup.sh" ;;
    *) return 1 ;;
  esac
}

# run_one I SCRIPT: runs bench/SCRIPT at its tiny size; its output to
# $dir/I.out, its exit status (or "none", without a tiny size) to $dir/I.rc.
run_one() {
  if ! cmd=$(tiny "$2"); then
    echo none > "$dir/$1.rc"
    return
  fi
  echo "$cmd" > "$dir/$1.cmd"
  rc=0
  $cmd > "$dir/$1.out" 2>&1 < /dev/null || rc=$?
  echo "$rc" > "$dir/$1.rc"
}

# lane: runs every script no other lane has claimed yet (mkdir is the
# lock), two lanes at once, as the machine has two CPUs.
lane() {
  i=0
  for script in $scripts; do
    i=$((i + 1))
    mkdir "$dir/claim.$i" 2> /dev/null && run_one "$i" "$script"
  done
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/madoguchi-smoke.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
# startup.sh first: the longest (callgrind), so that the other lane
# works through the rest meanwhile.
scripts="startup.sh"
for path in bench/*.sh; do
  case ${path#bench/} in lib.sh|smoke.sh|startup.sh) ;; *) scripts="$scripts ${path#bench/}" ;; esac
done
[ -f bench/startup.sh ] || scripts=${scripts#startup.sh}
lane &
lane
wait

n=0
failed=0
skipped=0
for script in $scripts; do
  n=$((n + 1))
  rc=$(cat "$dir/$n.rc")
  cmd=$(cat "$dir/$n.cmd" 2> /dev/null)
  case $rc in
    0) echo "ok $n - $cmd" ;;
    none)
      echo "not ok $n - $script: no tiny size in bench/smoke.sh"
      failed=$((failed + 1))
      ;;
    77)
      echo "ok $n - $cmd # SKIP $(grep '^bench:' "$dir/$n.out" | tail -n 1)"
      skipped=$((skipped + 1))
      ;;
    *)
      echo "not ok $n - $cmd: exit $rc"
      tail -n 30 "$dir/$n.out" | sed 's/^/#   /'
      failed=$((failed + 1))
      ;;
  esac
done
echo "1..$n"
[ "$failed" -eq 0 ] || exit 1
[ "$skipped" -eq 0 ] || exit 77
exit 0
