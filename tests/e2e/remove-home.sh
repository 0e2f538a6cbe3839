# tests/e2e/remove-home.sh - sourced by tests/e2e/lib.sh and the
# benchmarks (bench/lib.sh, bench/hostile.sh).
#
# remove_home DIR: rm -rf DIR, once no process a delivery left behind is
# still emptying a WAL in it (it holds a flock on madoguchi.db, README).
remove_home() {
  find "$1" -name madoguchi.db -exec flock {} true \; 2>/dev/null || :
  rm -rf "$1"
}
