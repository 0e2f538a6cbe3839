#!/bin/sh
# t090-procmail.sh - procmail pipes mbox-style mail to madoguchi deliver.
#
# The recipe under test, with a Maildir as the fallback:
#
#   :0 w
#   | "$MADOGUCHI" deliver
#
# The `w` flag makes procmail wait for deliver and check its exit status:
# when deliver exits 75 the recipe counts as failed, processing goes on,
# and the message falls off the end of the rcfile into $DEFAULT, so
# nothing is lost.  (Without `w` procmail ignores the status: see the
# last group of tests.)
#
# procmail runs as `procmail -p -m RCFILE`:
#   -m  a private rcfile only: no /etc/procmailrc, no ~/.procmailrc, and,
#       unlike plain `procmail RCFILE` run as root, no creation of the
#       system mailbox /var/mail/$LOGNAME at start-up;
#   -p  keep the environment (procmail clears it otherwise), so deliver
#       sees MADOGUCHI_HOME and MADOGUCHI_CONFIG from lib.sh.
# In -m mode, mail that falls off the end goes to $DEFAULT when the rcfile
# sets it; ORGMAIL is set too, so that procmail's last resort is a test
# file rather than the system mailbox.
#
# deliver gets neither -f nor $SENDER here: the envelope sender must come
# from the mbox "From " line procmail passes on.  Runs as any user; prints
# "1..0 # SKIP" when procmail is not installed.

. "$(dirname "$0")/lib.sh"

if ! command -v procmail >/dev/null 2>&1; then
  skip_all "procmail is not installed"
fi

export MADOGUCHI
MAILDIR_FALLBACK=$TEST_HOME/Maildir
PROCMAIL_LOG=$TEST_HOME/procmail.log
ORGMAIL_FILE=$TEST_HOME/orgmail

# write_rc FILE FLAGS: an rcfile with a `:0 FLAGS` recipe for deliver.
write_rc() {
  cat > "$1" <<EOF
SHELL=/bin/sh
MAILDIR=$TEST_HOME
DEFAULT=$MAILDIR_FALLBACK/
ORGMAIL=$ORGMAIL_FILE
LOGFILE=$PROCMAIL_LOG
VERBOSE=on

:0 $2
| "\$MADOGUCHI" deliver
EOF
  chmod 0644 "$1"
}

RC=$TEST_HOME/procmailrc
write_rc "$RC" w

# run_procmail FILE: feed FILE to procmail; sets $rc.  procmail's own
# stderr (complaints before LOGFILE is set, e.g. an unusable $HOME when
# run as nobody) goes to the same log.
run_procmail() {
  : > "$PROCMAIL_LOG"
  procmail -p -m "$RC" < "$1" 2>> "$PROCMAIL_LOG"
  rc=$?
}

# mbox FROM FILE OUT: FILE with an mbox "From FROM DATE" line first.
mbox() {
  { printf 'From %s Tue Nov 24 04:05:00 2026\n' "$1"; cat "$2"; } > "$3"
}

# fallen: the number of messages in the fallback Maildir.
fallen() {
  files_in "$MAILDIR_FALLBACK/new"
}

