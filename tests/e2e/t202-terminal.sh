#!/bin/sh
# Terminal escapes in mail never reach the operator: the body, Subject and
# From (encoded words carrying ESC, BEL, C1 controls and bidi overrides),
# raw 8-bit header bytes, attachment names and operators' own notes come
# out of every command meant for a terminal (show, list, extract,
# classify, incident, outbox, stats) shown visibly ("^[", "<U+202E>",
# "\x9B"), never as the bytes; --json escapes them (\u001b, \u202e) and
# stays valid UTF-8; CSV and JSON Lines exports carry none either.
# Only coreutils, grep and iconv are used to look at bytes.
. "$(dirname "$0")/lib.sh"

ESC=$(printf '\033')

# --- the messages -------------------------------------------------------

# b64 TEXT-WITH-PRINTF-ESCAPES: the bytes, base64 on one line.
b64() {
  printf "$1" | base64 | tr -d '\n'
}

# The issue's reproduction: an OSC 52 clipboard write and cursor moves
# that hide the line before.
printf 'From: m <m@e.example>\nSubject: x\nMessage-ID: <e@x>\n\nbody \033]52;c;cHduZWQ=\007 \033[1A\033[2K\n' \
  > "$TEST_HOME/issue.eml"

# Escapes in encoded words: Subject with ESC, BEL and U+202E (RIGHT-TO-
# LEFT OVERRIDE), the From's display name with a C1 CSI (U+009B), an
# isolate (U+2066) and ESC; a raw 8-bit byte (0x9B) in To; a body with
# U+202E, U+200F, U+061C, DEL, a CR and a byte that is not UTF-8.
subject_b64=$(b64 'scan \033]0;pwned\007 from \342\200\256gpj.exe 192.0.2.1')
name_b64=$(b64 'Ad\033[8mmin \302\2332J \342\201\246x')
{
  printf 'From: =?utf-8?b?%s?= <m2@e.example>\n' "$name_b64"
  printf 'To: info\233[2J@localhost\n'
  printf 'Subject: =?utf-8?b?%s?=\n' "$subject_b64"
  printf 'Date: Tue, 24 Nov 2026 04:04:58 +0000\n'
  printf 'Message-ID: <enc@test.example>\n'
  printf 'MIME-Version: 1.0\n'
  printf 'Content-Type: multipart/mixed; boundary=b\n\n'
  printf -- '--b\nContent-Type: text/plain; charset=utf-8\n'
  printf 'Content-Transfer-Encoding: 8bit\n\n'
  printf 'Port scan from 192.0.2.1 \342\200\256txt.exe \342\200\217 \330\234\n'
  printf 'del \177 cr \r here c1 \302\205 bad \233[2J end\n'
  printf -- '--b\nContent-Type: application/octet-stream\n'
  printf "Content-Disposition: attachment; filename*=utf-8''%%1B%%5D52%%3Bc%%3Bx%%07evil%%E2%%80%%AEfdp.exe\n"
  printf 'Content-Transfer-Encoding: base64\n\nYWJj\n'
  printf -- '--b\nContent-Type: text/plain; name="a\\"b\033[2J.txt"\n'
  printf 'Content-Disposition: attachment; filename="a\\"b\033[2J.txt"\n\n'
  printf 'x\n--b--\n'
} > "$TEST_HOME/encoded.eml"

deliver "$TEST_HOME/issue.eml"
is "$rc" 0 "the issue's reproduction is filed"
deliver "$TEST_HOME/encoded.eml"
is "$rc" 0 "the message with escapes in its headers is filed"
n1=$(sql "SELECT t.number FROM ticket t JOIN message m ON m.ticket_id = t.id WHERE m.message_id = 'e@x'")
n2=$(sql "SELECT t.number FROM ticket t JOIN message m ON m.ticket_id = t.id WHERE m.message_id = 'enc@test.example'")
ok $([ -n "$n1" ] && [ -n "$n2" ]; echo $?) "both have tickets ($n1, $n2)"

