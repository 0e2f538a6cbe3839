#!/bin/sh
# hostile: mail built to hurt the parser, the charset code and the rules
# (deep nesting, huge counts, 1 MB header lines, catastrophic-backtracking
# candidates for the default rules, invalid UTF-8, NUL bytes, a 100 MB
# message) is filed like any other, within bounded time and memory.
#
# Every message is generated on the fly into $TEST_HOME by hostile-lib.sh
# (the 100 MB one is streamed into deliver and never stored by the test)
# and delivered into a fresh MADOGUCHI_HOME of its own, with the default
# configuration (max_message_size 64M, max_mime_depth 32, max_mime_parts
# 1000, max_part_text 8M, max_scan_text 32M, max_indicators 10000).
# For each case:
#   - deliver exits 0 within 60 s (30 s for the redos-* cases, which
#     normally take under 1 s): `timeout` stops it, and a hang fails;
#   - memory is bounded with `ulimit -v` (skipped under ASan, whose
#     shadow memory reserves terabytes of address space); the bombs
#     GMime used to build whole (parts-3m, folded-2m, headers-500k: 3.8
#     GB, 510 MB, 334 MB) get 128 MiB of address space, so that a build
#     of the whole tree aborts instead of being filed;
#   - exactly one ticket is filed, and nothing is left in the spool.
#     Every case here can be filed: none is expected to stay in
#     spool/new.  When filing fails anyway, a second assertion says
#     whether the message is at least safe in spool/new (not lost);
#   - the expected flags are in message.flags;
#   - the raw bytes are kept: length(raw) = min(size, max_message_size),
#     size is what was sent, and a stored input is kept byte for byte;
#   - the decoded subject and text are valid UTF-8.
# The wall time and peak RSS of each delivery are printed as TAP comments.
dir=$(dirname "$0")
. "$dir/lib.sh"
. "$dir/hostile-lib.sh"
case ${TEST_HOME:-} in
  */madoguchi-test.*) ;;
  *) echo "Bail out! TEST_HOME is '${TEST_HOME:-}'"; exit 1 ;;
esac

max_size=67108864   # the default max_message_size, 64M
limit_s=60          # generous: every case takes a few seconds at most
redos_limit_s=30    # the redos-* cases take well under 1 s each; 30 s
                    # keeps a run with several hangs within ctest's 300 s
vlimit_big=1572864  # KB of address space (ulimit -v) for the big cases
vlimit=786432       #   and for the others
vlimit_bomb=131072  #   and for the bombs: 128 MiB
if hostile_is_asan; then
  # ASan: no ulimit -v, and smaller volumes (see hostile_asan_shrink).
  vlimit_big=
  vlimit=
  vlimit_bomb=
  hostile_asan_shrink
  echo "# AddressSanitizer build: no ulimit -v, volumes shrunk"
fi
[ -n "$h_time" ] || echo "# /usr/bin/time not found: no peak RSS figures"

# expect_flags CASE: the flags CASE must have (comma-separated, each
# checked on its own; "" when none is expected).
expect_flags() {
  case $1 in
    deep-multipart|deep-rfc822) echo depth-limit ;;
    many-parts|parts-3m) echo parts-limit ;;
    folded-2m|headers-500k) echo header-limit ;;
    ip-tokens)                               # 14 MB > max_part_text 8M
      [ "$h_size" -gt 8388608 ] && echo text-limit ;;  # (not under ASan)
    bad-utf8|bogus-charsets) echo charset ;;
    from-line-only) echo empty,no-headers ;;
    base64-100m) echo truncated ;;
    gzip-bomb) echo nul-bytes ;;             # the gzip stream has NULs
    nul-everywhere) echo nul-bytes ;;
    *) echo ;;
  esac
}

# db QUERY: a query on the current case's database.
db() {
  sqlite "$MADOGUCHI_HOME/madoguchi.db" "$1" 2>&1
}

