#!/bin/sh
# t085-postfix-notify.sh - notifying the related sites (issue 21) through
# a real Postfix: `madoguchi notify` hands each notification to Postfix's
# sendmail, it arrives in the contact's mailbox, and the contact's answer,
# written from the notification it received, comes back to the team's
# address through README.Debian's recipe, joins the ticket although its
# sender is not the reporter, and marks the notification replied.  A
# notification to an address that does not exist bounces in Postfix, and
# the bounce, back through the recipe, marks it bounced.
#
# The instance is private, as in t080 (read its header): it lives under
# $TEST_HOME/postfix, has no listener at all, and is configured by the
# recipe of debian/README.Debian itself (pf_recipe).  mydestination
# holds the team's domain and two outside ones, all local:
#
#   info@cert.example.test       the recipe's madoguchi transport
#   reporter@reporter.example.test   a Maildir (the reporter, acknowledged)
#   noc@contact.example.test     a Maildir (the contact for 198.51.100.0/24)
#   ghost@contact.example.test   nobody: local(8) bounces it (the contact
#                                for 203.0.113.0/24)
#
# madoguchi runs as nobody (pipe(8)'s user=, and the test's own commands
# through setpriv); its sendmail_command is Postfix's sendmail -C $CONF,
# which nobody may use once pf_allow_sendmail has named $CONF in the
# system's main.cf (removed again on exit).  The reporter's report and the
# contact's answer are submitted by root with the same sendmail.
#
# Needs root, Postfix, setpriv and python3 (to read and answer the
# notification); prints "1..0 # SKIP" otherwise.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/postfix-lib.sh"

command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"

MAILROOT=$TEST_HOME/mail

# --- the madoguchi side ----------------------------------------------------

umask 022
chmod 0711 "$TEST_HOME"
mkdir -p "$TEST_HOME/bin" "$MADOGUCHI_HOME" "$MAILROOT" "$CONF" "$PF/queue"
chmod 0755 "$TEST_HOME/bin"
chown "$RUN_USER:$RUN_GROUP" "$MADOGUCHI_HOME" "$MAILROOT"
for box in reporter noc; do
  mkdir -p "$MAILROOT/$box"
  chown "$RUN_USER:$RUN_GROUP" "$MAILROOT/$box"
done

