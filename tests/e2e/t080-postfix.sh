#!/bin/sh
# t080-postfix.sh - a real Postfix delivers to madoguchi through the
# pipe(8) transport of debian/README.Debian's recipe.
#
# The instance is configured by the recipe itself: pf_recipe (postfix-lib.sh)
# extracts it with recipe.sh, as tests/package/run.sh does, and runs it
# with only the paths replaced (the binary, /etc/postfix, the user, the
# team's address).  A recipe that stops working fails this test.
#
# The test runs a PRIVATE Postfix instance that lives entirely under
# $TEST_HOME/postfix: its own config_directory (conf/), queue_directory
# (queue/), data_directory (data/), aliases and log file.  The machine's
# own Postfix (/etc/postfix, /var/spool/postfix) is neither read for
# settings nor written, and is not started or stopped.
#
# Why `postfix -c DIR` works without touching /etc/postfix/main.cf:
# alternate_config_directories only guards non-default configuration
# directories against UNTRUSTED callers.  mail_conf_suck() (Postfix's
# src/global/mail_conf.c) calls mail_conf_checkdir() only in a set-gid
# command (postdrop, postqueue) whose environment is not trusted, and
# never when the euid is 0.
# This test runs everything as root (it SKIPs otherwise), so `postfix -c`,
# `sendmail -C` (-> postdrop) and `postqueue -c` accept the private
# directory as is, and no entry is added to the default main.cf, not even
# temporarily: a crashed test can never leave the system Postfix changed.
# postfix-script only *reads* multi_instance_directories from the default
# main.cf (and copes with it missing), so an unconfigured system Postfix
# is fine too.
#
# The instance has no SMTP listener: master.cf holds only the internal
# services (pickup, cleanup, qmgr, rewrite, bounce/defer/trace, verify,
# flush, showq, proxymap, error, discard, local, postlog), so nothing
# binds a TCP port and it cannot clash with a running system Postfix.
# Outbound mail is impossible (default_transport and relay_transport are
# error:).  Logs go to $TEST_HOME/postfix/maillog through postlogd (no
# syslog needed), and are shown as TAP diagnostics when something fails.
#
# Who runs madoguchi: pipe(8), as the recipe's user= (the package's
# madoguchi user; `nobody` here, pipe(8) refusing root).  pipe(8) passes
# none of our environment, so the recipe's /usr/bin/madoguchi becomes a
# wrapper that sets MADOGUCHI_HOME and MADOGUCHI_CONFIG and runs the
# binary under test (pf_env_wrapper).  $MADOGUCHI_HOME belongs to nobody,
# $TEST_HOME is made traversable (0711), and the test runs its own
# madoguchi commands (init, list, show) as nobody as well, through a
# setpriv wrapper: a root-run `list` on a fresh data directory would
# create a root-owned database nobody cannot write, and a root-run `list`
# during deliveries races with them (SQLite creates -wal/-shm as root,
# then chowns them).
#
# Needs root and Postfix (Debian package postfix); prints "1..0 # SKIP"
# otherwise.  sqlite3 (the CLI) is optional: its one check is skipped.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/postfix-lib.sh"

ALIAS_CMD=$MADOGUCHI

# --- the madoguchi side ----------------------------------------------------

# Whatever the caller's umask, the postfix user and nobody must be able to
# reach what they use.
umask 022
chmod 0711 "$TEST_HOME"
chmod 0644 "$MADOGUCHI_CONFIG"
mkdir -p "$TEST_HOME/bin" "$MADOGUCHI_HOME"
chmod 0755 "$TEST_HOME/bin"
chown "$RUN_USER:$RUN_GROUP" "$MADOGUCHI_HOME"

# The pipe runs as nobody: if the build tree is not reachable for nobody
# (a 0700 checkout, say), use a copy of the binary instead.
if ! as_user test -x "$MADOGUCHI" 2>/dev/null; then
  cp "$MADOGUCHI" "$TEST_HOME/bin/madoguchi"
  chmod 0755 "$TEST_HOME/bin/madoguchi"
  ALIAS_CMD=$TEST_HOME/bin/madoguchi
  echo "# $MADOGUCHI is not executable by $RUN_USER; the alias runs a copy"
