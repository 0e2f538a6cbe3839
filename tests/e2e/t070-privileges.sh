#!/bin/sh
# Root works as the owner of the data directory: a root `list` or
# `deliver` must not leave root-owned files that the service user (who
# runs deliver for the MTA) cannot open; nor create the data directory,
# which would then be root's.
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

# --- root never creates the data directory (issue 16, item 7) --------------

new_home="$TEST_HOME/new"
MADOGUCHI_HOME=$new_home "$bin" -v deliver < "$TEST_HOME/data/plain-english.eml" \
  2> "$TEST_HOME/err"
is $? 75 "root delivering to a missing data directory: exit 75"
[ -e "$new_home" ]
is $? 1 "and the data directory is not created"
contains "$(cat "$TEST_HOME/err")" "root does not create it" "the log says why"
contains "$(cat "$TEST_HOME/err")" "must belong to the service user" \
  "and names the owner it needs"
contains "$(cat "$TEST_HOME/err")" "$new_home" "and the path"
MADOGUCHI_HOME=$new_home "$bin" init > /dev/null 2> "$TEST_HOME/err"
is $? 78 "root's init on a missing data directory: exit 78 (EX_CONFIG)"
[ -e "$new_home" ]
is $? 1 "and creates nothing"
contains "$(cat "$TEST_HOME/err")" "install -d -o SERVICE-USER -m 0700 $new_home" \
  "and says how to create it"

# Once it exists and belongs to the service user, root's init and the
# service user's deliveries work on it.
install -d -o nobody -g nogroup -m 0700 "$new_home"
MADOGUCHI_HOME=$new_home "$bin" init > /dev/null
ok $? "root's init in the service user's new data directory"
is "$(find "$new_home" -user root | wc -l | tr -d ' ')" 0 "leaves nothing of root's"
MADOGUCHI_HOME=$new_home as_nobody "$bin" deliver < "$TEST_HOME/data/euc-jp.eml"
ok $? "and the service user delivers there"

# deliver creates the database only in a data directory of its own: not
# in root's, where the service user could be locked out of it later.
# (An SQLite file's: PostgreSQL's database is not in the data directory.)
if on_sqlite; then
  mkdir -m 0777 "$TEST_HOME/roots"
  MADOGUCHI_HOME=$TEST_HOME/roots as_nobody "$bin" -v deliver \
    < "$TEST_HOME/data/plain-english.eml" 2> "$TEST_HOME/err"
  is $? 75 "the service user delivering to root's data directory: exit 75"
  is "$(ls -A "$TEST_HOME/roots" | wc -l | tr -d ' ')" 0 "and creates nothing there"
  contains "$(cat "$TEST_HOME/err")" "belongs to root, and deliver runs as nobody" \
    "the log names both users"
fi

done_testing