run_case() {
  c=$1
  cdir=$TEST_HOME/cases/$c
  v=$vlimit
  hostile_big "$c" && v=$vlimit_big
  hostile_bomb "$c" && v=$vlimit_bomb
  s=$limit_s
  case $c in redos-*) s=$redos_limit_s ;; esac
  hostile_run "$c" "$cdir" "$v" "$s"
  if [ "$h_rss" = - ]; then echo "# $c: $h_secs s"; else echo "# $c: $h_secs s, $h_rss KB"; fi

  case $h_rc in
    0) ok 0 "$c: deliver exits 0" ;;
    124|137) ok 1 "$c: deliver exits 0 (killed after $s s: a hang)" ;;
    *) ok 1 "$c: deliver exits 0 (exit $h_rc)" ;;
  esac
  if [ "$h_rc" -ne 0 ] && [ -s "$cdir/stderr" ]; then
    head -c 2000 "$cdir/stderr" | sed 's/^/#   stderr: /'
  fi

  tickets=$(db "SELECT COUNT(*) FROM ticket")
  messages=$(db "SELECT COUNT(*) FROM message")
  spooled=$(files_in "$MADOGUCHI_HOME/spool/new")
  is "$tickets/$messages" 1/1 "$c: filed as exactly one ticket"
  if [ "$tickets" = 1 ]; then
    is "$spooled/$(files_in "$MADOGUCHI_HOME/spool/tmp")" 0/0 \
      "$c: nothing left in spool/new or spool/tmp"
  else
    is "$spooled" 1 "$c: not filed, but safe in spool/new"
    echo "#   $c: NOT FILED; spool/new holds $spooled file(s)"
  fi
  [ "$tickets" = 1 ] || return 0

  flags=$(db "SELECT flags FROM message")
  echo "#   flags: ${flags:-(none)}"
  for f in $(expect_flags "$c" | tr ',' ' '); do
    case ",$flags," in
      *",$f,"*) ok 0 "$c: flagged $f" ;;
      *) ok 1 "$c: flagged $f"; echo "#   flags: '$flags'" ;;
    esac
  done

  is "$(db "SELECT size FROM message")" "$h_size" "$c: size is the bytes sent"
  keep=$h_size
  [ "$keep" -gt "$max_size" ] && keep=$max_size
  is "$(db "SELECT sum(length(bytes)) FROM message_raw")" "$keep" \
    "$c: length(raw) = min(size, max_message_size)"
  if [ -n "$h_input" ]; then
    "$MADOGUCHI" show --raw "$(db "SELECT number FROM ticket")" > "$cdir/raw.out"
    cmp -s "$cdir/raw.out" "$h_input"
    ok $? "$c: the raw bytes are kept verbatim"
    rm -f "$cdir/raw.out"
  fi

  db "SELECT subject FROM message; SELECT text FROM message;" \
    | iconv -f UTF-8 -t UTF-8 > /dev/null 2>&1
  ok $? "$c: decoded subject and text are valid UTF-8"

  case $c in
    redos-*) is "${flags:-none}" none "$c: no flags (plain valid text)" ;;
  esac
  check=check_$(echo "$c" | tr '-' '_')
  if command -v "$check" > /dev/null 2>&1; then "$check"; fi
  return 0
}

# --- what some cases must show besides ----------------------------------

check_ip_tokens() {
  is "$(db "SELECT indicators_dropped > 0 FROM message")" 1 \
    "ip-tokens: indicators past max_indicators are counted as dropped"
  n=$(db "SELECT COUNT(*) FROM indicator")
  [ "$n" -gt 0 ] && [ "$n" -le 10000 ]
  ok $? "ip-tokens: 1..10000 indicators kept (got $n)"
  contains "$("$MADOGUCHI" show "$(db "SELECT number FROM ticket")")" \
    "Not kept:   $(db "SELECT indicators_dropped FROM message") indicators, 0 event times" \
    "ip-tokens: show says how many indicators were not kept"
}

check_many_times() {
  is "$(db "SELECT COUNT(*) FROM timestamp")" 10000 \
    "many-times: max_timestamps (10000) event times kept"
  is "$(db "SELECT timestamps_dropped FROM message")" $((h_times - 10000)) \
    "many-times: the rest counted as dropped"
  last=$((h_times - 1))
  is "$(db "SELECT min(original) || ' ' || max(original) FROM timestamp")" \
    "2026-11-01 00:00:00 $(printf '2026-11-%02d %02d:%02d:%02d' \
      $((1 + last / 86400)) $((last / 3600 % 24)) $((last / 60 % 60)) \
      $((last % 60)))" \
    "many-times: the earliest and the latest are kept"
  contains "$("$MADOGUCHI" show "$(db "SELECT number FROM ticket")")" \
    "Not kept:   0 indicators, $((h_times - 10000)) event times" \
    "many-times: show says how many event times were not kept"
}

check_long_subject() {
  contains "$(db "SELECT substr(subject, 1, 60) FROM message")" \
    "port scan from 192.0.2.9" "long-subject: the Subject is decoded and kept"
}

# boundary="" is not a valid boundary (RFC 2046: 1 to 70 characters);
# GMime reads the parts anyway and nothing is flagged.  What matters is
# that both parts are read.
check_empty_boundary() {
  text=$(db "SELECT text FROM message")
  contains "$text" "first 192.0.2.11" "empty-boundary: the first part is read"
  contains "$text" "second" "empty-boundary: the second part is read"
}

# Headers without a body (or the blank line) are a valid message (RFC
# 5322, section 3.5); GMime warns and madoguchi flags it malformed, which
# is harmless and not asserted either way.
check_headers_only() {
  is "$(db "SELECT subject || ' ' || message_id FROM message")" \
    "hostile headers-only headers-only@hostile.example.net" \
    "headers-only: the headers are read"
  case ",$flags," in
    *,empty,*|*,no-headers,*) ok 1 "headers-only: not flagged empty/no-headers" ;;
    *) ok 0 "headers-only: not flagged empty/no-headers" ;;
  esac
}

check_from_line_only() {
  is "$flags" "empty,no-headers" "from-line-only: flags are exactly empty,no-headers"
  is "$(db "SELECT envelope_from FROM message")" "hostile@example.net" \
    "from-line-only: the From_ line gives the envelope sender"
}

