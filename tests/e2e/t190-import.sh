#!/bin/sh
# import: a backlog from a Maildir (cur/ and new/), an mbox and a folder
# of .eml files is filed by deliver's pipeline: a ticket each, the same
# dedup (a message already delivered is not filed again), no
# acknowledgement unless --ack, the mbox From_ line as envelope sender,
# a big message's bytes in rows of at most a mebibyte, and an import run
# again skips what it did.
. "$(dirname "$0")/lib.sh"

# report ID SUBJECT OCTET: a small report, on standard output
report() {
  printf 'From: Reporter <r@example.net>\nTo: info@cert.example.jp\n'
  printf 'Subject: %s\nDate: Tue, 24 Nov 2026 10:00:00 +0900\n' "$2"
  printf 'Message-ID: <%s@example.net>\n\n' "$1"
  printf 'Scans from 192.0.2.%s since this morning.\n' "$3"
}

md=$TEST_HOME/Maildir
mkdir -p "$md/cur" "$md/new" "$md/tmp"
report md1 "maildir one" 11 > "$md/cur/1.host:2,S"
report md2 "maildir two" 12 > "$md/new/2.host"
# A Maildir file is one message, even one that starts with a From_ line
# and has an unquoted "From " line in its body.
{
  printf 'From sender3@example.org Tue Nov 24 10:00:00 2026\n'
  report md3 "maildir from line" 13
  printf 'From the body: an unquoted line, not a separator\n'
} > "$md/new/3.host"

mbox=$TEST_HOME/reports.mbox
for i in 1 2 3; do
  printf 'From sender%s@example.org Tue Nov 24 10:00:00 2026\n' "$i"
  report "mb$i" "mbox $i" "2$i"
  printf '>From the quoted line of a body, not a separator\n\n'
done > "$mbox"

eml=$TEST_HOME/eml
mkdir -p "$eml"
report a "folder a" 31 > "$eml/a.eml"
report b "folder b" 32 > "$eml/b.eml"
report dup "delivered first" 33 > "$eml/dup.eml"
{
  report big "a big log" 34
  i=0
  while [ $i -lt 30000 ]; do
    printf 'Nov 24 09:%02d:00 fw kernel: DROP SRC=198.51.100.%d DPT=22\n' \
      $((i % 60)) $((i % 250))
    i=$((i + 1))
  done
} > "$eml/big.eml"

deliver "$eml/dup.eml"
ok $rc "one report is delivered before the import"
acks_before=$(sql "SELECT count(*) FROM outbox")

out=$("$MADOGUCHI" import "$md" "$mbox" "$eml" 2>&1)
ok $? "import exits 0"
contains "$out" "9 filed, 1 already filed, 0 failed, 0 skipped" \
  "every new report filed, the delivered one recognised"
is "$(count_tickets)" 10 "a ticket each"
is "$(sql "SELECT count(*) FROM outbox")" "$acks_before" \
  "no acknowledgement without --ack"
is "$(sql "SELECT envelope_from FROM message WHERE message_id = 'mb2@example.net'")" \
  "sender2@example.org" "an mbox message's From_ line is its envelope sender"
is "$(sql "SELECT count(*) FROM message WHERE subject LIKE 'mbox %'")" 3 \
  "a quoted >From line splits nothing"
is "$(sql "SELECT count(*), count(*) FILTER (WHERE text LIKE '%From the body: an unquoted%') FROM message WHERE subject = 'maildir from line'")" \
  "1|1" "a Maildir file that starts with a From_ line is one message, whole"
is "$(sql "SELECT received FROM message WHERE message_id = 'md1@example.net'")" \
  "$(date -u -d '2026-11-24 01:00:00' +%s)" "an old report is filed at its own Date"
size=$(wc -c < "$eml/big.eml" | tr -d ' ')
is "$(sql "SELECT count(*) FILTER (WHERE seq = 1), count(*) FILTER (WHERE length(bytes) > 1048576), sum(length(bytes)) FROM message_raw r JOIN message m ON m.id = r.message_id WHERE m.message_id = 'big@example.net'")" \
  "1|0|$size" "a big message's bytes are kept whole, in rows of a mebibyte at most"
contains "$("$MADOGUCHI" list --ip 198.51.100.77)" "a big log" \
  "its evidence is extracted"

out=$("$MADOGUCHI" import "$md" "$mbox" "$eml" 2>&1)
contains "$out" "0 filed, 0 already filed, 0 failed, 10 skipped" \
  "an import run again skips what it did"

more=$TEST_HOME/more.mbox
printf 'From sender9@example.org Tue Nov 24 10:00:00 2026\n' > "$more"
report ack "with an acknowledgement" 41 >> "$more"
out=$("$MADOGUCHI" import --ack "$more" 2>&1)
contains "$out" "1 filed" "import --ack files it"
is "$(sql "SELECT count(*) FROM outbox")" "$((acks_before + 1))" \
  "and queues its acknowledgement"

"$MADOGUCHI" import "$TEST_HOME/missing" > /dev/null 2>&1
ok $([ $? -ne 0 ]; echo $?) "a source that does not exist is an error"

# A message that cannot be read is reported and counted failed (exit
# 75), and the import's recorded progress stops before it: run again
# once it can be read, it is filed, and what followed it is recognised.
# Root works as the data directory's owner (nobody here), who cannot
# read a file of mode 000.
if [ "$(id -u)" -eq 0 ] && id nobody > /dev/null 2>&1; then
  chmod 0711 "$TEST_HOME"
  home=$TEST_HOME/nobody
  mkdir -p "$home"
  chown nobody "$home"
  MADOGUCHI_HOME=$home "$MADOGUCHI" init > /dev/null
  # (0 on SQLite; the PostgreSQL pass shares the database with the above)
  before=$(MADOGUCHI_HOME=$home count_tickets)
  um=$TEST_HOME/unreadable
  mkdir -p "$um/cur" "$um/new" "$um/tmp"
  report ur1 "readable one" 51 > "$um/cur/1.host"
  report ur2 "unreadable for a while" 52 > "$um/cur/2.host"
  report ur3 "readable three" 53 > "$um/cur/3.host"
  chmod -R a+rX "$um"
  chmod 000 "$um/cur/2.host"
  out=$(MADOGUCHI_HOME=$home "$MADOGUCHI" import "$um" 2>&1)
  is $? 75 "an import with a message it cannot read exits 75"
  contains "$out" "2 filed, 0 already filed, 1 failed, 0 skipped" \
    "the others are filed"
  contains "$out" "$um/cur/2.host" "the unreadable file is named"
  chmod 644 "$um/cur/2.host"
  out=$(MADOGUCHI_HOME=$home "$MADOGUCHI" import "$um" 2>&1)
  is $? 0 "run again once it can be read, it exits 0"
  contains "$out" "1 filed, 1 already filed, 0 failed, 1 skipped" \
    "the failed message is filed, the one after it recognised"
  is "$(MADOGUCHI_HOME=$home count_tickets)" $((before + 3)) "a ticket each"
else
  ok 0 "an unreadable message # SKIP needs root and a nobody user"
fi

done_testing
