#!/bin/sh
# acknowledgements: what an acknowledgement looks like, when none may be
# sent (RFC 3834 and the loops, lists, bounces and forgeries around it),
# the rate limit, follow-ups joining their ticket, bounces of our own
# replies, the sendmail transport and the outbox, languages and charsets,
# and header injection through the subject.
. "$(dirname "$0")/lib.sh"

OUTBOX="$MADOGUCHI_HOME/outbox/new"
year=$(date +%Y)
CR=$(printf '\r')

# --- helpers ----------------------------------------------------------

# use_config [KEY=VALUE...]: a fresh config file with just these keys.
config_n=0
use_config() {
  config_n=$((config_n + 1))
  MADOGUCHI_CONFIG="$TEST_HOME/config-$config_n.conf"
  {
    printf '[madoguchi]\n'
    for kv in "$@"; do printf '%s\n' "$kv"; done
  } > "$MADOGUCHI_CONFIG"
  export MADOGUCHI_CONFIG
}

# report ID FROM SUBJECT [HEADER...]: a plain-text report in
# $TEST_HOME/ID.eml with Message-ID <ID@test.example>; the body is $body.
body="We saw repeated SSH logins from 198.51.100.23 against our servers."
report() {
  r_id=$1 r_from=$2 r_subject=$3
  shift 3
  {
    printf 'From: %s\n' "$r_from"
    printf 'To: info@localhost\n'
    printf 'Subject: %s\n' "$r_subject"
    printf 'Date: Tue, 24 Nov 2026 04:04:58 +0000\n'
    printf 'Message-ID: <%s@test.example>\n' "$r_id"
    for h in "$@"; do printf '%s\n' "$h"; done
    printf 'MIME-Version: 1.0\n'
    printf 'Content-Type: text/plain; charset=us-ascii\n'
    printf 'Content-Transfer-Encoding: 7bit\n'
    printf '\n%s\n' "$body"
  } > "$TEST_HOME/$r_id.eml"
}

# send ID [DELIVER-ARGS...]: deliver $TEST_HOME/ID.eml; $acks: the files
# that appeared in outbox/new, $nacks: how many.
send() {
  s_id=$1
  shift
  LC_ALL=C ls "$OUTBOX" 2>/dev/null > "$TEST_HOME/outbox.before"
  deliver "$TEST_HOME/$s_id.eml" "$@"
  acks=$(LC_ALL=C ls "$OUTBOX" 2>/dev/null \
         | LC_ALL=C comm -13 "$TEST_HOME/outbox.before" - \
         | sed "s|^|$OUTBOX/|")
  nacks=$(printf '%s' "$acks" | grep -c .)
}

# col ID COLUMN: a column of the message row with Message-ID <ID@test.example>.
col() {
  sql "SELECT $2 FROM message WHERE message_id = '$1@test.example'"
}

# ticket_of ID: the number of the ticket the message was filed in.
ticket_of() {
  sql "SELECT t.number FROM ticket t JOIN message m ON m.ticket_id = t.id
       WHERE m.message_id = '$1@test.example'"
}

# messages_in NUMBER: how many messages a ticket has.
messages_in() {
  sql "SELECT COUNT(*) FROM message m JOIN ticket t ON t.id = m.ticket_id
       WHERE t.number = '$1'"
}

# events NUMBER WHAT: how many events of a kind a ticket has.
events() {
  sql "SELECT COUNT(*) FROM event e JOIN ticket t ON t.id = e.ticket_id
       WHERE t.number = '$1' AND e.what = '$2'"
}

# header_block FILE: the header block as it is (up to the empty line).
header_block() {
  sed "/^$CR*\$/q" "$1"
}

# header_lines FILE: the header block, one unfolded header per line.
header_lines() {
  awk '/^\r?$/ { exit }
       /^[ \t]/ { line = line $0; next }
       { if (NR > 1) print line; line = $0 }
       END { print line }' "$1"
}

