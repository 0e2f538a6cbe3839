#!/bin/sh
# Evidence: what deliver extracts is filed and shown; list --ip finds it;
# the outer transport headers are not evidence, forwarded ones are;
# extract is a dry run; rules check names every problem; a broken rule
# never stops intake.
. "$(dirname "$0")/lib.sh"

for f in multipart-log forwarded plain-english iso2022jp; do
  deliver "$TEST_DATA_DIR/$f.eml"
  ok $rc "deliver $f.eml"
done
num() {
  sql "SELECT t.number FROM ticket t JOIN message m ON m.ticket_id = t.id WHERE m.subject LIKE '$1' LIMIT 1"
}

logs=$(num 'SSH brute force%')
show=$("$MADOGUCHI" show --json "$logs")
contains "$show" '"value":"203.0.113.7"' "the attacker's address is an indicator"
contains "$show" '"ports":"51234"' "with the port written next to it"
contains "$show" '"first_seen":"2026-11-23T16:40:05Z"' "and the first event time on its lines, in UTC"
contains "$show" '"excerpts":[{' "log lines are kept as excerpts"
contains "$("$MADOGUCHI" show "$logs")" "Indicators (" "show prints the indicators"

fwd=$(num 'Fwd:%')
is "$(sql "SELECT COUNT(*) FROM indicator i JOIN ticket t ON t.id = i.ticket_id WHERE t.number = '$fwd' AND i.value = '198.51.100.23'")" 1 \
  "the forwarded spam's originating relay is an indicator"
is "$(sql "SELECT COUNT(*) FROM indicator WHERE value = '198.51.100.202'")" 0 \
  "the outer Received header's relay is not"

# list --ip: an address, a prefix, IPv6, nothing, nonsense.
contains "$("$MADOGUCHI" list --ip 203.0.113.7)" "$logs" "list --ip finds a ticket by address"
contains "$("$MADOGUCHI" list --ip 203.0.113.0/24)" "$logs" "and by prefix"
is "$("$MADOGUCHI" list --json --ip 100.64.0.0/10)" "[]" "an unmentioned prefix finds nothing"
plain=$(num 'Port scan and SSH%')
contains "$("$MADOGUCHI" list --ip 2001:db8:4a2f::/48)" "$plain" "IPv6 prefixes work too"
"$MADOGUCHI" list --ip 300.1.2.3 2>/dev/null
is $? 64 "a bad --ip is a usage error"

# extract: a dry run touches nothing.
rm -rf "$TEST_HOME/dry"
out=$(MADOGUCHI_HOME="$TEST_HOME/dry" "$MADOGUCHI" extract --json "$TEST_DATA_DIR/multipart-log.eml")
contains "$out" '"value":"203.0.113.7"' "extract prints the evidence"
ok $([ ! -e "$TEST_HOME/dry" ]; echo $?) "extract creates no database or spool"
out=$("$MADOGUCHI" extract - < "$TEST_DATA_DIR/iso2022jp.eml")
contains "$out" "192.0.2.45" "extract reads standard input"

# rules check: the shipped rules are clean; a broken file is named.
shipped=$("$MADOGUCHI" rules check)
is $? 0 "the shipped rules have no problem"
count=$(printf '%s\n' "$shipped" | sed -n 's/.*: \([0-9]*\) rules,.*/\1/p')
mkdir -p "$TEST_HOME/rules"
cp "$(dirname "$0")/../../rules/"* "$TEST_HOME/rules/"
printf '[rule broken]\nkind = ipv4\npattern = (?<addr>[0-9\n' > "$TEST_HOME/rules/zz-local.rules"
printf '[rule words]\nkind = url\npattern = \\w+\n' >> "$TEST_HOME/rules/zz-local.rules"
out=$("$MADOGUCHI" rules check "$TEST_HOME/rules")
is $? 65 "rules check exits EX_DATAERR on a problem"
contains "$out" "zz-local.rules:3: rule broken:" "naming file, line and rule"
contains "$out" "offset" "and PCRE2's offset"
contains "$out" "$((count + 1)) rules," "the broken rule is not counted, the other one is"
contains "$out" "note: rule words (zz-local.rules) has no literal" \
  "a rule run on every text is named"

# rules list: every rule, its pattern as PCRE2 gets it ({defines} expanded).
list=$("$MADOGUCHI" rules list "$TEST_HOME/rules")
is $? 0 "rules list exits 0"
is "$(printf '%s\n' "$list" | wc -l)" "$((count + 2))" "rules list prints every rule, broken ones too"
contains "$list" "$(printf 'zz-local.rules\tbroken\tipv4\t(?<addr>[0-9')" \
  "as file, name, kind and pattern"
ipv4=$(printf '%s\n' "$list" | awk -F'\t' '$1 == "extract.rules" && $2 == "ipv4" { print $4 }')
contains "$ipv4" '(?<addr>[0-9]{0,2}[0-9]' "with its {defines} expanded"
is "$(printf '%s\n' "$ipv4" | grep -c '{ipv4}\|{octet}\|{dot}')" 0 "none left unexpanded"
is "$(printf '%s\n' "$list" | awk -F'\t' '$2 == "scan-many-ports" { print $3 " " $4 }')" \
  "classify -" "a rule without a pattern shows -"
"$MADOGUCHI" rules list /nonexistent > /dev/null 2>&1
ok $([ $? -ne 0 ]; echo $?) "rules list of a missing folder fails"

# A broken rule never stops intake: the rest still apply.
printf '[madoguchi]\nrules_dir = %s\n' "$TEST_HOME/rules" > "$TEST_HOME/rules.conf"
sed 's/^Message-ID: .*/Message-ID: <broken-rules@example.net>/' \
  "$TEST_DATA_DIR/multipart-log.eml" > "$TEST_HOME/m.eml"
MADOGUCHI_CONFIG="$TEST_HOME/rules.conf" "$MADOGUCHI" deliver < "$TEST_HOME/m.eml"
is $? 0 "deliver with a broken rule file exits 0"
is "$(sql "SELECT COUNT(*) FROM indicator i JOIN message m ON m.id = i.message_id WHERE m.message_id = 'broken-rules@example.net' AND i.value = '203.0.113.7'")" 1 \
  "and the other rules still extract"

# A missing rules directory: still filed, nothing extracted.
printf '[madoguchi]\nrules_dir = /nonexistent\n' > "$TEST_HOME/norules.conf"
sed 's/^Message-ID: .*/Message-ID: <no-rules@example.net>/' \
  "$TEST_DATA_DIR/multipart-log.eml" > "$TEST_HOME/n.eml"
MADOGUCHI_CONFIG="$TEST_HOME/norules.conf" "$MADOGUCHI" deliver < "$TEST_HOME/n.eml"
is $? 0 "deliver without rules exits 0"
is "$(sql "SELECT COUNT(*) FROM message WHERE message_id = 'no-rules@example.net'")" 1 "and files the report"

done_testing
