#!/bin/sh
# acknowledgements and follow-ups under attack (issue 16, items 5 and 6):
# replies aimed at third parties through Reply-To, the rate limits per
# sender and per domain, a References header of 20,000 IDs, a forged
# follow-up reopening a resolved ticket, DMARC-failed follow-ups, and the
# 32-bit check of the ticket tag.
. "$(dirname "$0")/lib.sh"

OUTBOX="$MADOGUCHI_HOME/outbox/new"

use_config() {
  printf '[madoguchi]\n' > "$TEST_HOME/t203.conf"
  for kv in "$@"; do printf '%s\n' "$kv" >> "$TEST_HOME/t203.conf"; done
  MADOGUCHI_CONFIG="$TEST_HOME/t203.conf"
  export MADOGUCHI_CONFIG
}

# mail ID FROM SUBJECT [HEADER...]: $TEST_HOME/ID.eml, Message-ID
# <ID@test.example>.
mail() {
  m_id=$1 m_from=$2 m_subject=$3
  shift 3
  {
    printf 'From: %s\nTo: info@localhost\nSubject: %s\n' "$m_from" "$m_subject"
    printf 'Date: Tue, 24 Nov 2026 04:04:58 +0000\n'
    printf 'Message-ID: <%s@test.example>\n' "$m_id"
    for h in "$@"; do printf '%s\n' "$h"; done
    printf 'Content-Type: text/plain; charset=us-ascii\n\n'
    printf 'SSH brute force from 198.51.100.23.\n'
  } > "$TEST_HOME/$m_id.eml"
}

acks() { ls "$OUTBOX" 2>/dev/null | wc -l | tr -d ' '; }

# recipients: the To of every acknowledgement, one a line.
recipients() {
  for f in "$OUTBOX"/*; do
    [ -f "$f" ] && sed -n 's/^To: *//p' "$f" | head -n 1
  done
}

col() { sql "SELECT $2 FROM message WHERE message_id = '$1@test.example'"; }
ticket_of() {
  sql "SELECT t.number FROM ticket t JOIN message m ON m.ticket_id = t.id
       WHERE m.message_id = '$1@test.example'"
}
status_of() { sql "SELECT status FROM ticket WHERE number = '$1'"; }
# the newest acknowledgement's header NAME (unfolded)
ack_header() {
  awk -v want="$2" 'BEGIN { IGNORECASE = 1 }
    /^$/ { exit }
    /^[ \t]/ { if (on) { sub(/^[ \t]+/, " "); v = v $0 }; next }
    { if (on) exit; i = index($0, ":")
      if (tolower(substr($0, 1, i - 1)) == tolower(want)) {
        on = 1; v = substr($0, i + 1) } }
    END { sub(/^[ \t]+/, "", v); print v }' "$1"
}

# --- 1. 100 reports from one From, each Reply-To a victim elsewhere ----

use_config
i=1
while [ $i -le 100 ]; do
  mail "rt-$i" 'Eve <eve@attacker.example>' "Report $i" \
    "Reply-To: victim+$i@target.example"
  deliver "$TEST_HOME/rt-$i.eml"
  [ $rc -eq 0 ] || break
  i=$((i + 1))
done
is "$i" 101 "100 reports with Reply-To victim+N@target.example are filed"
n=$(acks)
ok $([ "$n" -le 5 ]; echo $?) "they make at most 5 acknowledgements (got $n)"
is "$(recipients | grep -c target.example)" 0 \
  "none goes to target.example: a Reply-To outside From's domain is passed over"
is "$(recipients | sort -u)" eve@attacker.example "they go to From"
contains "$(col rt-100 ack)" "rate limit" "the 100th says rate limit"

# --- 2. the same with From in the victims' own domain --------------------

before=$(acks)
i=1
while [ $i -le 30 ]; do
  mail "sd-$i" 'Eve <eve@target2.example>' "Report $i" \
    "Reply-To: victim+$i@target2.example"
  deliver "$TEST_HOME/sd-$i.eml"
  i=$((i + 1))
done
n=$(($(acks) - before))
is "$n" 5 "30 reports from one From, Reply-To in its domain: 5 acknowledgements (ack_rate_sender_hour)"
is "$(col sd-30 ack)" "rate limit per sender (5 per hour, 20 per day)" \
  "the 30th says which limit"