# header FILE NAME: the (unfolded) value of the first NAME header.
header() {
  header_lines "$1" | awk -v want="$2" '{
    i = index($0, ":")
    if (i > 1 && tolower(substr($0, 1, i - 1)) == tolower(want)) {
      v = substr($0, i + 1); sub(/^[ \t]+/, "", v); print v; exit
    }
  }'
}

# body_of FILE: the body, transfer-decoded (base64 or 7bit/8bit).
body_of() {
  b_cte=$(header "$1" Content-Transfer-Encoding | tr 'A-Z' 'a-z')
  sed "1,/^$CR*\$/d" "$1" > "$TEST_HOME/body.raw"
  case "$b_cte" in
    base64) base64 -d "$TEST_HOME/body.raw" ;;
    *) cat "$TEST_HOME/body.raw" ;;
  esac
}

# no_ack ID DESCRIPTION [DELIVER-ARGS...]: filed as a ticket of its own,
# nothing in the outbox, and message.ack says why.
no_ack() {
  n_id=$1 n_what=$2
  shift 2
  n_tickets=$(count_tickets)
  n_queued=$(sql "SELECT COUNT(*) FROM outbox")
  send "$n_id" "$@"
  ok $rc "$n_what: deliver exits 0"
  is "$(count_tickets)" $((n_tickets + 1)) "$n_what: the ticket is filed"
  is "$nacks" 0 "$n_what: no acknowledgement in outbox/new"
  is "$(sql "SELECT COUNT(*) FROM outbox")" "$n_queued" \
    "$n_what: nothing queued in the outbox"
  n_reason=$(col "$n_id" ack)
  case "$n_reason" in
    "" | acknowledged) ok 1 "$n_what: message.ack holds the reason"
                       echo "#   got: '$n_reason'" ;;
    *) ok 0 "$n_what: message.ack holds the reason ($n_reason)" ;;
  esac
}

# one_ack ID DESCRIPTION [DELIVER-ARGS...]: exactly one acknowledgement;
# $ack is its file.
one_ack() {
  o_id=$1 o_what=$2
  shift 2
  send "$o_id" "$@"
  ok $rc "$o_what: deliver exits 0"
  is "$nacks" 1 "$o_what: exactly one acknowledgement"
  is "$(col "$o_id" ack)" acknowledged "$o_what: message.ack says acknowledged"
  ack=$(printf '%s\n' "$acks" | head -n 1)
}

# --- 1. the acknowledgement of a plain English report -----------------

body="Hello CSIRT,

We observed a phishing page at hxxp://login.example.com/verify that
imitates our webmail.  The purple giraffe sings at midnight over the
harbour, said the unusual marker sentence.

Regards,
Alice"
report ack1 'Alice Reporter <alice@example.org>' \
  'Phishing page imitating our webmail'
one_ack ack1 "plain English report"
if [ -n "$ack" ]; then
  hdrs=$(header_lines "$ack")
  for h in 'Auto-Submitted: auto-replied' 'Precedence: bulk' \
           'X-Auto-Response-Suppress: All' 'X-Loop: info@localhost' \
           'In-Reply-To: <ack1@test.example>'; do
    printf '%s\n' "$hdrs" | grep -qx "$h"
    ok $? "the acknowledgement has '$h'"
  done
  contains "$(header "$ack" References)" "<ack1@test.example>" \
    "References names the report"
  subj=$(header "$ack" Subject)
  case "$subj" in
    "Re: [IR #$year-000001/"[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]"] Phishing page imitating our webmail")
      ok 0 "Subject is 'Re: [IR #$year-000001/XXXXXXXX] <original subject>'" ;;
    *) ok 1 "Subject is 'Re: [IR #$year-000001/XXXXXXXX] <original subject>'"
       echo "#   got: '$subj'" ;;
  esac
  contains "$(header "$ack" To)" "alice@example.org" "To is the From address"
  grep -q 'purple giraffe' "$ack"
  ok $((! $?)) "the raw acknowledgement does not echo the report's body"
  text=$(body_of "$ack")
  case "$text" in
    *"purple giraffe"*) ok 1 "the decoded body does not echo the report's body" ;;
    *) ok 0 "the decoded body does not echo the report's body" ;;
  esac
  contains "$text" "Thank you for your report" "an English report gets an English reply"
  case "$text" in
    *受け付け*) ok 1 "the English reply has no Japanese text" ;;
    *) ok 0 "the English reply has no Japanese text" ;;
  esac
  LC_ALL=C grep -qP '[\x80-\xFF]' "$ack"
  ok $((! $?)) "the English acknowledgement is 7-bit"
