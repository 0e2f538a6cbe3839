#!/bin/sh
# tests/pg/stop.sh DIR - stops the server tests/pg/start.sh started in
# DIR and removes DIR (its cluster, its log and its socket).
set -u
. "$(dirname "$0")/pg-lib.sh"
[ -n "${1:-}" ] || { echo "usage: stop.sh DIR" >&2; exit 64; }
pg_available || exit 0
case $1 in
  */madoguchi-pg.*) PG_HOST=$1 pg_destroy ;;
  *) echo "stop.sh: $1 is not a folder start.sh made" >&2; exit 64 ;;
esac
