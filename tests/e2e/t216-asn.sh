#!/bin/sh
# Contacts by AS number (issue 21): madoguchi has no IP-to-AS data, but
# reports carry the AS with the address: "AS64496" on the address's line,
# a feed's asn column, an X-ARF Source-ASN field.  It is kept with the
# indicator (show, JSON, CSV), and `contacts lookup ADDRESS` and
# notify's choice of sites fall back on the contact of that AS; a
# network contact (prefix, then range) still wins over an AS one.
. "$(dirname "$0")/lib.sh"

M=$MADOGUCHI
"$M" init > /dev/null

printf 'From: Alice <alice@victim.example>\nTo: info@localhost\nSubject: scans\nMessage-ID: <as1@victim.example>\nDate: Mon, 07 Dec 2026 09:00:00 +0000\n\nWe saw scans:\n2026-12-07 08:00:01 198.51.100.7 (AS64496) port 22\n2026-12-07 08:00:02 203.0.113.9 AS64511 port 23\n2026-12-07 08:00:03 192.0.2.200 port 80\nseen as 2 hosts from 192.0.2.201\n' \
  > "$TEST_HOME/line.eml"
printf 'From: feeds@shadow.example\nTo: info@localhost\nSubject: feed\nMessage-ID: <f1@shadow.example>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nSee attached.\n--b\nContent-Type: text/csv; name="scan_ssh-2026-12-06.csv"\nContent-Disposition: attachment; filename="scan_ssh-2026-12-06.csv"\n\n"timestamp","ip","port","asn","geo"\n"2026-12-06 01:02:03","198.18.0.5",22,64500,"JP"\n"2026-12-06 01:02:04","198.18.0.6",22,,"JP"\n--b--\n' \
  > "$TEST_HOME/feed.eml"
printf 'From: xarf@reporter.example\nTo: info@localhost\nSubject: abuse report\nMessage-ID: <x1@reporter.example>\n\nReported-From: xarf@reporter.example\nCategory: abuse\nReport-Type: login-attack\nSource: 198.18.1.9\nSource-Type: ipv4\nSource-ASN: 64501\nPort: 22\n' \
  > "$TEST_HOME/xarf.eml"
for f in line feed xarf; do
  deliver "$TEST_HOME/$f.eml"
  is "$rc" 0 "deliver $f"
done

# --- the AS recorded with the address ---------------------------------------

asn_of() {   # asn_of TICKET ADDRESS: the asn show --json gives it
  "$M" show --json "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print([i.get("asn") for i in d["indicators"] if i["value"] == sys.argv[1]][0])' "$2"
}
command -v python3 > /dev/null || { echo "1..0 # SKIP python3"; exit 77; }
is "$(asn_of 1 198.51.100.7)" 64496 "(AS64496) beside the address on its line"
is "$(asn_of 1 203.0.113.9)" 64511 "AS64511 on another line: that address's"
is "$(asn_of 1 192.0.2.200)" None "a line without an AS: none"
is "$(asn_of 1 192.0.2.201)" None "'as 2 hosts' is no AS"
is "$(asn_of 2 198.18.0.5)" 64500 "a feed's asn column"
is "$(asn_of 2 198.18.0.6)" None "a feed row with the column empty: none"
is "$(asn_of 3 198.18.1.9)" 64501 "X-ARF Source-ASN, for the report's source"
contains "$("$M" show 1)" "198.51.100.7" "show: the address..."
contains "$("$M" show 1 | grep 198.51.100.7)" "AS64496" "... with its AS"
contains "$("$M" show 1 --format csv | grep 198.51.100.7)" ",64496" \
  "show --format csv: the asn column"
is "$(sql "SELECT count(*) FROM indicator WHERE asn IS NOT NULL")" 4 \
  "four indicators with an AS in the database"

# --- contacts by AS ------------------------------------------------------------

cat > "$TEST_HOME/c.csv" <<'CSV'
match,name,email,language,pgp
AS64496,Net A,noc@a.example,en,
198.51.100.0/24,Net A prefix,prefix@a.example,en,
AS64511,Net B,noc@b.example,en,
AS64500,Feed Net,noc@feed.example,en,
AS64501,XARF Net,noc@xarf.example,ja,
203.0.113.0-203.0.113.255,Range B,range@b.example,en,
CSV
"$M" contacts import "$TEST_HOME/c.csv" > /dev/null
is "$("$M" contacts lookup 198.18.0.5)" noc@feed.example \
  "lookup of an address with a reported AS: the AS's contact"
is "$("$M" contacts lookup 198.18.1.9)" noc@xarf.example "... from X-ARF too"
is "$("$M" contacts lookup 198.51.100.7)" prefix@a.example \
  "a prefix wins over the AS"
is "$("$M" contacts lookup 203.0.113.9)" range@b.example \
  "a range wins over the AS"
"$M" contacts lookup 198.18.0.6 > /dev/null 2>&1
is "$?" 1 "an address without a contact or a known AS: none"
"$M" contacts remove 203.0.113.0-203.0.113.255 > /dev/null
is "$("$M" contacts lookup 203.0.113.9)" noc@b.example \
  "without the range, the AS's contact"

# --- notify chooses the AS contact --------------------------------------------

"$M" notify --dry-run --json 2 > "$TEST_HOME/n2.json"
python3 - "$TEST_HOME/n2.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
n = {o["contact"]: o for o in d["notifications"]}
assert n["AS64500"]["addresses"] == ["198.18.0.5"], n
assert d["not_notified"] == ["198.18.0.6"], d
PY
ok $? "notify: the feed's address to its AS's contact, the other not notified"
"$M" notify --dry-run --json 1 > "$TEST_HOME/n1.json"
python3 - "$TEST_HOME/n1.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
n = {o["contact"]: o["addresses"] for o in d["notifications"]}
assert n == {"198.51.100.0/24": ["198.51.100.7"], "AS64511": ["203.0.113.9"]}, n
PY
ok $? "notify: the prefix's contact for its address, the AS's for the other"

done_testing