fi

# A subject that is already a reply, and a Reply-To in From's registrable
# domain (a Reply-To elsewhere: t203-ack-abuse.sh).
report ack2 'Bob Reporter <bob@example.org>' 'Re: Defacement of www.example.net' \
  'Reply-To: Bob at home <bob.home@mail.example.org>'
one_ack ack2 "report with Re: subject and Reply-To"
if [ -n "$ack" ]; then
  subj=$(header "$ack" Subject)
  case "$subj" in
    "Re: [IR #$year-000002/"[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]"] Defacement of www.example.net")
      ok 0 "exactly one 'Re:' when the report's subject starts with Re:" ;;
    *) ok 1 "exactly one 'Re:' when the report's subject starts with Re:"
       echo "#   got: '$subj'" ;;
  esac
  to=$(header "$ack" To)
  contains "$to" "bob.home@mail.example.org" "To is the Reply-To address"
  case "$to" in
    *bob@example.org*) ok 1 "To is not the From address when Reply-To is there" ;;
    *) ok 0 "To is not the From address when Reply-To is there" ;;
  esac
fi

# --- 2. no acknowledgement --------------------------------------------

body="Please look at the attached evidence about 198.51.100.77."
report sup-null 'Carl Person <carl.null@example.org>' 'Report with null sender'
no_ack sup-null "null envelope sender" -f '<>'
report sup-daemon 'Mail Delivery System <MAILER-DAEMON@mx.example.org>' 'Report from MAILER-DAEMON'
no_ack sup-daemon "From MAILER-DAEMON"
report sup-noreply 'Service <no-reply@service.example.com>' 'Report from no-reply'
no_ack sup-noreply "From no-reply"
report sup-autosub 'Dana <dana.as@example.org>' 'Auto-submitted report' \
  'Auto-Submitted: auto-replied'
no_ack sup-autosub "Auto-Submitted: auto-replied"
report sup-xauto 'Dana <dana.xa@example.org>' 'X-Autoreply report' 'X-Autoreply: yes'
no_ack sup-xauto "X-Autoreply: yes"
for p in bulk list junk; do
  report "sup-prec-$p" "Dana <dana.$p@example.org>" "Precedence $p report" \
    "Precedence: $p"
  no_ack "sup-prec-$p" "Precedence: $p"
done
report sup-listid 'Dana <dana.li@example.org>' 'List-Id report' 'List-Id: <x.example.org>'
no_ack sup-listid "List-Id"
report sup-listunsub 'Dana <dana.lu@example.org>' 'List-Unsubscribe report' \
  'List-Unsubscribe: <mailto:leave@lists.example.org>'
no_ack sup-listunsub "List-Unsubscribe"

cat > "$TEST_HOME/sup-report.eml" <<'EOF'
From: Erin <erin.report@example.org>
To: info@localhost
Subject: Delivery Status Notification
Date: Tue, 24 Nov 2026 04:04:58 +0000
Message-ID: <sup-report@test.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain; charset=us-ascii

Your message could not be delivered.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; someone@example.net
Action: failed
Status: 5.1.1

--b1--
EOF
no_ack sup-report "multipart/report (delivery-status)"

