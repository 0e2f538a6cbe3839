#!/bin/sh
# Root works as the owner of the data directory: a root `list` or
# `deliver` must not leave root-owned files that the service user (who
# runs deliver for the MTA) cannot open.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv > /dev/null; then
  skip_all "needs root and setpriv"
fi
chmod 0711 "$TEST_HOME"
mkdir -p "$MADOGUCHI_HOME"
chown nobody:nogroup "$MADOGUCHI_HOME"
as_nobody() {
  setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}
bin="$TEST_HOME/madoguchi"
cp "$MADOGUCHI" "$bin"
chmod 0755 "$bin"
data="$TEST_DATA_DIR"
cp -r "$data" "$TEST_HOME/data"
chmod -R a+rX "$TEST_HOME/data"

as_nobody "$bin" deliver < "$TEST_HOME/data/plain-english.eml"
ok $? "the service user delivers"
"$bin" list > /dev/null
ok $? "root lists"
"$bin" deliver < "$TEST_HOME/data/iso2022jp.eml"
ok $? "root delivers"
is "$(find "$MADOGUCHI_HOME" -user root | wc -l | tr -d ' ')" 0 "no file in the data directory belongs to root"
as_nobody "$bin" deliver < "$TEST_HOME/data/shift_jis.eml"
ok $? "the service user still delivers after root's commands"
is "$(as_nobody "$bin" list --json | grep -o '"number"' | wc -l | tr -d ' ')" 3 "three tickets"
is "$(find "$MADOGUCHI_HOME/spool/new" -type f | wc -l | tr -d ' ')" 0 "none left unfiled"

done_testing