fi

# Every madoguchi command this test runs (init, deliver, and lib.sh's
# count_tickets, list, show) runs as the delivery user too.  Root must not
# open the database while deliveries run: SQLite, as root, creates the
# -wal/-shm files and only then chowns them to the database's owner, and
# a delivery that opens them in between fails to file the message (it
# stays in the spool; deliver still exits 0).
MADOGUCHI=$(as_user_wrapper "$ALIAS_CMD")

"$MADOGUCHI" init >/dev/null
ok $? "madoguchi init, as $RUN_USER"
as_user test -r "$MADOGUCHI_CONFIG" -a -w "$MADOGUCHI_HOME/spool/tmp"
ok $? "$RUN_USER can read the config and write the spool"

# --- the private Postfix instance ------------------------------------------

mkdir -p "$CONF" "$PF/queue"

pf_main_cf t080-postfix.sh "\$myhostname, \$mydomain, localhost"

# Only the internal services; no smtpd, no inet listener of any kind.
master_cf_services > "$CONF/master.cf"

# postmaster (double bounces, should a test go wrong) must not feed
# madoguchi and upset the ticket counts.  info@ is no alias: the recipe's
# transport takes it.
cat > "$CONF/aliases" <<EOF
postmaster: /dev/null
EOF
postalias "$CONF/aliases"
ok $? "postalias builds the private aliases database"

postfix -c "$CONF" check
ok $? "postfix check accepts the private instance"
pf_started=1
postfix -c "$CONF" start >/dev/null 2>&1
rc=$?
ok $rc "private Postfix instance starts"
[ $rc -eq 0 ] || bail "Postfix did not start"

pf_recipe "$(pf_env_wrapper "$ALIAS_CMD")" info@cert.example.test
rc=$?
ok $rc "the Postfix recipe of debian/README.Debian runs on the instance"
[ $rc -eq 0 ] || bail "the recipe failed"
postfix -c "$CONF" check
ok $? "postfix check accepts the instance with the recipe"

SENDMAIL=$(postconf -c "$CONF" -h sendmail_path)

# submit FILE SENDER: hand FILE to the instance's sendmail for info@.
submit() {
  "$SENDMAIL" -C "$CONF" -f "$2" info@cert.example.test < "$1"
}


# tickets_are N: exactly N tickets exist.
tickets_are() {
  [ "$(count_tickets 2>/dev/null)" = "$1" ]
}

# log_count FIXED-STRING N: the maillog has exactly N lines with it.
log_count() {
  [ "$(grep -c -F -- "$1" "$MAILLOG" 2>/dev/null)" = "$2" ]
}

# settled N: N tickets filed and the queue drained.
settled() {
  tickets_are "$1" && queue_empty
}



# --- 1. normal deliveries --------------------------------------------------

submit "$TEST_DATA_DIR/plain-english.eml" reporter@example.net
ok $? "sendmail accepts plain-english.eml from reporter@example.net"
submit "$TEST_DATA_DIR/iso2022jp.eml" yamada-envelope@example.co.jp
ok $? "sendmail accepts iso2022jp.eml"
submit "$TEST_DATA_DIR/multipart-log.eml" '<>'
ok $? "sendmail accepts multipart-log.eml with the null sender as <>"
submit "$TEST_DATA_DIR/forwarded.eml" ''
ok $? "sendmail accepts forwarded.eml with the null sender as ''"

wait_until 20 settled 4
rc=$?
ok $rc "Postfix delivered all four messages to madoguchi within 20 s"
[ $rc -eq 0 ] || bail "the first deliveries did not settle"
is "$(count_tickets)" 4 "each message became exactly one ticket"
is "$(files_in "$MADOGUCHI_HOME/spool/new")" 0 "nothing left waiting in the spool"