report sup-xloop 'Dana <dana.xl@example.org>' 'X-Loop report' 'X-Loop: info@localhost'
no_ack sup-xloop "X-Loop: info@localhost"
report sup-self 'CSIRT <info@localhost>' 'Mail from our own address'
no_ack sup-self "From our own address info@localhost"
# The same with a team address that is a valid reply address in itself.
use_config 'team_address = info@cert.example.jp'
report sup-self2 'CSIRT <Info@Cert.Example.JP>' 'Mail from our own address'
no_ack sup-self2 "From our own address (team_address = info@cert.example.jp)"
use_config
report sup-replyto2 'Dana <dana.rt@example.org>' 'Two Reply-To addresses' \
  'Reply-To: one@example.org, two@example.com'
no_ack sup-replyto2 "Reply-To with two addresses"
report sup-group 'undisclosed-recipients:;' 'From is a group'
no_ack sup-group "From: undisclosed-recipients:;"
report sup-group-rt 'Dana <dana.gr@example.org>' 'Reply-To is a group' \
  'Reply-To: undisclosed-recipients:;'
no_ack sup-group-rt "Reply-To: undisclosed-recipients:;"
report sup-inj1 '=?utf-8?Q?attacker=40evil.example=0D=0ABcc:_victim=40example.net?=' \
  'From injection 1'
no_ack sup-inj1 "From: an encoded word with CR/LF and Bcc (Q)"
report sup-inj2 '=?utf-8?Q?Eve=0D=0ABcc:_victim@example.net?= <eve@example.org>' \
  'From injection 2'
no_ack sup-inj2 "From: an encoded display name with CR/LF and Bcc"
report sup-inj3 "=?utf-8?B?$(printf 'eve@example.org\r\nBcc: victim@example.net' | base64 | tr -d '\n')?=" \
  'From injection 3'
no_ack sup-inj3 "From: an encoded word with CR/LF and Bcc (B)"

# DMARC failure, as our own MTA says it.
use_config 'authserv_id = mx.cert.example'
report sup-dmarc 'Frank <frank@example.com>' 'DMARC failed report' \
  'Authentication-Results: mx.cert.example; dmarc=fail (p=reject dis=none) header.from=example.com'
no_ack sup-dmarc "Authentication-Results of our authserv-id with dmarc=fail"
report dmarc-other 'Grace <grace@example.com>' 'DMARC claim by another host' \
  'Authentication-Results: mx.other.example; dmarc=fail (p=reject dis=none) header.from=example.com'
one_ack dmarc-other "dmarc=fail from another authserv-id"
report dmarc-prefix 'Heidi <heidi@example.com>' 'DMARC claim by a look-alike host' \
  'Authentication-Results: mx.cert.example.evil.test; dmarc=fail header.from=example.com'
one_ack dmarc-prefix "dmarc=fail from an authserv-id that only starts like ours"
report dmarc-pass 'Ivan <ivan@example.com>' 'DMARC passed' \
  'Authentication-Results: mx.cert.example; dkim=pass; dmarc=pass header.from=example.com'
one_ack dmarc-pass "dmarc=pass from our authserv-id"
use_config

# These do get an acknowledgement.
report as-no 'Judy <judy@example.org>' 'Auto-Submitted no' 'Auto-Submitted: no'
one_ack as-no "Auto-Submitted: no"
report xars 'Ken <ken@example.org>' 'Incoming X-Auto-Response-Suppress' \
  'X-Auto-Response-Suppress: All'
one_ack xars "an incoming X-Auto-Response-Suppress: All"

# --- 3. rate limit ----------------------------------------------------

total=0
for i in 1 2 3 4 5 6 7 8; do
  report "rate-$i" 'Rate Tester <rate@example.net>' "Scan report number $i"
  send "rate-$i"
  total=$((total + nacks))
done
is "$total" 5 "8 reports from one address: 5 acknowledgements (5 per hour)"
contains "$(col rate-8 ack)" "rate" "the 8th says rate limit"
is "$(sql "SELECT COUNT(*) FROM message WHERE message_id LIKE 'rate-%'")" 8 \
  "all 8 are filed"

