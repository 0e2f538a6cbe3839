#!/bin/sh
# deliver: every sample becomes one ticket; exit codes; envelope; dedup;
# list/show output as JSON and as a table.
. "$(dirname "$0")/lib.sh"

n=0
for f in "$TEST_DATA_DIR"/*.eml; do
  deliver "$f"
  ok $rc "deliver $(basename "$f") exits 0"
  n=$((n + 1))
done
is "$(count_tickets)" "$n" "every sample is one ticket"
is "$(files_in "$MADOGUCHI_HOME/spool/new")" 0 "nothing left in spool/new"
is "$(files_in "$MADOGUCHI_HOME/spool/tmp")" 0 "nothing left in spool/tmp"

numbers=$(sql "SELECT number FROM ticket ORDER BY id" | tr '\n' ' ')
year=$(date +%Y)
case "$numbers" in
  "$year-000001 $year-000002 $year-000003 "*) ok 0 "numbers are gap-free from 1" ;;
  *) ok 1 "numbers are gap-free from 1: $numbers" ;;
esac
is "$(sql "SELECT COUNT(DISTINCT number) FROM ticket")" "$n" "numbers are distinct"

# Retried delivery of the same message: one ticket, exit 0.
before=$(count_tickets)
deliver "$TEST_DATA_DIR/plain-english.eml"
ok $rc "a repeated delivery exits 0"
is "$(count_tickets)" "$before" "a repeated delivery makes no second ticket"

# The same report with CRLF line ends is the same message.
tr -d '\r' < "$TEST_DATA_DIR/plain-english.eml" | sed 's/$/\r/' > "$TEST_HOME/crlf.eml"
deliver "$TEST_HOME/crlf.eml"
is "$(count_tickets)" "$before" "CRLF copy of a filed message is a duplicate"

# Envelope from options, from the environment, and the null sender.
sed 's/^Message-ID: .*/Message-ID: <env-1@example.net>/' \
  "$TEST_DATA_DIR/plain-english.eml" > "$TEST_HOME/env1.eml"
deliver "$TEST_HOME/env1.eml" -f reporter@example.net -a info@cert.example.jp
is "$(sql "SELECT envelope_from || ' ' || envelope_to FROM message WHERE message_id = 'env-1@example.net'")" \
  "reporter@example.net info@cert.example.jp" "-f and -a are stored"

sed 's/^Message-ID: .*/Message-ID: <env-2@example.net>/' \
  "$TEST_DATA_DIR/plain-english.eml" > "$TEST_HOME/env2.eml"
SENDER=local8@example.net RECIPIENT=info@cert.example.jp \
  "$MADOGUCHI" deliver < "$TEST_HOME/env2.eml"
is "$(sql "SELECT envelope_from FROM message WHERE message_id = 'env-2@example.net'")" \
  "local8@example.net" "SENDER from local(8) is stored"

sed 's/^Message-ID: .*/Message-ID: <env-3@example.net>/' \
  "$TEST_DATA_DIR/plain-english.eml" > "$TEST_HOME/env3.eml"