# ticket_json FIXED-STRING: show --json of the one ticket whose list entry
# contains FIXED-STRING.
ticket_json() {
  "$MADOGUCHI" list --all --json | sed 's/},{"number"/}\
{"number"/g' | grep -F -- "$1" > "$TEST_HOME/match"
  if [ "$(wc -l < "$TEST_HOME/match" | tr -d ' ')" = 1 ]; then
    "$MADOGUCHI" show "$(sed 's/.*"number":"\([^"]*\)".*/\1/' \
      "$TEST_HOME/match")" --json
  else
    echo "no single ticket matches '$1'"
  fi
}

diag_procmail() {
  sed 's/^/# procmail.log: /' "$PROCMAIL_LOG"
}

# --- 1. an mbox-style message is filed -------------------------------------

mbox reporter-envelope@example.net "$TEST_DATA_DIR/plain-english.eml" \
  "$TEST_HOME/plain.mbox"
run_procmail "$TEST_HOME/plain.mbox"
is "$rc" 0 "procmail exits 0"
is "$(count_tickets)" 1 "the message is filed as one ticket"
[ "$(count_tickets)" = 1 ] || diag_procmail
json=$(ticket_json 'Port scan and SSH brute force from 192.0.2.45')
contains "$json" '"envelope_from":"reporter-envelope@example.net"' \
  "envelope sender from the From_ line (not the Return-Path header)"
contains "$json" '"message_id":"20261124040458.GA18823@noc.example.net"' \
  "Message-ID recorded"
contains "$json" '"from":"Example Networks NOC <noc@example.net>"' \
  "header From is parsed past the From_ line"
is "$(fallen)" 0 "nothing fell through to the DEFAULT Maildir"
grep -q 'Program failure' "$PROCMAIL_LOG"
is $? 1 "procmail logged no program failure"
is "$(files_in "$MADOGUCHI_HOME/spool/new")" 0 "nothing left in the spool"

# crlf-mbox.eml brings its own From_ line, with CRLF line ends.
run_procmail "$TEST_DATA_DIR/crlf-mbox.eml"
is "$rc" 0 "procmail exits 0 for crlf-mbox.eml"
is "$(count_tickets)" 2 "crlf-mbox.eml is filed as a second ticket"
json=$(ticket_json 'Defaced website at www.example.com')
contains "$json" '"envelope_from":"reporter@example.net"' \
  "envelope sender from a CRLF From_ line, without the CR"
contains "$json" '"subject":"Defaced website at www.example.com"' \
  "CRLF message parsed"
is "$(fallen)" 0 "still nothing in the DEFAULT Maildir"

# --- 2. deliver exits 75: the message falls through to DEFAULT -------------

# A data directory that cannot be created, even by root: its parent is a
# regular file.
: > "$TEST_HOME/not-a-dir"
GOOD_HOME=$MADOGUCHI_HOME
MADOGUCHI_HOME=$TEST_HOME/not-a-dir/home
mbox yamada-envelope@example.co.jp "$TEST_DATA_DIR/iso2022jp.eml" \
  "$TEST_HOME/iso.mbox"
deliver "$TEST_HOME/iso.mbox" 2>/dev/null
is "$rc" 75 "deliver itself exits 75 with an unusable data directory"
run_procmail "$TEST_HOME/iso.mbox"
is "$rc" 0 "procmail exits 0: the DEFAULT delivery succeeded"
contains "$(cat "$PROCMAIL_LOG")" 'Program failure (75)' \
  "procmail saw deliver's exit status 75"
is "$(fallen)" 1 "the message fell through to the DEFAULT Maildir"
saved=$(find "$MAILDIR_FALLBACK/new" -type f | head -1)
cmp -s "${saved:-/nonexistent}" "$TEST_DATA_DIR/iso2022jp.eml"
ok $? "the Maildir copy is the message, byte for byte (without From_)"
[ -e "$ORGMAIL_FILE" ]
is $? 1 "procmail did not need its last-resort ORGMAIL"
MADOGUCHI_HOME=$GOOD_HOME
is "$(count_tickets)" 2 "no ticket was filed for it"

# Once madoguchi works again, the saved copy can be filed (its envelope is
# gone with the From_ line; the Return-Path header stands in).
run_procmail "$saved"
is "$rc" 0 "procmail files the saved copy once deliver works"
is "$(count_tickets)" 3 "the fallen-through message is now a ticket"
json=$(ticket_json '【報告】ポートスキャンについて')
contains "$json" '"subject":"【報告】ポートスキャンについて"' \
  "with its ISO-2022-JP subject decoded"
contains "$json" '"envelope_from":"yamada@example.co.jp"' \
  "envelope sender from Return-Path when there is no From_ line"

# --- 3. why the recipe needs `w` --------------------------------------------

# Without `w` procmail ignores the exit status: the recipe "delivers", and
# a message deliver could not take is neither filed nor kept.
write_rc "$RC" ''
rm -f "$MAILDIR_FALLBACK"/new/*
MADOGUCHI_HOME=$TEST_HOME/not-a-dir/home
mbox abuse@example.org "$TEST_DATA_DIR/euc-jp.eml" "$TEST_HOME/euc.mbox"
run_procmail "$TEST_HOME/euc.mbox"
MADOGUCHI_HOME=$GOOD_HOME
is "$rc" 0 "without w: procmail exits 0 all the same"
is "$(fallen)" 0 "without w: nothing reaches DEFAULT (the message is lost)"
is "$(count_tickets)" 3 "without w: and nothing is filed"

done_testing