use_config 'ack_rate_hour = 2'
total=0
for i in 1 2 3 4 5 6 7 8; do
  report "rate2-$i" 'Rate Tester <rate2@example.net>' "Another scan report $i"
  send "rate2-$i"
  total=$((total + nacks))
done
is "$total" 2 "with ack_rate_hour = 2: 2 acknowledgements"
use_config

# --- 4. follow-ups ----------------------------------------------------

body="Our IDS flagged 203.0.113.99 scanning port 445 at 02:00 UTC."
report fu0 'Laura <laura@example.org>' 'SMB scanning'
one_ack fu0 "the follow-up test's first report"
T=$(ticket_of fu0)
ackid=$(header "$ack" Message-Id | sed 's/^<//; s/>$//')
tag=$(header "$ack" Subject | sed -n 's/^Re: \(\[IR #[^]]*\]\).*/\1/p')
case "$tag" in
  "[IR #"*/????????"]") ok 0 "the tag is read from the Subject ($tag)" ;;
  *) ok 1 "the tag is read from the Subject"; echo "#   got: '$tag'" ;;
esac
tickets=$(count_tickets)

sql "UPDATE ticket SET status = 'resolved' WHERE number = '$T'"
body="More information: the scanning stopped at 03:00 UTC."
report fu1 'Laura <laura@example.org>' "Re: $tag more info"
send fu1
ok $rc "follow-up with the tag: deliver exits 0"
is "$(ticket_of fu1)" "$T" "a follow-up with the tag joins the ticket"
is "$(messages_in "$T")" 2 "the ticket has 2 messages"
is "$(count_tickets)" "$tickets" "no new ticket for the follow-up"
is "$nacks" 0 "a follow-up gets no acknowledgement"
is "$(col fu1 thread)" tag "thread is 'tag'"
contains "$("$MADOGUCHI" show --json "$T")" '"thread":"tag"' \
  "show --json has the thread"
is "$(sql "SELECT status FROM ticket WHERE number = '$T'")" open \
  "a resolved ticket is open again"
is "$(sql "SELECT COUNT(*) FROM event e JOIN ticket t ON t.id = e.ticket_id
           WHERE t.number = '$T' AND e.new = 'open'")" 1 \
  "reopening is an event"

report fu2 'Laura <laura@example.org>' "AW: Fwd: RE: 返信: $tag more info"
send fu2
is "$(ticket_of fu2)" "$T" "the tag inside 'AW: Fwd: RE: 返信:' joins"
is "$nacks" 0 "and gets no acknowledgement"

enc=$(printf '%s' "AW: Fwd: RE: 返信: $tag encoded" | base64 | tr -d '\n')
report fu3 'Laura <laura@example.org>' "=?UTF-8?B?$enc?="
send fu3
is "$(ticket_of fu3)" "$T" "the tag in an RFC 2047 encoded subject joins"
is "$nacks" 0 "and gets no acknowledgement"
is "$(count_tickets)" "$tickets" "still no new ticket"

check=${tag##*/}
check=${check%]}
badcheck=$(printf '%s' "$check" | tr 'A-F' 'a-f' | tr '0123456789abcdef' '123456789abcdef0')
badtag="${tag%/*}/$badcheck]"
report fu4 'Laura <laura@example.org>' "Re: $badtag more info"
send fu4
ok $rc "a wrong check: deliver exits 0"
T4=$(ticket_of fu4)
ok $([ -n "$T4" ] && [ "$T4" != "$T" ]; echo $?) "a tag with a wrong check makes a new ticket ($badtag)"
is "$(events "$T4" claimed)" 1 "the new ticket has a 'claimed' event"
is "$(messages_in "$T")" 4 "the old ticket is unchanged"

report fu5 'Mallory <mallory@example.com>' "Re: $tag more info"
send fu5
T5=$(ticket_of fu5)
ok $([ -n "$T5" ] && [ "$T5" != "$T" ]; echo $?) "the right tag from another address makes a new ticket"
is "$(events "$T5" claimed)" 1 "the new ticket has a 'claimed' event"