# postlogd writes the log asynchronously: poll for the lines too.
wait_until 5 log_count 'status=sent (delivered via madoguchi service)' 4
ok $? "maillog: four deliveries through the recipe's madoguchi transport"
grep -q 'status=bounced' "$MAILLOG"
is $? 1 "Postfix bounced nothing"

n=$(ticket_number 'Port scan and SSH brute force from 192.0.2.45')
[ -n "$n" ]; ok $? "one ticket for plain-english.eml"
show=$("$MADOGUCHI" show "${n:-none}" --json 2>&1)
contains "$show" '"envelope_from":"reporter@example.net"' \
  "envelope_from is the sendmail -f sender"
contains "$show" '"message_id":"20261124040458.GA18823@noc.example.net"' \
  "Message-ID recorded"
contains "$show" 'Failed password for invalid user oracle from 2001:db8:4a2f::45' \
  "body text recorded"
if command -v sqlite3 >/dev/null 2>&1; then
  is "$(sql "SELECT envelope_to FROM message WHERE message_id = '20261124040458.GA18823@noc.example.net'")" \
    info@cert.example.test "envelope_to is the recipe's -a (original_recipient)"
else
  ok 0 "envelope_to # SKIP sqlite3 CLI not installed"
fi

n=$(ticket_number '【報告】ポートスキャンについて')
[ -n "$n" ]; ok $? "one ticket with the decoded ISO-2022-JP subject"
show=$("$MADOGUCHI" show "${n:-none}" --json 2>&1)
contains "$show" '"subject":"【報告】ポートスキャンについて"' \
  "message subject decoded from ISO-2022-JP"
contains "$show" '"envelope_from":"yamada-envelope@example.co.jp"' \
  "envelope_from is the -f sender"
contains "$show" '㈱エグザンプル' "ISO-2022-JP body decoded"

n=$(ticket_number 'SSH brute force and web scan from 203.0.113.7')
[ -n "$n" ]; ok $? "one ticket for multipart-log.eml"
show=$("$MADOGUCHI" show "${n:-none}" --json 2>&1)
contains "$show" '"envelope_from":""' "bounce (-f <>) recorded with envelope_from \"\""

n=$(ticket_number 'Fwd: spam / phishing received from 198.51.100.23')
[ -n "$n" ]; ok $? "one ticket for forwarded.eml"
show=$("$MADOGUCHI" show "${n:-none}" --json 2>&1)
contains "$show" '"envelope_from":""' "bounce (-f '') recorded with envelope_from \"\""

# The same report sent again (a reporter's resend: Postfix gives it a new
# queue ID and Received header) is recognised as a duplicate.
submit "$TEST_DATA_DIR/plain-english.eml" reporter@example.net
ok $? "sendmail accepts plain-english.eml a second time"
wait_until 20 log_count 'status=sent (delivered via madoguchi service)' 5
ok $? "Postfix delivered it to madoguchi"
wait_until 5 queue_empty
is "$(count_tickets)" 4 "the resent report is no new ticket"
n=$(ticket_number 'Port scan and SSH brute force from 192.0.2.45')
is "$("$MADOGUCHI" show "${n:-none}" --json 2>&1 | grep -o '"direction":' | wc -l | tr -d ' ')" \
  1 "nor a second message in the first one"

# --- 1b. one message to two of the team's addresses --------------------------

# A team with a second address adds it to the recipe's table.  One message
# to both is two deliveries (madoguchi_destination_recipient_limit = 1),
# each naming its own recipient with -a; without the limit pipe(8) would
# pass both recipients to one deliver.
echo 'abuse@cert.example.test madoguchi:' >> "$CONF/madoguchi-addresses"
postmap "$CONF/madoguchi-addresses" && postfix -c "$CONF" reload 2>/dev/null
ok $? "a second team address in the recipe's table, and postfix reload"
# master logs the reload once it has re-read the configuration.
wait_until 10 log_count 'reload -- version' 2
sed 's/^Message-ID: .*/Message-ID: <t080-two-addresses@example.net>/' \
  "$TEST_DATA_DIR/plain-english.eml" > "$TEST_HOME/two.eml"