# A copy of the binary and the rules (with the notify templates), which
# nobody can reach whatever the build tree's modes (see t110).
RULES_SRC=$(dirname "$TEST_DATA_DIR")/../rules
[ -f "$RULES_SRC/notify-en.txt" ] || skip_all "no rules/ next to $TEST_DATA_DIR"
mkdir -p "$TEST_HOME/rules"
cp "$RULES_SRC"/* "$TEST_HOME/rules/"
chmod 0755 "$TEST_HOME/rules"
chmod 0644 "$TEST_HOME/rules"/*
cp "$MADOGUCHI" "$TEST_HOME/bin/madoguchi"
chmod 0755 "$TEST_HOME/bin/madoguchi"
BIN=$TEST_HOME/bin/madoguchi

SENDMAIL=$(postconf -d -h sendmail_path)
MADOGUCHI_CONFIG=$TEST_HOME/madoguchi.conf
export MADOGUCHI_CONFIG
cat > "$MADOGUCHI_CONFIG" <<EOF
[madoguchi]
team_address = info@cert.example.test
team_name = Example CERT
tag = IR
rules_dir = $TEST_HOME/rules
own_networks = 192.0.2.0/24
sendmail_command = $SENDMAIL -C $CONF
EOF
chmod 0644 "$MADOGUCHI_CONFIG"

MADOGUCHI=$(as_user_wrapper "$BIN")
"$MADOGUCHI" init >/dev/null
ok $? "madoguchi init, as $RUN_USER"

cat > "$TEST_HOME/contacts.csv" <<'EOF'
match,name,email,language,pgp
198.51.100.0/24,Contact Net NOC,noc@contact.example.test,en,
203.0.113.0/24,Gone Net,ghost@contact.example.test,en,
EOF
chmod 0644 "$TEST_HOME/contacts.csv"
out=$("$MADOGUCHI" contacts import "$TEST_HOME/contacts.csv" 2>&1)
contains "$out" "2 contacts imported" "contacts import: the two sites"

pf_allow_sendmail || skip_all "no /etc/postfix/main.cf to allow sendmail -C in"

# --- the private Postfix instance ------------------------------------------

pf_main_cf t085-postfix-notify.sh \
  "cert.example.test, reporter.example.test, contact.example.test"
master_cf_services > "$CONF/master.cf"
cat > "$CONF/aliases" <<EOF
postmaster: /dev/null
reporter: $MAILROOT/reporter/Maildir/
noc: $MAILROOT/noc/Maildir/
EOF
postalias "$CONF/aliases"
ok $? "postalias builds the private aliases database"
pf_started=1
postfix -c "$CONF" start >/dev/null 2>&1
rc=$?
ok $rc "private Postfix instance starts"
[ $rc -eq 0 ] || bail "Postfix did not start"
pf_recipe "$(pf_env_wrapper "$BIN")" info@cert.example.test
rc=$?
ok $rc "the Postfix recipe of debian/README.Debian runs on the instance"
[ $rc -eq 0 ] || bail "the recipe failed"

# --- helpers ------------------------------------------------------------------

# to_team FILE SENDER: FILE to the team's address, through Postfix.
to_team() {
  "$SENDMAIL" -C "$CONF" -f "$2" info@cert.example.test < "$1"
}

# team_deliveries: messages the recipe's transport gave madoguchi so far.
team_deliveries() {
  grep -c 'to=<info@cert.example.test>, relay=madoguchi.*status=sent' \
    "$MAILLOG" 2>/dev/null
}

settled() {
  [ "$(team_deliveries)" = "$1" ] && queue_empty
}

mails() {
  files_in "$MAILROOT/$1/Maildir/new"
}

mails_are() {
  [ "$(mails "$1")" = "$2" ]
}

# status_of EMAIL: the status of the notification to EMAIL (show --json).
status_of() {
  "$MADOGUCHI" show --json "${T:-none}" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(n["status"] for n in d["notifications"] if n["email"] == sys.argv[1]))
' "$1"
}

status_is() {
  [ "$(status_of "$1")" = "$2" ]
}

# --- 1. a report names the contacts' addresses --------------------------------

cat > "$TEST_HOME/report.eml" <<'EOF'
From: Hanako Reporter <reporter@reporter.example.test>
To: info@cert.example.test
Subject: SSH brute force against 192.0.2.55
Message-ID: <t085-report@reporter.example.test>
Date: Mon, 07 Dec 2026 08:00:00 +0000

Hello CERT,

our server 192.0.2.55 was attacked this morning:

2026-12-07 07:10:11 UTC sshd[1]: Failed password for root from 198.51.100.7 port 4242 ssh2
2026-12-07 07:12:00 UTC sshd[1]: Failed password for admin from 198.51.100.7 port 4243 ssh2
2026-12-07 07:15:00 UTC sshd[1]: Failed password for root from 203.0.113.9 port 5555 ssh2

--
Hanako Reporter, Reporter Corp security team
EOF
to_team "$TEST_HOME/report.eml" reporter@reporter.example.test
ok $? "sendmail accepts the report"
wait_until 20 settled 1
rc=$?
ok $rc "the recipe's transport delivers it to madoguchi"
[ $rc -eq 0 ] || bail "the report was not delivered"
T=$(ticket_number 'SSH brute force against 192.0.2.55')
[ -n "$T" ]; ok $? "it is ticket ${T:-(none)}"
wait_until 20 mails_are reporter 1
ok $? "the reporter gets the acknowledgement"

# --- 2. notify: through sendmail into the contact's mailbox -------------------

out=$("$MADOGUCHI" notify "${T:-none}" 2>&1)
is $? 0 "madoguchi notify ${T:-none} exits 0"
contains "$out" "noc@contact.example.test" "  notifies noc@contact.example.test"
contains "$out" "ghost@contact.example.test" "  and ghost@contact.example.test"
is "$(status_of noc@contact.example.test)" sent \
  "show --json: the notification to noc@ is sent"

wait_until 20 mails_are noc 1
rc=$?
ok $rc "the notification arrives in noc@'s Maildir through Postfix"
[ $rc -eq 0 ] || bail "no notification arrived"
note=$(ls "$MAILROOT/noc/Maildir/new"/* | head -1)
grep -q '^Received: .*by mail.cert.example.test (Postfix, from userid' "$note"
ok $? "  it came in through sendmail (pickup), run by madoguchi"
is "$(head -1 "$note")" "Return-Path: <info@cert.example.test>" \
  "  its envelope sender is the team's address (so bounces come back)"

# What the contact received, read with python3's email package.
python3 - "$note" > "$TEST_HOME/note.fields" <<'PY'
import sys
from email import policy
from email.parser import BytesParser
m = BytesParser(policy=policy.default).parse(open(sys.argv[1], "rb"))
body = m.get_body(preferencelist=("plain",))
print("message_id=" + m["Message-ID"].strip())
print("subject=" + str(m["Subject"]))
print("from=" + str(m["From"]))
print("body_has_tlp=" + str("TLP:AMBER" in body.get_content()))
print("body_has_evidence=" + str("198.51.100.7 port 4242" in body.get_content()))
print("names_reporter=" + str(any(w in m.as_string() for w in
      ("reporter.example.test", "Hanako", "Reporter Corp"))))
print("names_other_site=" + str("203.0.113.9" in m.as_string()))
PY
# field NAME: one of what python3 read.
field() { sed -n "s/^$1=//p" "$TEST_HOME/note.fields"; }
note_id=$(field message_id)
note_subject=$(field subject)
contains "$note_subject" "#${T:-none}/" "  the Subject carries the ticket's tag"
contains "$(field from)" "info@cert.example.test" "  From: the team's address"
is "$(field body_has_tlp)" True "  marked TLP:AMBER"
is "$(field body_has_evidence)" True "  with the contact's own log lines"
is "$(field names_reporter)" False "  never naming the reporter"
is "$(field names_other_site)" False "  nor the other site's address"

# --- 3. the bounce: ghost@ does not exist -------------------------------------

log_bounced() {
  grep -F 'to=<ghost@contact.example.test>' "$MAILLOG" 2>/dev/null \
    | grep -q 'status=bounced'
}
wait_until 20 log_bounced
ok $? "Postfix bounces the notification to ghost@ (unknown user)"
wait_until 20 status_is ghost@contact.example.test bounced
ok $? "the bounce comes back through the recipe and marks it bounced"
is "$(count_tickets)" 1 "  the bounce is no new ticket"

# --- 4. the contact answers ------------------------------------------------

{
  echo 'From: Contact Net NOC <noc@contact.example.test>'
  echo 'To: info@cert.example.test'
  echo "Subject: Re: $note_subject"
  echo 'Message-ID: <t085-answer@contact.example.test>'
  echo "In-Reply-To: $note_id"
  echo "References: $note_id"
  echo 'Date: Mon, 07 Dec 2026 09:00:00 +0000'
  echo 'MIME-Version: 1.0'
  echo 'Content-Type: text/plain; charset=UTF-8'
  echo
  echo 'Thank you.  The customer behind 198.51.100.7 has been told to clean'
  echo 'the host; its SSH is blocked at our border meanwhile.'
} > "$TEST_HOME/answer.eml"
chmod 0644 "$TEST_HOME/answer.eml"
before=$(team_deliveries)
to_team "$TEST_HOME/answer.eml" noc@contact.example.test
ok $? "sendmail accepts the contact's answer"
wait_until 20 settled $((before + 1))
ok $? "the recipe's transport delivers it to madoguchi"
wait_until 10 status_is noc@contact.example.test replied
ok $? "the answer marks the notification replied (show --json)"
is "$(count_tickets)" 1 "the answer is no new ticket"
show=$("$MADOGUCHI" show --json "${T:-none}" 2>&1)
contains "$show" '"message_id":"t085-answer@contact.example.test"' \
  "it joined ticket ${T:-none}, though noc@ is not the reporter"
contains "$show" '"envelope_from":"noc@contact.example.test"' \
  "  with the contact's envelope sender"
out=$("$MADOGUCHI" notifications --json 2>&1)
case $out in
  *noc@contact.example.test*) ok 1 "notifications: noc@'s no longer awaits an answer" ;;
  *) ok 0 "notifications: noc@'s no longer awaits an answer" ;;
esac
case $out in
  *ghost@contact.example.test*) ok 1 "notifications: nor the bounced one" ;;
  *) ok 0 "notifications: nor the bounced one" ;;
esac
is "$(mails noc)" 1 "the contact got the notification once"

wait_until 10 queue_empty
ok $? "the queue is empty at the end"
grep -q 'status=deferred' "$MAILLOG"
is $? 1 "Postfix deferred nothing"
[ "$test_failed" -eq 0 ] || diag_log
done_testing