# Operators' input, echoed back: a note and an incident title.
"$MADOGUCHI" comment "$n2" "$(printf 'note \033[2J\342\200\256')" > /dev/null
"$MADOGUCHI" incident new "$(printf 'title \033]0;t\007')" "$n1" "$n2" \
  > /dev/null

# A sendmail that refuses with escapes on its stderr, cut by madoguchi
# at 200 bytes in the middle of a character: the outbox keeps the error,
# and shows it.
cat > "$TEST_HOME/sendmail" <<'EOF2'
#!/bin/sh
cat > /dev/null
printf 'refused \033[31m \342\200\256' >&2
printf '%0182d\342\200\256' 0 >&2
exit 75
EOF2
chmod +x "$TEST_HOME/sendmail"
printf '[madoguchi]\nsendmail_command = %s\n' "$TEST_HOME/sendmail" \
  > "$TEST_HOME/sendmail.conf"
sed -e 's/<e@x>/<e3@x>/' -e 's/^From: m <m@/From: m3 <m3@/' \
  "$TEST_HOME/issue.eml" > "$TEST_HOME/issue3.eml"
MADOGUCHI_CONFIG="$TEST_HOME/sendmail.conf" deliver "$TEST_HOME/issue3.eml"
is "$rc" 0 "a report whose acknowledgement fails is filed"
n3=$(sql "SELECT t.number FROM ticket t JOIN message m ON m.ticket_id = t.id WHERE m.message_id = 'e3@x'")

# --- the check ------------------------------------------------------------

# C0 controls but newline and tab, DEL; C1 controls in UTF-8; bidi marks,
# embeddings, overrides and isolates.
bad_c0=$(printf '[\001-\010\013-\037\177]')
bad_c1=$(printf '\302[\200-\237]')
bad_bidi=$(printf '\342\200[\216\217\252-\256]')
bad_isolate=$(printf '\342\201[\246-\251]')
bad_alm=$(printf '\330\234')

# safe NAME FILE: FILE (a command's output) holds none of the bytes a
# terminal acts on, and is valid UTF-8.
safe() {
  found=""
  for re in "$bad_c0" "$bad_c1" "$bad_bidi" "$bad_isolate" "$bad_alm"; do
    if LC_ALL=C grep -a -q "$re" "$2"; then
      found="$found $(LC_ALL=C grep -a -o "$re" "$2" | head -1 | od -An -tx1 | tr -d ' ')"
    fi
  done
  if ! iconv -f UTF-8 -t UTF-8 < "$2" > /dev/null 2>&1; then
    found="$found invalid-UTF-8"
  fi
  is "$found" "" "$1: no control, bidi or invalid byte reaches the terminal"
}

# run NAME ARGS...: madoguchi ARGS into $TEST_HOME/NAME.out (stderr
# appended: it reaches the terminal too), then safe.
run() {
  r_name=$1
  shift
  "$MADOGUCHI" "$@" < /dev/null > "$TEST_HOME/$r_name.out" 2>&1
  r_rc=$?
  is "$r_rc" 0 "$r_name exits 0"
  safe "$r_name" "$TEST_HOME/$r_name.out"
}

run show-issue show "$n1"
run show show "$n2"
run show-json show --json "$n2"
run show-issue-json show --json "$n1"
run list list
run list-json list --json
run list-csv list --format csv
run export export
run export-csv export --format csv
run extract extract "$TEST_HOME/encoded.eml"
run extract-json extract --json "$TEST_HOME/encoded.eml"
run classify classify "$TEST_HOME/encoded.eml"
run classify-json classify --json "$TEST_HOME/encoded.eml"
run incident-list incident list
run outbox-list outbox list --all
run outbox-pending outbox list
run show-failed show "$n3"
run stats stats
run stats-csv stats --format csv
run stats-json stats --json

MADOGUCHI_CONFIG="$TEST_HOME/sendmail.conf" "$MADOGUCHI" outbox flush \
  < /dev/null > "$TEST_HOME/flush.out" 2>&1
is "$?" 75 "outbox flush: the refused acknowledgement fails again"
safe "outbox flush" "$TEST_HOME/flush.out"

# --- shown, not dropped ------------------------------------------------------

