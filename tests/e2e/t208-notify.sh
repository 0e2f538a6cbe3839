#!/bin/sh
# notify the related sites (issue 21): contacts (import whole or not at
# all, the most specific match), notify (each site only its own evidence,
# never the reporter), records and their replies and bounces,
# notifications, auto_notify, stats.
. "$(dirname "$0")/lib.sh"

OUTBOX="$MADOGUCHI_HOME/outbox/new"
M="$MADOGUCHI"
"$M" init > /dev/null || exit 1

cat > "$TEST_HOME/config.conf" <<'CONF'
[madoguchi]
team_name = Example CSIRT
team_address = info@csirt.example
own_networks = 192.0.2.0/24
CONF
MADOGUCHI_CONFIG="$TEST_HOME/config.conf"
export MADOGUCHI_CONFIG

# --- contacts ------------------------------------------------------------

# A BOM, quotes with commas, a range, an AS number, a domain, a contact
# without e-mail, a zone column.
printf '\357\273\277match,name,email,language,pgp,zone\n' > "$TEST_HOME/c.csv"
cat >> "$TEST_HOME/c.csv" <<'CSV'
198.51.100.0/24,"Provider, Inc.",abuse@provider.example,en,,
198.51.100.64/26,Customer KK,abuse@customer.example,ja,0123456789ABCDEF0123456789ABCDEF01234567,
203.0.113.10-203.0.113.20,Range Net,noc@range.example,en,,America/New_York
AS64496,AS Net,abuse@as.example,,,
evil.example,Evil Hosting,abuse@evil.example,en,,
2001:db8:1::/48,V6 Net,,en,,
CSV
out=$("$M" contacts import "$TEST_HOME/c.csv")
ok $? "contacts import: a good file"
contains "$out" "6 contacts imported (6 new, 0 updated)" "  counts them"

bad() {   # bad NAME LINE-CONTENT EXPECTED-MESSAGE
  { printf 'match,name,email,language,pgp\n'
    printf 'AS64511,Fine,fine@ok.example,en,\n'
    printf '%s\n' "$2"; } > "$TEST_HOME/bad-$1.csv"
  out=$("$M" contacts import "$TEST_HOME/bad-$1.csv" 2>&1)
  is "$?" 65 "contacts import, $1: EX_DATAERR"
  contains "$out" "line 3: $3" "  names line 3 ($3)"
}
bad prefix '198.51.100.0/33,X,x@x.example,en,' "bad prefix"
bad hostbits '198.51.100.5/24,X,x@x.example,en,' "bad prefix: host bits set"
bad address '198.51.300.1,X,x@x.example,en,' "bad address"
bad range '203.0.113.20-203.0.113.10,X,x@x.example,en,' "a range must run"
bad language 'example.org,X,x@x.example,fr,' "unknown language"
bad duplicate 'as64511,X,x@x.example,en,' "duplicate match"
bad quote '"example.org,X,x@x.example,en,' "a quoted field is never closed"
n=$(sql "SELECT count(*) FROM contact WHERE match = 'AS64511'")
is "$n" 0 "a file with a bad row imports nothing (not even its good rows)"

lookup() { "$M" contacts lookup "$1" 2>&1; }
is "$(lookup 198.51.100.70)" abuse@customer.example "lookup: the /26 beats the /24"
is "$(lookup 198.51.100.7)" abuse@provider.example "lookup: the /24 outside the /26"
is "$(lookup 203.0.113.15)" noc@range.example "lookup: an A-B range"
is "$(lookup AS64496)" abuse@as.example "lookup: an AS number"
is "$(lookup www.mail.evil.example)" abuse@evil.example "lookup: a domain covers its subdomains"
"$M" contacts lookup notevil.example > /dev/null 2>&1
is "$?" 1 "lookup: notevil.example is not below evil.example"
"$M" contacts lookup 203.0.113.21 > /dev/null 2>&1
is "$?" 1 "lookup: outside every contact"
out=$("$M" contacts lookup --json 198.51.100.70)
contains "$out" '"language":"ja"' "lookup --json: the contact"
contains "$out" '"zone":"+09:00"' "  a ja contact's zone defaults to Japan's"

printf 'match,name,email,language,pgp\n198.51.100.0/24,Provider,abuse2@provider.example,en,\n' > "$TEST_HOME/re.csv"
out=$("$M" contacts import "$TEST_HOME/re.csv")
contains "$out" "(0 new, 1 updated)" "re-import updates by match"
is "$(lookup 198.51.100.7)" abuse2@provider.example "  the new address"
out=$("$M" contacts list --json)
is "$(printf '%s' "$out" | grep -o '"match":' | wc -l | tr -d ' ')" 6 "contacts list --json: six"
"$M" contacts remove AS64496 > /dev/null
ok $? "contacts remove"
"$M" contacts remove AS64496 > /dev/null 2>&1
is "$?" 1 "  removing it again: not found"

# --- notify ----------------------------------------------------------------