report fu6 'Laura <laura@example.org>' 'more details' "In-Reply-To: <$ackid>"
send fu6
is "$(ticket_of fu6)" "$T" "no tag but In-Reply-To our acknowledgement joins"
is "$(col fu6 thread)" reference "thread is 'reference'"
is "$nacks" 0 "and gets no acknowledgement"

tickets=$(count_tickets)
sql "UPDATE ticket SET status = 'resolved' WHERE number = '$T'"
body="I am out of the office until Monday."
report fu7 'Laura <laura@example.org>' 'Out of Office' \
  "In-Reply-To: <$ackid>" 'Auto-Submitted: auto-replied'
send fu7
is "$(ticket_of fu7)" "$T" "an out-of-office reply to our acknowledgement joins"
is "$(col fu7 thread)" auto-reply "thread is 'auto-reply'"
is "$nacks" 0 "and gets no acknowledgement"
is "$(sql "SELECT status FROM ticket WHERE number = '$T'")" resolved \
  "an out-of-office does not reopen a resolved ticket"
report fu8 'Laura <laura@example.org>' "Automatic reply: Re: $tag SMB scanning" \
  'Auto-Submitted: auto-replied'
send fu8
is "$(ticket_of fu8)" "$T" "an out-of-office with the tag joins"
is "$(col fu8 thread)" auto-reply "thread is 'auto-reply'"
is "$(sql "SELECT status FROM ticket WHERE number = '$T'")" resolved \
  "and does not reopen either"
is "$(count_tickets)" "$tickets" "out-of-office replies make no ticket"
for table in indicator timestamp reason; do
  is "$(sql "SELECT COUNT(*) FROM $table WHERE message_id IN (SELECT id FROM message WHERE message_id IN ('fu7@test.example', 'fu8@test.example'))")" 0 \
    "an out-of-office adds no $table to the ticket"
done

# --- 5. a bounce of our acknowledgement -------------------------------

body="Ransomware note found on host 192.0.2.200."
report bo0 'Nina <nina@gone.example.com>' 'Ransomware'
one_ack bo0 "the bounce test's first report"
T=$(ticket_of bo0)
ackid=$(header "$ack" Message-Id | sed 's/^<//; s/>$//')
tickets=$(count_tickets)
cat > "$TEST_HOME/bo1.eml" <<EOF
From: Mail Delivery System <MAILER-DAEMON@mx.gone.example.com>
To: info@localhost
Subject: Undelivered Mail Returned to Sender
Date: Tue, 24 Nov 2026 04:10:00 +0000
Message-ID: <bo1@test.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="bnd"

--bnd
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<nina@gone.example.com>: host mx.gone.example.com said: 550 5.1.1 User unknown

--bnd
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.gone.example.com
Arrival-Date: Tue, 24 Nov 2026 04:09:58 +0000

Final-Recipient: rfc822; nina@gone.example.com
Original-Recipient: rfc822;nina@gone.example.com
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--bnd
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

Return-Path: <>
Date: Tue, 24 Nov 2026 04:09:57 +0000
From: CSIRT <info@localhost>
Subject: Re: [IR #$T] Ransomware
To: nina@gone.example.com
Message-Id: <$ackid>
Auto-Submitted: auto-replied

--bnd--
EOF
send bo1 -f '<>'
ok $rc "the bounce: deliver exits 0"
is "$(ticket_of bo1)" "$T" "the bounce joins the ticket of the acknowledgement"
is "$(col bo1 thread)" bounce "thread is 'bounce'"
is "$(count_tickets)" "$tickets" "the bounce makes no new ticket"
is "$nacks" 0 "the bounce gets no acknowledgement"
is "$(sql "SELECT COUNT(*) FROM undeliverable WHERE address = 'nina@gone.example.com'")" 1 \
  "the address is undeliverable"
# The bounce is no evidence: its MX's names and addresses and our own
# acknowledgement's header times are neither indicators, times, scores
# nor stats' sources (issue 24, item 6).
for table in indicator timestamp excerpt reason; do
  is "$(sql "SELECT COUNT(*) FROM $table WHERE message_id = (SELECT id FROM message WHERE message_id = 'bo1@test.example')")" 0 \
    "the bounce adds no $table to the ticket"
done
case $("$MADOGUCHI" show "$T") in
  *mx.gone.example.com*"(domain"*|*"mx.gone.example.com  "*)
    ok 1 "show: the bounce's MX is not among the ticket's evidence" ;;
  *) ok 0 "show: the bounce's MX is not among the ticket's evidence" ;;