is "$(recipients | grep -c 'victim+[0-9]*@target2.example')" 5 \
  "a Reply-To in From's domain is used"

# --- 3. many Froms in one domain ------------------------------------------

use_config 'ack_rate_domain_hour = 7'
before=$(acks)
i=1
while [ $i -le 20 ]; do
  mail "dom-$i" "User $i <user$i@target3.example>" "Report $i"
  deliver "$TEST_HOME/dom-$i.eml"
  i=$((i + 1))
done
n=$(($(acks) - before))
is "$n" 7 "20 reports from 20 addresses at target3.example: 7 acknowledgements (ack_rate_domain_hour = 7)"
is "$(col dom-20 ack)" "rate limit per domain (7 per hour, 200 per day)" \
  "the 20th says which limit"
"$MADOGUCHI" config | grep -q '^ack_rate_domain_hour *= *7'
ok $? "madoguchi config prints ack_rate_domain_hour"
use_config

# --- 4. domains: the same, or one below the other ----------------------------

before=$(acks)
mail psl-1 'Ann <ann@foo.co.jp>' 'Same public suffix' 'Reply-To: ann@bar.co.jp'
deliver "$TEST_HOME/psl-1.eml"
mail psl-2 'Ben <ben@example.co.jp>' 'Subdomain' 'Reply-To: ben@home.example.co.jp'
deliver "$TEST_HOME/psl-2.eml"
is "$(col psl-1 ack)" acknowledged "foo.co.jp with Reply-To bar.co.jp: acknowledged"
is "$(sql "SELECT recipient FROM outbox o JOIN message m ON m.id = o.reply_to
           WHERE m.message_id = 'psl-1@test.example'")" ann@foo.co.jp \
  "to From: bar.co.jp is another domain, though both end in co.jp"
is "$(sql "SELECT recipient FROM outbox o JOIN message m ON m.id = o.reply_to
           WHERE m.message_id = 'psl-2@test.example'")" ben@home.example.co.jp \
  "to Reply-To when it is below From's domain"

# --- 5. a References header of 20,000 IDs ------------------------------------

awk 'BEGIN {
  printf "From: Ref <ref@refs.example>\nTo: info@localhost\n"
  printf "Subject: %s\n", "Long references and a subject that goes on and on well past any sane length for a subject line, repeated: go on and on and on"
  printf "Message-ID: <refs-own@test.example>\nReferences:"
  for (i = 1; i <= 20000; i++) printf " <ref-%d-padding-padding@attacker.example>", i
  printf "\nIn-Reply-To: <ref-20000-padding-padding@attacker.example>\n"
  printf "Content-Type: text/plain\n\nreport\n"
}' > "$TEST_HOME/refs.eml"
before=$(acks)
deliver "$TEST_HOME/refs.eml"
ok $rc "a report with 20,000 References is filed"
ack=$(ls -t "$OUTBOX"/* | head -n 1)
is "$(($(acks) - before))" 1 "and acknowledged"
size=$(wc -c < "$ack" | tr -d ' ')
ok $([ "$size" -lt 8192 ]; echo $?) "the acknowledgement is small ($size bytes, under 8 KiB)"
refs=$(ack_header "$ack" References)
is "$(printf '%s\n' "$refs" | tr ' ' '\n' | grep -c '^<')" 4 \
  "References: the report's Message-ID and the 3 before it"
contains "$refs" "<ref-19999-padding-padding@attacker.example> <ref-20000-padding-padding@attacker.example> <refs-own@test.example>" \
  "the nearest ancestors, in order, the report's own last"
is "$(ack_header "$ack" In-Reply-To)" "<refs-own@test.example>" "In-Reply-To: the report"
subject_len=$(ack_header "$ack" Subject | wc -c | tr -d ' ')
ok $([ "$subject_len" -lt 120 ]; echo $?) "the Subject is bounded ($subject_len bytes)"

# --- 6. follow-ups: no reopening without the tag -------------------------------

mail fu0 'Laura <laura@reporter.example>' 'SMB scanning'
deliver "$TEST_HOME/fu0.eml"
T=$(ticket_of fu0)
ack=$(ls -t "$OUTBOX"/* | head -n 1)
ackid=$(ack_header "$ack" Message-ID | sed 's/^<//; s/>$//')
tag=$(ack_header "$ack" Subject | sed -n 's/^Re: \(\[IR #[^]]*\]\).*/\1/p')
case "$tag" in
  "[IR #$T/"[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]"]")
    ok 0 "a new ticket's tag has a 32-bit check: $tag" ;;
  *) ok 1 "a new ticket's tag has a 32-bit check"; echo "#   got: '$tag'" ;;