"$SENDMAIL" -C "$CONF" -f reporter@example.net info@cert.example.test \
  abuse@cert.example.test < "$TEST_HOME/two.eml"
ok $? "sendmail accepts a message to info@ and abuse@"
wait_until 20 log_count 'status=sent (delivered via madoguchi service)' 7
ok $? "Postfix made one delivery per address"
wait_until 5 queue_empty
grep -q 'status=bounced' "$MAILLOG"
is $? 1 "Postfix bounced neither"
if command -v sqlite3 >/dev/null 2>&1; then
  is "$(sql "SELECT count(*) FROM message WHERE message_id = 't080-two-addresses@example.net'")" \
    1 "the message is filed once (the second delivery is a duplicate)"
  case $(sql "SELECT envelope_to FROM message WHERE message_id = 't080-two-addresses@example.net'") in
    info@cert.example.test | abuse@cert.example.test) ok 0 "  for one address" ;;
    *) ok 1 "  for one address" ;;
  esac
fi
tickets=$(count_tickets)

# --- 2. madoguchi exits 75: Postfix defers, then delivers on flush ---------

# The spool's tmp/ unwritable for the delivery user: deliver cannot make
# the message durable and must exit 75 (EX_TEMPFAIL).
chmod 0500 "$MADOGUCHI_HOME/spool/tmp"
deliver "$TEST_DATA_DIR/euc-jp.eml" -f check@example.org 2>/dev/null
is "$rc" 75 "deliver exits 75 when the spool is unwritable"

submit "$TEST_DATA_DIR/euc-jp.eml" sato-envelope@example.org
ok $? "sendmail accepts euc-jp.eml"

# deferred: the message sits in the deferred queue with a reason.
deferred() {
  postqueue -c "$CONF" -j 2>/dev/null \
    | grep '"queue_name": *"deferred"' | grep -q 'sato-envelope@example.org'
}
wait_until 20 deferred
rc=$?
ok $rc "Postfix defers the message when madoguchi exits 75"
[ $rc -eq 0 ] || bail "no deferred message"
queue=$(postqueue -c "$CONF" -p 2>&1)
contains "$queue" 'sato-envelope@example.org' "postqueue -p lists the deferred message"
contains "$queue" 'info@cert.example.test' "... for info@"
contains "$queue" 'temporary failure' "... with madoguchi's temporary failure"
wait_until 5 log_count 'status=deferred (temporary failure' 1
ok $? "maillog: status=deferred (temporary failure)"
grep -q 'status=bounced' "$MAILLOG"
is $? 1 "no bounce"
grep -q 'sender non-delivery notification' "$MAILLOG"
is $? 1 "no non-delivery notification generated"
is "$(count_tickets)" "$tickets" "no ticket filed while deliver fails"
is "$(files_in "$MADOGUCHI_HOME/spool/tmp")" 0 "no partial file left in spool/tmp"

chmod 0700 "$MADOGUCHI_HOME/spool/tmp"
postqueue -c "$CONF" -f
ok $? "postqueue -f after fixing the permissions"
wait_until 20 settled $((tickets + 1))
rc=$?
ok $rc "the deferred message is delivered within 20 s of the flush"
[ $rc -eq 0 ] || bail "the flush did not deliver"
is "$(count_tickets)" $((tickets + 1)) "exactly one more ticket"
n=$(ticket_number 'メールサーバの不正中継について')
[ -n "$n" ]; ok $? "one ticket for euc-jp.eml, subject decoded"
show=$("$MADOGUCHI" show "${n:-none}" --json 2>&1)
contains "$show" '"envelope_from":"sato-envelope@example.org"' \
  "envelope_from of the retried message is the -f sender"
grep -q 'status=bounced' "$MAILLOG"
is $? 1 "still no bounce"

done_testing