cat > "$TEST_HOME/r1.eml" <<'EML'
From: "Hanako Reporter" <hanako@victim.example>
To: info@csirt.example
Subject: SSH brute force against our servers
Message-ID: <r1@victim.example>
Date: Mon, 05 Jan 2026 10:00:00 +0000

Hello,

our server 192.0.2.55 (mail.victim.example) was attacked.
2026-01-05 09:10:11 UTC sshd[1]: Failed password for root from 198.51.100.70 port 4242 ssh2
2026-01-05 09:12:00 UTC sshd[1]: Failed password for admin from 198.51.100.70 port 4243 ssh2
2026-01-05 09:15:00 UTC sshd[1]: Failed password for root from 198.51.100.7 port 5555 to 203.0.113.99
2026-01-05 09:20:00 UTC sshd[1]: Failed password from 203.0.113.15 to mail.victim.example
2026-01-05 09:30:00 UTC sshd[1]: Failed password from 2001:db8:1::5
phishing at http://login.evil.example/x

--
Hanako Reporter, Victim Corp security team
hanako@victim.example  +81-3-0000-0000
EML
deliver "$TEST_HOME/r1.eml"
T=$(sql "SELECT number FROM ticket ORDER BY id DESC LIMIT 1")
ok $([ -n "$T" ]; echo $?) "a report with addresses of five sites: ticket $T"

acks=$(files_in "$OUTBOX")
out=$("$M" notify --dry-run --json "$T")
is "$?" 69 "notify --dry-run: 69 (EX_UNAVAILABLE: the v6 contact has no email)"
printf '%s\n' "$out" > "$TEST_HOME/dry.json"
n=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["notifications"]))' "$TEST_HOME/dry.json")
is "$n" 5 "  five sites: customer, provider, range, evil, v6"
check() {   # check PYTHON-EXPRESSION DESCRIPTION (d: the JSON, n: by contact)
  python3 - "$TEST_HOME/dry.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
n = {o["contact"]: o for o in d["notifications"]}
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
  ok $? "$2"
}
check 'n["198.51.100.64/26"]["addresses"] == ["198.51.100.70"]' "  the customer: only its address"
check 'n["198.51.100.0/24"]["addresses"] == ["198.51.100.7"]' "  the provider: only 198.51.100.7"
check 'n["203.0.113.10-203.0.113.20"]["addresses"] == ["203.0.113.15"]' "  the range's site"
check 'set(n["evil.example"]["addresses"]) <= {"login.evil.example", "http://login.evil.example/x"}' "  the domain's site: the URL's host"
check 'n["2001:db8:1::/48"]["status"] == "no email"' "  the contact without email: not notified"
check 'all(o["status"] == "would queue" for o in d["notifications"] if o["email"])' "  dry run: would queue"
check 'd["not_notified"] == ["203.0.113.99"] ' "  203.0.113.99: listed as not notified"
check '"192.0.2.55" not in json.dumps(d)' "  the team's own address is nowhere"
for who in hanako victim.example Hanako Reporter "Victim Corp" "+81-3"; do
  check "\"$who\" not in json.dumps(d, ensure_ascii=False)" "  the reporter's identity is absent: $who"
done
check '"4242" in n["198.51.100.64/26"]["text"] and "Failed password for root from 198.51.100.70" in n["198.51.100.64/26"]["text"]' "  the customer's log lines, with ports"
check '"198.51.100.7 " not in n["198.51.100.64/26"]["text"] and "5555" not in n["198.51.100.64/26"]["text"]' "  not the provider's lines"
check '"203.0.113.99" not in n["198.51.100.0/24"]["text"] and "[redacted]" in n["198.51.100.0/24"]["text"]' "  other parties' addresses in a line are redacted"
check '"TLP:AMBER" in n["198.51.100.64/26"]["text"]' "  marked TLP:AMBER"
check '"+09:00" in n["198.51.100.64/26"]["text"] and "2026-01-05 18:10:11" in n["198.51.100.64/26"]["text"]' "  times in UTC and the contact's zone (ja: +09:00)"
check '"-05:00" in n["203.0.113.10-203.0.113.20"]["text"]' "  the zone column (America/New_York)"
check '"ご担当者様" in n["198.51.100.64/26"]["text"]' "  in the contact's language (ja)"
is "$(files_in "$OUTBOX")" "$acks" "  the dry run sent nothing"
is "$(sql 'SELECT count(*) FROM notification')" 0 "  and recorded nothing"