esac
"$MADOGUCHI" set "$T" --status resolved >/dev/null
mail fu1 'Laura <laura@reporter.example>' 'more details' "In-Reply-To: <$ackid>"
deliver "$TEST_HOME/fu1.eml"
is "$(ticket_of fu1)" "$T" "a reply without the tag still joins its ticket"
is "$(status_of "$T")" resolved "but does not reopen the resolved ticket"
is "$(sql "SELECT reply_waiting FROM ticket WHERE number = '$T'")" 1 \
  "the ticket is marked as waiting for an operator"
"$MADOGUCHI" list --all | grep -q "^$T .* resolved\* "
ok $? "list shows it: resolved*"
contains "$("$MADOGUCHI" show --json "$T")" '"reply_waiting":true' \
  "show --json: reply_waiting"
contains "$("$MADOGUCHI" show "$T" | sed -n '/^History:/,$p')" \
  "waiting    resolved -> a reply without the tag: not reopened" \
  "show: the history says why"
"$MADOGUCHI" set "$T" --status resolved >/dev/null
is "$(sql "SELECT reply_waiting FROM ticket WHERE number = '$T'")" 0 \
  "setting the status (even the same) clears it"
contains "$("$MADOGUCHI" show "$T" | sed -n '/^History:/,$p')" \
  "resolved (reply waiting) -> resolved" "on the record"

mail fu2 'Laura <laura@reporter.example>' "Re: $tag more"
deliver "$TEST_HOME/fu2.eml"
is "$(ticket_of fu2)" "$T" "a reply with the tag joins"
is "$(status_of "$T")" open "and reopens the resolved ticket"

# --- 7. the tag's check: 8 digits for new tickets ------------------------------

short="${tag%?????}]"
mail fu3 'Laura <laura@reporter.example>' "Re: $short more"
deliver "$TEST_HOME/fu3.eml"
T3=$(ticket_of fu3)
ok $([ -n "$T3" ] && [ "$T3" != "$T" ]; echo $?) \
  "the first 4 digits of a new ticket's check do not join it ($short)"
is "$(col fu3 thread)" new "thread is 'new'"
# A ticket filed before the 32-bit checks (schema 5) keeps its 4 digits.
sql "UPDATE setting SET value = (SELECT id FROM ticket WHERE number = '$T')
     WHERE name = 'tag_short_last'"
mail fu4 'Laura <laura@reporter.example>' "Re: $short again"
deliver "$TEST_HOME/fu4.eml"
is "$(ticket_of fu4)" "$T" "an old ticket's 4-digit tag still joins"

# --- 8. DMARC failed at our MTA: a valid tag or nothing ------------------------

use_config 'authserv_id = mx.cert.example'
AR='Authentication-Results: mx.cert.example; dmarc=fail (p=reject) header.from=reporter.example'
mail dm1 'Laura <laura@reporter.example>' 'forged details' \
  "In-Reply-To: <$ackid>" "$AR"
deliver "$TEST_HOME/dm1.eml"
T5=$(ticket_of dm1)
ok $([ -n "$T5" ] && [ "$T5" != "$T" ]; echo $?) \
  "dmarc=fail with In-Reply-To our acknowledgement: a new ticket"
is "$(sql "SELECT COUNT(*) FROM event e JOIN ticket t ON t.id = e.ticket_id
           WHERE t.number = '$T5' AND e.what = 'claimed'")" 1 \
  "which records the reply it claimed to be"
mail dm2 'Laura <laura@reporter.example>' "Re: $tag forged?" "$AR"
deliver "$TEST_HOME/dm2.eml"
is "$(ticket_of dm2)" "$T" "dmarc=fail with a valid tag joins"
mail dm3 'Laura <laura@reporter.example>' 'not forged' \
  "In-Reply-To: <$ackid>" \
  'Authentication-Results: mx.cert.example; dmarc=pass header.from=reporter.example'
deliver "$TEST_HOME/dm3.eml"
is "$(ticket_of dm3)" "$T" "dmarc=pass with In-Reply-To joins"

done_testing