esac
report bo2 'Nina <nina@gone.example.com>' 'Another report'
no_ack bo2 "a later report from the bounced address"
contains "$(col bo2 ack)" "bounced" "the reason mentions bounced"

# --- 6. the sendmail transport and the outbox -------------------------

mkdir "$TEST_HOME/sent"
cat > "$TEST_HOME/sendmail-ok" <<EOF
#!/bin/sh
n=\$(( \$(ls "$TEST_HOME/sent" | grep -c '\\.argv\$') + 1 ))
for a in "\$@"; do printf '%s\\n' "\$a"; done > "$TEST_HOME/sent/\$n.argv"
cat > "$TEST_HOME/sent/\$n.msg"
exit 0
EOF
cat > "$TEST_HOME/sendmail-fail" <<'EOF'
#!/bin/sh
cat > /dev/null
echo "fake sendmail: try again later" >&2
exit 75
EOF
chmod +x "$TEST_HOME/sendmail-ok" "$TEST_HOME/sendmail-fail"
captures() { ls "$TEST_HOME/sent" | grep -c '\.argv$'; }

use_config "sendmail_command = $TEST_HOME/sendmail-ok"
report tr1 'Oscar <oscar@example.org>' 'Malware download site'
send tr1
ok $rc "with sendmail_command: deliver exits 0"
is "$nacks" 0 "nothing is written into outbox/new"
is "$(captures)" 1 "sendmail ran once"
argv=$(cat "$TEST_HOME/sent/1.argv" 2>/dev/null)
for a in -i -f '<>' -- oscar@example.org; do
  printf '%s\n' "$argv" | grep -qxe "$a"
  ok $? "sendmail argv has '$a'"
done
printf '%s\n' "$argv" | grep -qxe -t
ok $((! $?)) "sendmail argv has no -t"
printf '%s\n' "$argv" | grep -A1 -xe -f | tail -n 1 | grep -qx '<>'
ok $? "the envelope sender (-f) is <>"
is "$(printf '%s\n' "$argv" | tail -n 1)" oscar@example.org "the recipient is the last argument"
is "$(printf '%s\n' "$argv" | tail -n 2 | head -n 1)" -- "-- comes before the recipient"
msg="$TEST_HOME/sent/1.msg"
if [ -f "$msg" ]; then
  is "$(header "$msg" In-Reply-To)" "<tr1@test.example>" "stdin is the acknowledgement"
  is "$(header "$msg" Auto-Submitted)" auto-replied "stdin has Auto-Submitted"
  contains "$(header "$msg" To)" oscar@example.org "stdin is addressed to the reporter"
else
  ok 1 "sendmail got the acknowledgement on stdin"
fi

use_config "sendmail_command = $TEST_HOME/sendmail-fail"
tickets=$(count_tickets)
report tr2 'Peggy <peggy@example.org>' 'Credential stuffing'
send tr2
ok $rc "a failing sendmail: deliver still exits 0"
is "$(count_tickets)" $((tickets + 1)) "the ticket is filed"
is "$(ticket_of tr2)" "$(sql "SELECT number FROM ticket ORDER BY id DESC LIMIT 1")" \
  "the report is in the new ticket"
list=$("$MADOGUCHI" outbox list)
contains "$list" failed "outbox list shows the acknowledgement failed"
contains "$list" peggy@example.org "outbox list names the recipient"
is "$(captures)" 1 "nothing was captured"