out=$("$M" notify "$T" 2>&1)
is "$?" 69 "notify: sent to four, one contact without email (69)"
contains "$out" "has no email address" "  says which contact has none"
is "$(sql "SELECT count(*) FROM notification WHERE status = 'sent'")" 4 "  four notification records, sent"
is "$(files_in "$OUTBOX")" $((acks + 4)) "  four mails in the outbox"
f=$(grep -l "abuse@customer.example" "$OUTBOX"/* | head -1)
contains "$(grep '^Subject:' "$f")" "Subject:" "  the customer's mail"
subj=$(python3 -c 'import email,sys; from email.header import decode_header, make_header; m=email.message_from_binary_file(open(sys.argv[1],"rb")); print(str(make_header(decode_header(m["Subject"]))))' "$f")
contains "$subj" "[TLP:AMBER]" "  the subject carries TLP"
contains "$subj" "#$T/" "  and the ticket tag"
if grep -qi "hanako\|victim" "$f"; then ok 1 "  the mail never names the reporter"; else ok 0 "  the mail never names the reporter"; fi

out=$("$M" notify "$T" 2>&1)
contains "$out" "already notified" "notify again: already notified"
is "$(sql 'SELECT count(*) FROM notification')" 4 "  nothing sent twice"
"$M" notify --again "$T" > /dev/null 2>&1
is "$(sql 'SELECT count(*) FROM notification')" 8 "notify --again: sent again"

"$M" notify 2099-999999 > /dev/null 2>"$TEST_HOME/err"
is "$?" 66 "notify, unknown ticket: EX_NOINPUT"
contains "$(cat "$TEST_HOME/err")" "2099-999999" "  names it"

cat > "$TEST_HOME/r2.eml" <<'EML'
From: someone@victim.example
To: info@csirt.example
Subject: Something odd
Message-ID: <r2@victim.example>

Our own host 192.0.2.9 behaves oddly.  Thanks, someone.
EML
deliver "$TEST_HOME/r2.eml"
T2=$(sql "SELECT number FROM ticket ORDER BY id DESC LIMIT 1")
"$M" notify "$T2" > /dev/null 2>"$TEST_HOME/err"
is "$?" 65 "notify, a ticket without addresses to notify about: EX_DATAERR"
contains "$(cat "$TEST_HOME/err")" "names no address" "  says so"

out=$("$M" notify --dry-run --json --to ops@other.example "$T")
ok $? "notify --to: one notification to the named address"
contains "$out" '"email":"ops@other.example"' "  to it"
contains "$out" '203.0.113.99' "  about every address"

# --- records, replies, bounces ------------------------------------------------

out=$("$M" show --json "$T")
contains "$out" '"notifications":[' "show --json: notifications"
contains "$("$M" show "$T")" "notified abuse@customer.example" "show: notifications listed"
out=$("$M" notifications --json)
is "$(printf '%s' "$out" | grep -o '"status":"sent"' | wc -l | tr -d ' ')" 8 "notifications: eight await an answer"

mid=$(sql "SELECT message_id FROM notification WHERE email = 'abuse@customer.example' ORDER BY id LIMIT 1")
cat > "$TEST_HOME/reply.eml" <<EML
From: NOC <noc@customer.example>
To: info@csirt.example
Subject: Re: your notification
Message-ID: <reply1@customer.example>
In-Reply-To: <$mid>
References: <$mid>

We found the host and cleaned it.
EML
deliver "$TEST_HOME/reply.eml"
is "$(count_tickets)" 2 "the site's reply (another address at its domain) joins the ticket"
is "$(sql "SELECT status FROM notification WHERE message_id = '$mid'")" replied "  and marks the notification replied"

bmid=$(sql "SELECT message_id FROM notification WHERE email = 'noc@range.example' ORDER BY id LIMIT 1")
cat > "$TEST_HOME/bounce.eml" <<EML
From: MAILER-DAEMON@range.example
To: info@csirt.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <b1@range.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

The mail could not be delivered.
--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.range.example
Final-Recipient: rfc822; noc@range.example
Action: failed
Status: 5.1.1

--B
Content-Type: text/rfc822-headers

From: Example CSIRT <info@csirt.example>
To: noc@range.example
Message-ID: <$bmid>

--B--
EML
SENDER= deliver "$TEST_HOME/bounce.eml"
is "$(sql "SELECT status FROM notification WHERE message_id = '$bmid'")" bounced "a bounce marks the notification bounced"
out=$("$M" notifications --unanswered 0)
case "$out" in *"$mid"*) ok 1 "notifications: the replied one is gone";; *) ok 0 "notifications: the replied one is gone";; esac

# --- stats ------------------------------------------------------------------

out=$("$M" stats --json)
contains "$out" '"notifications":' "stats --json: notifications per month"

# --- auto_notify ------------------------------------------------------------

cat >> "$TEST_HOME/config.conf" <<'CONF'
auto_notify = true
auto_notify_categories = scan, intrusion
CONF
"$M" config > /dev/null
ok $? "auto_notify and auto_notify_categories are valid keys"
sed 's/<r1@victim.example>/<r3@victim.example>/; s/198.51.100.70/198.51.100.80/g' "$TEST_HOME/r1.eml" > "$TEST_HOME/r3.eml"
before=$(sql 'SELECT count(*) FROM notification')
deliver "$TEST_HOME/r3.eml"
cat=$(sql "SELECT category FROM ticket ORDER BY id DESC LIMIT 1")
after=$(sql 'SELECT count(*) FROM notification')
case "$cat" in
  scan|intrusion) ok $([ "$after" -gt "$before" ]; echo $?) "auto_notify: deliver notified the sites of a $cat report" ;;
  *) is "$after" "$before" "auto_notify: a $cat report is not in the list: nothing sent" ;;
esac

done_testing
