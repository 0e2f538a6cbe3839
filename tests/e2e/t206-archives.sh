#!/bin/sh
# Evidence inside archives and CSV feeds: every format's members are
# parts and scanned; archives nest; a bomb, 10,000 members, a truncated
# or encrypted archive are filed and flagged; member names are only
# data; a CSV feed's rows are sources with their own times, and its
# report type classifies.  The archives are made here, from text
# (mkarchive.py), never kept as blobs.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip_all "python3 is missing"
mk="$(dirname "$0")/mkarchive.py"
mail() {
  python3 "$mk" "$@" > "$TEST_HOME/$1.eml"
}
flags() {
  sql "SELECT flags FROM message WHERE subject = '$1'"
}
json_of() {
  "$MADOGUCHI" extract --json "$TEST_HOME/$1.eml"
}

# Every format: the log line inside is found.
for kind in targz:198.51.100.10 gz:198.51.100.11 bz2:198.51.100.12 \
            xz:198.51.100.13 zst:198.51.100.14 tarxz:198.51.100.15 \
            nested:198.51.100.20; do
  k=${kind%%:*}
  if [ "$k" = zst ] && ! command -v zstd >/dev/null; then
    skip_all "zstd is missing (.ci/install-deps)"
  fi
  mail "$k"
  contains "$(json_of "$k")" "\"value\":\"${kind#*:}\"" \
    "$k: the address in the member is evidence"
done

# A feed zipped: members are parts, shown by show and show --json.
mail zip-feed
deliver "$TEST_HOME/zip-feed.eml"
ok $rc "a zipped feed is filed"
number=$("$MADOGUCHI" list --json | sed -n 's/.*"number":"\([^"]*\)".*/\1/p' | head -1)
show=$("$MADOGUCHI" show "$number")
contains "$show" 'scan_ssh-2026-12-01.csv.zip' "show lists the archive"
contains "$show" '      text/csv "scan_ssh-2026-12-01.csv' \
  "and its member as a part below it"
json=$("$MADOGUCHI" show --json "$number")
contains "$json" '"depth":2,"content_type":"text/csv","filename":"scan_ssh-2026-12-01.csv"' \
  "show --json lists the member with its depth"
contains "$json" '"value":"10.0.0.1","scope":"private","own":false,"role":"source"' \
  "a feed row's address is a source"
contains "$json" '"ports":"22","first_seen":"2026-11-30T15:00:01Z"' \
  "with its port and its own time (the report's zone, +0900)"
contains "$json" '"rule":"feed:timestamp","zone_assumed":true' \
  "the zone assumed is said so"
contains "$json" '"category":"scan"' "a scan_ feed files as scan without any wording"
contains "$json" '"text":"timestamp,ip,protocol,port,hostname,tag,asn\n' \
  "the rows are an excerpt under their header"

# A bomb: a zip of 1 GiB of zeros, filed and flagged, whichever guard.
mail bomb
deliver "$TEST_HOME/bomb.eml"
ok $rc "a 1 GiB zip bomb is filed"
is "$(flags bomb)" "archive-ratio" "and flagged by the ratio guard"
printf '[madoguchi]\nmax_archive_ratio = 0\nmax_archive_bytes = 64M\n' \
  > "$TEST_HOME/bytes.conf"
out=$(MADOGUCHI_CONFIG="$TEST_HOME/bytes.conf" "$MADOGUCHI" extract --json \
  "$TEST_HOME/bomb.eml")
ok $? "without the ratio guard it is read only to max_archive_bytes"
is "$(sql "SELECT size FROM part WHERE filename = 'report.zip'")" 1062006 \
  "the archive part has its decoded size"

# Two archives: the ratio is of all of them.
mail two
deliver "$TEST_HOME/two.eml"
is "$(flags two)" "" "a small archive after a big one is no bomb"
contains "$(json_of two)" '"value":"198.51.100.70"' "and is read"

# 10,000 members: the rest past max_archive_members is skipped.
mail many
deliver "$TEST_HOME/many.eml"
ok $rc "10,000 members are filed"
is "$(flags many)" "parts-limit,archive-members" "and flagged"