check_encoded_words() {
  is "$(db "SELECT length(subject) || ' ' || length(replace(subject, 'a', '')) FROM message")" \
    "$h_ewords 0" "encoded-words: $h_ewords encoded-words decode to as many letters"
}

check_many_headers() {
  is "$(db "SELECT subject FROM message")" "hostile many-headers" \
    "many-headers: the Subject is found among them"
}

# The bombs are filed degraded: GMime is given what is within the
# limits (mime-scan.h), the rest stays in the raw bytes only.
check_parts_3m() {
  is "$(db "SELECT subject FROM message")" p \
    "parts-3m: the headers are read"
}

check_folded_2m() {
  subject=$(db "SELECT substr(subject, 1, 30) || ' ' || length(subject) FROM message")
  case $subject in
    folded*abc*abc*abc*) ok 0 "folded-2m: the Subject's first words are kept" ;;
    *) ok 1 "folded-2m: the Subject's first words are kept"; echo "#   got: $subject" ;;
  esac
  n=${subject##* }
  [ "$n" -lt 2000000 ] && [ "$n" -gt 100000 ]
  ok $? "folded-2m: the Subject is cut, not dropped (length $n)"
  contains "$(db "SELECT text FROM message")" "folded 2000000 times" \
    "folded-2m: the body after the cut header is read"
}

check_headers_500k() {
  is "$(db "SELECT subject FROM message")" "hostile headers-500k" \
    "headers-500k: the Subject (before the limit) is found"
  contains "$(db "SELECT text FROM message")" "192.0.2.13" \
    "headers-500k: the body after the left-out headers is read"
  is "$(db "SELECT COUNT(*) FROM indicator WHERE value = '192.0.2.13'")" 1 \
    "headers-500k: its evidence is extracted"
}

# --- run ------------------------------------------------------------------

for c in $(hostile_cases); do
  run_case "$c"
  # Keep $TEST_HOME small: the 64 MB database of base64-100m and the
  # generated inputs are not needed once checked (KEEP_TEST_HOME keeps
  # them for a look).
  if [ -z "${KEEP_TEST_HOME:-}" ] && [ -n "$c" ] && [ -d "$TEST_HOME/cases/$c" ]; then
    remove_home "${TEST_HOME:?}/cases/${c:?}"
  fi
done

# --- issue 16, items 3 and 8: encoded-words (self-contained block) --------
# charset-cycle (hostile-lib.sh): filed, flagged decode-limit, the start of
# its Subject decoded and the rest kept as it came.  msgid-injection: ids
# are kept only where they are msg-ids, literally (never RFC 2047-decoded),
# the acknowledgement's In-Reply-To is a clean <id> and no Bcc reaches it,
# and show closes the quotes of an attachment name.
hostile_is_asan && h_cycle=27000

check_charset_cycle() {
  case ",$flags," in
    *,decode-limit,*) ok 0 "charset-cycle: flagged decode-limit" ;;
    *) ok 1 "charset-cycle: flagged decode-limit" ;;
  esac
  is "$(db "SELECT substr(subject, 1, 1) FROM message")" "あ" \
    "charset-cycle: the first encoded-word is decoded"
  contains "$(db "SELECT substr(subject, -100) FROM message")" \
    "=?utf-32?B?GyRCJCIbKEI=?=" \
    "charset-cycle: the rest of the Subject is kept as it came"
}

check_msgid_injection() {
  id='a=?utf-8?Q?=0D=0ABcc=3A_victim2=40evil.example?=@x.example'
  is "$(db "SELECT message_id FROM message")" "$id" \
    "msgid-injection: the Message-ID is kept literally, not decoded"
  is "$(db "SELECT in_reply_to || '|' || refs FROM message")" \
    "r1@x.example|r0@x.example" \
    "msgid-injection: In-Reply-To and References keep only msg-ids"
  ack=$(cat "$MADOGUCHI_HOME"/outbox/new/* 2>/dev/null | tr -d '\r')
  is "$(printf '%s\n' "$ack" | grep '^In-Reply-To:')" "In-Reply-To: <$id>" \
    "msgid-injection: the acknowledgement's In-Reply-To is a clean <id>"
  if printf '%s\n' "$ack" | grep -qi '^bcc:'; then
    ok 1 "msgid-injection: no Bcc line in the acknowledgement"
  else
    ok 0 "msgid-injection: no Bcc line in the acknowledgement"
  fi
  contains "$("$MADOGUCHI" show "$(db "SELECT number FROM ticket")")" \
    '"../../../../../tmp/x", 5 bytes' \
    "msgid-injection: show closes the quotes of an attachment name"
}

for c in charset-cycle msgid-injection; do
  run_case "$c"
  if [ -z "${KEEP_TEST_HOME:-}" ] && [ -d "$TEST_HOME/cases/$c" ]; then
    remove_home "${TEST_HOME:?}/cases/${c:?}"
  fi
done

done_testing