deliver "$TEST_HOME/env3.eml" -f '<>'
is "$(sql "SELECT COALESCE('''' || envelope_from || '''', 'NULL') FROM message WHERE message_id = 'env-3@example.net'")" \
  "''" "a null sender is stored as the empty string (a bounce)"

# Postfix pipe(8) passes the null sender as MAILER-DAEMON (README.Debian's
# recipe: -f ${sender}); one delivery for two recipients passes the second
# as an operand (a recipe without the recipient limit): 75, not filed.
sed 's/^Message-ID: .*/Message-ID: <env-4@example.net>/' \
  "$TEST_DATA_DIR/plain-english.eml" > "$TEST_HOME/env4.eml"
deliver "$TEST_HOME/env4.eml" -f MAILER-DAEMON
is "$(sql "SELECT COALESCE('''' || envelope_from || '''', 'NULL') FROM message WHERE message_id = 'env-4@example.net'")" \
  "''" "-f MAILER-DAEMON is the null sender too"
sed 's/^Message-ID: .*/Message-ID: <env-5@example.net>/' \
  "$TEST_DATA_DIR/plain-english.eml" > "$TEST_HOME/env5.eml"
deliver "$TEST_HOME/env5.eml" -a info@cert.example.jp abuse@cert.example.jp 2>/dev/null
is "$rc" 75 "an operand after -a (two recipients in one delivery): 75"
is "$(sql "SELECT count(*) FROM message WHERE message_id = 'env-5@example.net'")" \
  0 "  and nothing filed"

# (PostgreSQL compares bytes with a literal; SQLite, text with text)
from_line="CAST(substr(r.bytes, 1, 5) AS TEXT) = 'From '"
on_sqlite || from_line="substr(r.bytes, 1, 5) = 'From '"
is "$(sql "SELECT envelope_from FROM message m JOIN message_raw r ON r.message_id = m.id AND r.seq = 0 WHERE $from_line")" \
  "reporter@example.net" "the mbox From_ line gives the envelope sender"

# list --json has the documented keys; show --json has the messages.
json=$("$MADOGUCHI" list --json)
for key in number created status category reporter subject; do
  contains "$json" "\"$key\":" "list --json has $key"
done
num=$(sql "SELECT t.number FROM ticket t JOIN message m ON m.ticket_id = t.id WHERE m.subject LIKE '%ポートスキャン%' LIMIT 1")
show=$("$MADOGUCHI" show --json "$num")
for key in message_id from subject date text; do
  contains "$show" "\"$key\":" "show --json has messages[].$key"
done
contains "$show" "【報告】ポートスキャンについて" "show --json has the decoded Japanese subject"
contains "$show" "㈱" "show --json has CP50221 vendor characters"

# The table: a Japanese subject is aligned (wide characters count two).
table=$("$MADOGUCHI" list --all)
contains "$table" "【報告】ポートスキャンについて" "list prints the Japanese subject"
contains "$("$MADOGUCHI" show "$num")" "Subject     【報告】ポートスキャンについて" "show prints the subject"

# --raw gives back the bytes exactly as received.
raw_num=$(sql "SELECT t.number FROM ticket t JOIN message m ON m.ticket_id = t.id WHERE m.message_id = 'env-1@example.net'")
"$MADOGUCHI" show --raw "$raw_num" > "$TEST_HOME/raw.out"
cmp -s "$TEST_HOME/raw.out" "$TEST_HOME/env1.eml"
ok $? "show --raw prints the original bytes"
nul_num=$(sql "SELECT t.number FROM ticket t JOIN message m ON m.ticket_id = t.id WHERE m.flags LIKE '%nul-bytes%' LIMIT 1")
"$MADOGUCHI" show --raw "$nul_num" > "$TEST_HOME/nul.out"
cmp -s "$TEST_HOME/nul.out" "$TEST_DATA_DIR/nul-bytes.eml"
ok $? "NUL bytes are kept verbatim in the evidence"

# Flags for hostile input.
is "$(sql "SELECT flags FROM message WHERE size = 0")" "empty,no-headers" "an empty message is filed and flagged"
contains "$(sql "SELECT flags FROM message WHERE subject LIKE '%broken MIME%'")" "malformed" "malformed MIME is flagged"

# Unknown tickets and bad numbers are clear errors.
"$MADOGUCHI" show 1999-000999 2>"$TEST_HOME/err"
is $? 1 "show of an unknown ticket exits 1"
contains "$(cat "$TEST_HOME/err")" "no ticket 1999-000999" "and says which"

# The WAL past a megabyte is emptied by a process the delivery leaves
# behind, detached: the delivery returns, its output closed, while that
# process still works (a reader holding its snapshot makes it try
# again), and once the reader is gone the WAL is empty.  SQLite's.
if on_sqlite; then
{ sed '/^$/q' "$TEST_DATA_DIR/plain-english.eml" | sed 's/^Message-ID: .*/Message-ID: <wal@example.net>/'
  i=0; while [ $i -lt 20000 ]; do
    echo "Jun 20 22:17:07 db3 sshd[53011]: Connection closed by 192.0.2.1 port 22"
    i=$((i + 1)); done; } > "$TEST_HOME/wal.eml"
mkfifo "$TEST_HOME/reader.in"
sqlite3 "$MADOGUCHI_HOME/madoguchi.db" < "$TEST_HOME/reader.in" > /dev/null &
reader=$!
exec 9> "$TEST_HOME/reader.in"
printf 'BEGIN;\nSELECT count(*) FROM ticket;\n.shell touch %s\n' \
  "$TEST_HOME/reading" >&9
wait_until 10 test -e "$TEST_HOME/reading"
ok $? "a reader holds its snapshot"
out=$("$MADOGUCHI" deliver < "$TEST_HOME/wal.eml" 2>&1)
is "$?:$out" "0:" "a delivery that fills the WAL exits 0, its output closed"
flock -n "$MADOGUCHI_HOME/madoguchi.db" true
ok $([ $? -ne 0 ]; echo $?) "while the process emptying the WAL still runs"
exec 9>&-
wait "$reader"
wal_empty() { [ "$(stat -c %s "$MADOGUCHI_HOME/madoguchi.db-wal" 2>/dev/null)" = 0 ]; }
wait_until 10 wal_empty
ok $? "once the reader is gone, it empties the WAL"
is "$(sql "SELECT COUNT(*) FROM message WHERE message_id = 'wal@example.net'")" 1 \
  "with the message filed"

# Files are private.
is "$(stat -c %a "$MADOGUCHI_HOME/madoguchi.db")" 600 "the database is mode 0600"
fi
is "$(stat -c %a "$MADOGUCHI_HOME/spool/new")" 700 "the spool is mode 0700"

done_testing