# Names are data: nothing is written, the names are kept as written.
rm -f /tmp/madoguchi-pwned.txt
mail traversal
deliver "$TEST_HOME/traversal.eml"
ok $([ ! -e /tmp/madoguchi-pwned.txt ] && [ ! -e /etc/madoguchi-pwned ]; echo $?) \
  "a member named ../../ or /etc/... is written nowhere"
is "$(sql "SELECT COUNT(*) FROM part WHERE filename = '../../../../tmp/madoguchi-pwned.txt'")" 1 \
  "its name is kept as data"
is "$(sql "SELECT length(filename) FROM part WHERE filename LIKE 'aaaa%'")" 1024 \
  "an overlong name is cut"
is "$(sql "SELECT filename FROM part WHERE filename LIKE 'ctl%'")" 'ctl?[31m.log' \
  "control characters in a name are replaced"
contains "$(json_of traversal)" '"kind":"sha256","value":"' \
  "an executable member is evidence by its SHA-256"
contains "$(json_of traversal)" '"context":"/etc/madoguchi-pwned, 7 bytes"' \
  "with its name and size"

# Encrypted: the default password, a wrong one.
if command -v zip >/dev/null; then
  mail encrypted infected
  contains "$(json_of encrypted)" '"value":"198.51.100.30"' \
    "a zip encrypted with \"infected\" is read"
  python3 "$mk" encrypted secret > "$TEST_HOME/secret.eml"
  sed -i 's/^Subject: encrypted/Subject: secret/' "$TEST_HOME/secret.eml"
  deliver "$TEST_HOME/secret.eml"
  is "$(flags secret)" "archive-encrypted" \
    "one no password opens is filed and flagged"
else
  skip_all "zip is missing (.ci/install-deps)"
fi

# Truncated: what could be read is, and the message is flagged.
mail truncated
deliver "$TEST_HOME/truncated.eml"
ok $rc "a truncated zip is filed"
is "$(flags truncated)" "archive-damaged" "and flagged"
contains "$(json_of truncated)" '"value":"198.51.100.60"' \
  "the members before the cut are read"

# CSV edge cases.
mail csv-edge bom-quoted.csv
out=$(json_of csv-edge)
contains "$out" '"value":"192.0.2.61","scope":"documentation","own":false,"role":"source","count":1,"ports":"443","first_seen":"2026-12-01T01:00:00Z"' \
  "BOM, quoted comma and newline: the row is read, Z is UTC"
contains "$out" '"value":"192.0.2.62","scope":"documentation","own":false,"role":"source","count":1,"ports":"80","first_seen":"2026-11-30T17:00:00Z"' \
  "the row after a quoted newline too, +09:00 as written"
mail csv-edge semicolon.csv
out=$(json_of csv-edge)
contains "$out" '"value":"192.0.2.71","scope":"documentation","own":false,"role":"source","count":1,"ports":null,"first_seen":"2026-12-01T03:00:00Z"' \
  "';' separated; a column named _utc is UTC"
contains "$out" '"value":"192.0.2.72","scope":"documentation","own":false,"role":"source","count":1,"ports":null,"first_seen":"2026-12-01T03:00:00Z"' \
  "Unix seconds"
contains "$("$MADOGUCHI" classify "$TEST_HOME/csv-edge.eml")" "feed-intrusion" \
  "a type column of sinkhole-drone classifies as intrusion"
mail csv-edge tabs.tsv
out=$(json_of csv-edge)
contains "$out" '"kind":"ipv6","value":"2001:db8::81"' "tab separated, IPv6"
contains "$out" '"zone_assumed":true' "a time without zone is in the report's zone, said so"

# Lines ending in CR alone (old Mac mailers).
mail cr-only
deliver "$TEST_HOME/cr-only.eml"
is "$(sql "SELECT COUNT(*) FROM message WHERE subject = 'mac'")" 1 \
  "a message with CR line ends has its headers read"
contains "$(sql "SELECT text FROM message WHERE subject = 'mac'")" "$(printf 'at 01:00.\nAnd')" \
  "and its body lines are lines"

done_testing