use_config "sendmail_command = $TEST_HOME/sendmail-ok"
"$MADOGUCHI" outbox flush > /dev/null
ok $? "outbox flush exits 0"
is "$(captures)" 2 "outbox flush sends it once"
contains "$(cat "$TEST_HOME/sent/2.argv" 2>/dev/null)" peggy@example.org \
  "to the reporter"
is "$(header "$TEST_HOME/sent/2.msg" In-Reply-To 2>/dev/null)" "<tr2@test.example>" \
  "and it is the acknowledgement of the report"
"$MADOGUCHI" outbox flush > /dev/null
ok $? "a second outbox flush exits 0"
is "$(captures)" 2 "a second outbox flush sends nothing more"
is "$("$MADOGUCHI" outbox list | tail -n +2)" "" "outbox list is empty (its header only)"
use_config

# --- 7. languages and charsets ----------------------------------------

cp "$TEST_DATA_DIR/iso2022jp.eml" "$TEST_HOME/ja1.eml"
send ja1
is "$nacks" 1 "a Japanese ISO-2022-JP report gets one acknowledgement"
ack=$(printf '%s\n' "$acks" | head -n 1)
if [ -n "$ack" ]; then
  contains "$(body_of "$ack")" "受け付け" "the reply is in Japanese"
  subj=$(header "$ack" Subject)
  contains "$subj" "=?" "the Subject is RFC 2047 encoded"
  header_block "$ack" | LC_ALL=C grep -qP '[\x80-\xFF]'
  ok $((! $?)) "no raw 8-bit in the headers"
fi

use_config 'ack_charset = iso-2022-jp'
sed 's/^Message-ID: .*/Message-ID: <ja2@test.example>/' \
  "$TEST_DATA_DIR/iso2022jp.eml" > "$TEST_HOME/ja2.eml"
send ja2
is "$nacks" 1 "with ack_charset = iso-2022-jp: one acknowledgement"
ack=$(printf '%s\n' "$acks" | head -n 1)
if [ -n "$ack" ]; then
  contains "$(header "$ack" Content-Type)" "charset=ISO-2022-JP" \
    "Content-Type has charset=ISO-2022-JP"
  is "$(header "$ack" Content-Transfer-Encoding)" 7bit \
    "Content-Transfer-Encoding is 7bit"
  contains "$(body_of "$ack" | iconv -f ISO-2022-JP -t UTF-8)" "受け付け" \
    "the body decodes from ISO-2022-JP to Japanese"
  subj=$(header "$ack" Subject)
  contains "$subj" "=?" "the Subject is RFC 2047 encoded"
  header_block "$ack" | LC_ALL=C grep -qP '[\x80-\xFF]'
  ok $((! $?)) "no raw 8-bit in the headers"
  LC_ALL=C grep -qP '[\x80-\xFF]' "$ack"
  ok $((! $?)) "no raw 8-bit anywhere in the message"
fi
use_config

# --- 8. header injection through the subject --------------------------

body="Spam run from 198.51.100.150."
report inj 'Quentin <quentin@example.org>' \
  '=?utf-8?Q?hello=0D=0ABcc:_victim@example.net?='
one_ack inj "a subject with an encoded CR/LF and Bcc"
if [ -n "$ack" ]; then
  header_block "$ack" | grep -qi '^[ \t]*bcc[ \t]*:'
  ok $((! $?)) "the acknowledgement has no Bcc header"
  header_lines "$ack" | grep -vi '^Subject:' | grep -qi victim
  ok $((! $?)) "no header other than the Subject names the victim"
  subj=$(header "$ack" Subject)
  printf '%s' "$subj" | sed 's/=?[^?]*?[BbQq]?[^?]*?=//g' | grep -qi '^[ \t]*bcc'
  ok $((! $?)) "the Subject does not start a Bcc line"
  header_block "$ack" | grep -q "$CR"
  ok $((! $?)) "no bare CR in the header block"
  contains "$(header "$ack" To)" quentin@example.org "To is the reporter"
fi

done_testing
