#!/bin/sh
# Configuration: errors name file and line; deliver tempfails on them
# (Postfix bounces EX_CONFIG); `config` prints the effective values.
. "$(dirname "$0")/lib.sh"

printf '[madoguchi]\ntag = CERT\n\nbogus_key = 1\n' > "$TEST_HOME/bad.conf"
MADOGUCHI_CONFIG="$TEST_HOME/bad.conf" "$MADOGUCHI" list 2>"$TEST_HOME/err"
is $? 78 "an unknown key is EX_CONFIG for operator commands"
is "$(cat "$TEST_HOME/err")" "madoguchi: $TEST_HOME/bad.conf:4: unknown key \"bogus_key\" in [madoguchi]" \
  "the error names file, line and key"

MADOGUCHI_CONFIG="$TEST_HOME/bad.conf" "$MADOGUCHI" deliver \
  < "$TEST_DATA_DIR/plain-english.eml" 2>"$TEST_HOME/err"
is $? 75 "deliver tempfails on a config error, so the MTA keeps the mail"
is "$(files_in "$MADOGUCHI_HOME/spool")" 0 "nothing was spooled"

"$MADOGUCHI" -c "$TEST_HOME/missing.conf" deliver < "$TEST_DATA_DIR/plain-english.eml" 2>/dev/null
is $? 75 "deliver tempfails on a missing -c file"

printf '[madoguchi]\nmax_mime_depth = 100000\n' > "$TEST_HOME/range.conf"
MADOGUCHI_CONFIG="$TEST_HOME/range.conf" "$MADOGUCHI" config 2>"$TEST_HOME/err"
is $? 78 "an out-of-range value is an error"
contains "$(cat "$TEST_HOME/err")" "range.conf:2: bad value for max_mime_depth" "naming the key"

"$MADOGUCHI" deliver --bogus-option < "$TEST_DATA_DIR/plain-english.eml" 2>/dev/null
is $? 75 "deliver tempfails on a bad option too"

printf '[madoguchi]\ntag = CERT\nmax_message_size = 1M\n' > "$TEST_HOME/good.conf"
out=$(MADOGUCHI_CONFIG="$TEST_HOME/good.conf" "$MADOGUCHI" config)
contains "$out" "tag = CERT" "config prints the file's values"
contains "$out" "max_message_size = 1048576" "sizes are shown in bytes"
contains "$out" "data_dir = $MADOGUCHI_HOME" "MADOGUCHI_HOME sets data_dir"
contains "$out" "from $TEST_HOME/good.conf" "and where they came from"

MADOGUCHI_CONFIG="$TEST_HOME/good.conf" "$MADOGUCHI" deliver < "$TEST_DATA_DIR/iso2022jp.eml"
num=$(sql "SELECT number FROM ticket")
contains "$(MADOGUCHI_CONFIG="$TEST_HOME/good.conf" "$MADOGUCHI" show "$num")" "[CERT #$num/" "show uses the configured tag"

# Truncation: a message past max_message_size is filed, flagged, not lost.
{ sed '/^$/q' "$TEST_DATA_DIR/plain-english.eml" | sed 's/^Message-ID: .*/Message-ID: <big@example.net>/'
  head -c 1200000 /dev/zero | tr '\0' 'x' | fold -w 76; } > "$TEST_HOME/big.eml"
MADOGUCHI_CONFIG="$TEST_HOME/good.conf" "$MADOGUCHI" deliver < "$TEST_HOME/big.eml"
is $? 0 "an oversized message is accepted"
is "$(sql "SELECT flags FROM message WHERE message_id = 'big@example.net'")" "truncated" "and flagged truncated"
is "$(sql "SELECT sum(length(bytes)) FROM message_raw WHERE message_id = (SELECT id FROM message WHERE message_id = 'big@example.net')")" 1048576 "its first max_message_size bytes are kept"
is "$(sql "SELECT size FROM message WHERE message_id = 'big@example.net'")" "$(wc -c < "$TEST_HOME/big.eml" | tr -d ' ')" "its real size is recorded"

"$MADOGUCHI" frobnicate 2>/dev/null
is $? 64 "an unknown command is EX_USAGE"

done_testing