out=$(cat "$TEST_HOME/show-issue.out")
contains "$out" 'body ^[]52;c;cHduZWQ=^G ^[[1A^[[2K' \
  "show: the issue's escapes are shown in caret notation"
# Decoding a header already makes its C0 controls spaces (charset.c: a
# header is one line); C1 controls and bidi characters get through it.
out=$(cat "$TEST_HOME/show.out")
contains "$out" 'scan  ]0;pwned  from <U+202E>gpj.exe' \
  "show: the Subject's override is shown"
contains "$out" 'Ad [8mmin <U+009B>2J <U+2066>x' \
  "show: the From's display name is shown with its C1 and isolate"
contains "$out" 'Port scan from 192.0.2.1 <U+202E>txt.exe <U+200F> <U+061C>' \
  "show: bidi characters in the text are shown"
contains "$out" 'del ^? cr ' "show: DEL is shown"
contains "$out" '"]52;c;x evil<U+202E>fdp.exe", 3 bytes' \
  "show: an attachment's name is shown with its override, quotes closed"
contains "$out" '"a\"b [2J.txt", 1 bytes' \
  "show: a quote in an attachment's name cannot close the quotes"
contains "$out" 'note ^[[2J<U+202E>' "show: an operator's note is made safe"
out=$(cat "$TEST_HOME/incident-list.out")
contains "$out" 'title ^[]0;t^G' "incident list: the title is made safe"
out=$(cat "$TEST_HOME/list.out")
contains "$out" 'scan  ]0;pwned  from <U+202E>gpj' \
  "list: the subject's override is shown in its column"
out=$(cat "$TEST_HOME/extract.out")
contains "$out" 'Subject: scan  ]0;pwned  from <U+202E>gpj.exe' \
  "extract: the Subject is made safe"

out=$(cat "$TEST_HOME/outbox-pending.out")
contains "$out" 'refused ^[[31m <U+202E>000' \
  "outbox list: a sendmail's error is shown with its escapes"
# Text is UTF-8 in both stores: the cut character's byte is kept as
# U+FFFD, on SQLite as on PostgreSQL.
contains "$out" "000$(printf '\357\277\275')" \
  "outbox list: a cut character is kept as U+FFFD"
out=$(cat "$TEST_HOME/flush.out")
contains "$out" 'refused ^[[31m <U+202E>000' \
  "outbox flush: a sendmail's error is shown with its escapes"

# JSON keeps the text, escaped.
out=$(cat "$TEST_HOME/show-json.out")
contains "$out" 'scan  ]0;pwned  from \u202egpj.exe' \
  "show --json: U+202E is escaped"
contains "$out" 'Ad [8mmin \u009b2J \u2066x' \
  "show --json: C1 and isolates are escaped"
contains "$out" 'txt.exe \u200f \u061c' "show --json: bidi marks are escaped"
contains "$out" 'del \u007f' "show --json: DEL is escaped"
contains "$out" '"new":"note \u001b[2J\u202e"' \
  "show --json: ESC in an operator's note is escaped"
out=$(cat "$TEST_HOME/show-issue-json.out")
contains "$out" 'body \u001b]52;c;cHduZWQ=\u0007 \u001b[1A\u001b[2K' \
  "show --json: the issue's escapes are escaped"
out=$(cat "$TEST_HOME/list-csv.out")
contains "$out" 'scan  ]0;pwned  from <U+202E>gpj.exe' \
  "list --format csv: the override is shown"
out=$(cat "$TEST_HOME/export-csv.out")
contains "$out" '<U+202E>' "export --format csv: the override is shown"

# --raw is the evidence, byte for byte: it keeps them.
"$MADOGUCHI" show --raw "$n1" > "$TEST_HOME/raw.out"
cmp -s "$TEST_HOME/raw.out" "$TEST_HOME/issue.eml"
ok $? "show --raw still prints the message exactly as received"
ok $(LC_ALL=C grep -q "$ESC" "$TEST_HOME/raw.out"; echo $?) \
  "show --raw keeps the ESC (it is the evidence, asked for by name)"

done_testing
