#!/bin/sh
# t110-mta-ack.sh - acknowledgements through a real Postfix: a report
# comes in over SMTP, madoguchi files it and answers, Postfix delivers the
# answer to the reporter's mailbox; and the loops an auto-reply can start
# (out-of-office responders, bounces, our own address, mailing lists, a
# flood from one sender) stay closed.
#
# The Postfix instance is private, as in t080-postfix.sh (read its header
# for why `postfix -c DIR` needs no change to /etc/postfix/main.cf): it
# lives under $TEST_HOME/postfix, the system's Postfix is neither read for
# settings, started nor stopped, and its main.cf changes only for the
# while of the test, in alternate_config_directories (below: it lets the
# delivery user run sendmail -C on the instance).  Unlike t080 it has an SMTP
# listener, smtpd on 127.0.0.1:PORT only, PORT a free high port chosen at
# run time.  mydestination holds cert.example.test (the team) and
# reporter.example.test (the reporters); nothing else is deliverable:
# default_transport and relay_transport are error:, master.cf has no smtp
# or lmtp client at all, and smtpd refuses to relay.
#
#   info@:    the madoguchi pipe(8) transport of debian/README.Debian's
#             recipe, which configures the instance (pf_recipe, as in t080)
#   reporter: $TEST_HOME/mail/reporter/Maildir/      (and others like it)
#   ooo:      a Maildir, and "|responder quote"     (a bad out-of-office)
#   away:     a Maildir, and "|responder plain"     (a worse one)
#   ghost:    no such user: mail to it bounces in local(8)
#
# pipe(8) runs madoguchi as the recipe's user= (nobody here), local(8) the
# alias commands and the Maildir deliveries as default_privs (nobody); the
# test runs its madoguchi commands as nobody too.  Reports come in over
# SMTP, where smtpd checks the recipe's local_recipient_maps: info@ must
# be accepted, an unknown address refused with 550 5.1.1.
#
# How the acknowledgements reach Postfix: through Postfix's own
# `sendmail -C $CONF`, run as nobody, which pf_allow_sendmail permits
# (alternate_config_directories in the system's main.cf, removed again
# on exit: see postfix-lib.sh).  sendmail_command is bin/sendmail-log, a
# wrapper that accepts exactly the arguments madoguchi documents,
# `-i -f <> -- RECIPIENT`, logs them, fails with 64 on anything else (so
# the calling convention is under test), and runs that sendmail.  The
# procmail part (section 5) runs as root, with `sendmail -C $CONF` itself.
#
# Needs root, Postfix, swaks (Debian package swaks), Perl with
# MIME::Base64 and Encode (perl), setpriv; prints "1..0 # SKIP" otherwise.
# procmail is optional (section 5 is skipped without it), so is the
# sqlite3 CLI (a few checks).  Every wait is a poll with a deadline.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/postfix-lib.sh"

command -v swaks >/dev/null 2>&1 || skip_all "swaks is not installed"
command -v perl >/dev/null 2>&1 || skip_all "perl is not installed"
perl -MMIME::Base64 -MEncode -e 1 2>/dev/null \
  || skip_all "perl lacks MIME::Base64 or Encode"

SWAKS=$(command -v swaks)
PERL=$(command -v perl)
MAILROOT=$TEST_HOME/mail
SUBMIT_LOG=$TEST_HOME/log/sendmail-log.log
RESPONDER_LOG=$TEST_HOME/log/responder.log
t_start=$(date +%s)
[ -n "${KEEP_TEST_HOME:-}" ] && echo "# TEST_HOME=$TEST_HOME"

diag_file() {
  echo "# --- $1 ---"
  sed 's/^/#   /' "$1" 2>/dev/null | head -"${2:-40}"
}

# --- the madoguchi side ----------------------------------------------------

umask 022
chmod 0711 "$TEST_HOME"
mkdir -p "$TEST_HOME/bin" "$TEST_HOME/log" "$MADOGUCHI_HOME" "$MAILROOT"
chmod 0755 "$TEST_HOME/bin"
chown "$RUN_USER:$RUN_GROUP" "$MADOGUCHI_HOME" "$TEST_HOME/log" "$MAILROOT"

# Every madoguchi run of this test (the transport, procmail, the checks) uses a
# copy of the binary and of the rules: the pipe runs as nobody, who may not
# reach the build tree, and a rebuild of the tree while the test runs
# (the linker leaves the binary unexecutable for a moment) must not bounce
# a report.  Outside its build directory madoguchi no longer finds the
# source tree's rules by itself, so the configurations name rules_dir.
RULES_SRC=$(dirname "$TEST_DATA_DIR")/../rules
[ -f "$RULES_SRC/ack-en.txt" ] || skip_all "no rules/ next to $TEST_DATA_DIR"
mkdir -p "$TEST_HOME/rules"
cp "$RULES_SRC"/* "$TEST_HOME/rules/"
chmod 0755 "$TEST_HOME/rules"
chmod 0644 "$TEST_HOME/rules"/*
cp "$MADOGUCHI" "$TEST_HOME/bin/madoguchi"
chmod 0755 "$TEST_HOME/bin/madoguchi"
ALIAS_CMD=$TEST_HOME/bin/madoguchi

# A free port on 127.0.0.1, from the kernel (there is a window between
# this and master's bind; start-up retries with another port).
free_port() {
  "$PERL" -MIO::Socket::INET -e '
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1",
                                  LocalPort => 0, ReuseAddr => 0) or exit 1;
    print $s->sockport, "\n";'
}
PORT=$(free_port)
[ -n "$PORT" ] || skip_all "cannot find a free TCP port on 127.0.0.1"

MADOGUCHI_CONFIG=$TEST_HOME/madoguchi.conf
export MADOGUCHI_CONFIG
# ack_rate_hour is left at its default (5): section 4e relies on it.
cat > "$MADOGUCHI_CONFIG" <<EOF
[madoguchi]
team_address = info@cert.example.test
team_name = Example CERT
tag = IR
rules_dir = $TEST_HOME/rules
sendmail_command = $TEST_HOME/bin/sendmail-log
EOF
chmod 0644 "$MADOGUCHI_CONFIG"

# madoguchi's sendmail_command (see the header).  PORT is read from a
# file so that a start-up retry can change it (the responder reads it).
echo "$PORT" > "$TEST_HOME/port"
chmod 0644 "$TEST_HOME/port"
cat > "$TEST_HOME/bin/sendmail-log" <<EOF
#!/bin/sh
# sendmail-log -i -f <> -- RECIPIENT: log the arguments, then submit
# stdin with the private instance's sendmail.
printf '%s\n' "\$*" >> '$SUBMIT_LOG'
if [ \$# -ne 5 ] || [ "\$1" != -i ] || [ "\$2" != -f ] || [ "\$3" != '<>' ] \\
   || [ "\$4" != -- ]; then
  echo "sendmail-log: unexpected arguments: \$*" >&2
  exit 64
fi
case \$5 in
  *@*) ;;
  *) echo "sendmail-log: not an address: \$5" >&2; exit 64 ;;
esac
exec $(postconf -d -h sendmail_path) -C '$CONF' "\$@"
EOF
chmod 0755 "$TEST_HOME/bin/sendmail-log"
pf_allow_sendmail || skip_all "no /etc/postfix/main.cf to allow sendmail -C in"
: > "$SUBMIT_LOG"
: > "$RESPONDER_LOG"
chown "$RUN_USER:$RUN_GROUP" "$SUBMIT_LOG" "$RESPONDER_LOG"

# A badly behaved out-of-office responder, run by local(8) for ooo@ and
# away@: it answers every message, to its Reply-To or From (never looking
# at the null envelope sender, Auto-Submitted, Precedence or X-Loop), from
# its own address, with no Auto-Submitted header of its own.  "quote"
# writes "Subject: Out of office: <original subject>"; "plain" writes just
# "Subject: Out of office" (no tag, no In-Reply-To: nothing to thread on).
# It stops after 12 answers so that a failing test cannot loop for ever.
cat > "$TEST_HOME/bin/responder" <<EOF
#!/bin/sh
mode=\$1
me=\$2
msg=\$(mktemp '$TEST_HOME/log/responder-in.XXXXXX') || exit 75
cat > "\$msg"
[ "\$(wc -l < '$RESPONDER_LOG')" -ge 12 ] && { rm -f "\$msg"; exit 0; }
header() {
  awk -v want="\$1" '
    function flush() {
      if (!done && cur != "") {
        n = index(cur, ":")
        if (n > 0 && tolower(substr(cur, 1, n - 1)) == tolower(want)) {
          v = substr(cur, n + 1); sub(/^[ \t]+/, "", v); print v; done = 1
        }
      }
    }
    { sub(/\r\$/, "") }
    /^\$/ { flush(); exit }
    /^[ \t]/ { sub(/^[ \t]+/, " "); cur = cur \$0; next }
    { flush(); cur = \$0 }
    END { flush() }' "\$msg"
}
to=\$(header Reply-To)
[ -n "\$to" ] || to=\$(header From)
case \$to in *"<"*) to=\$(printf '%s\n' "\$to" | sed 's/.*<\([^>]*\)>.*/\1/') ;; esac
subject=\$(header Subject)
if [ "\$mode" = quote ]; then
  reply="Out of office: \$subject"
else
  reply="Out of office"
fi
echo "\$me -> \$to: \$reply" >> '$RESPONDER_LOG'
rm -f "\$msg"
'$SWAKS' --server 127.0.0.1:\$(cat '$TEST_HOME/port') --silent 2 \\
  --helo reporter.example.test --from "\$me" --to "\$to" \\
  --header "Subject: \$reply" \\
  --body "I am out of the office until Monday and will read your mail then." \\
  >/dev/null 2>> '$TEST_HOME/log/responder.err'
exit 0
EOF
chmod 0755 "$TEST_HOME/bin/responder"

# Every madoguchi command of this test runs as the delivery user (see
# t080 for why root must not open the database during deliveries).
MADOGUCHI=$(as_user_wrapper "$ALIAS_CMD")

"$MADOGUCHI" init >/dev/null
ok $? "madoguchi init, as $RUN_USER"

# --- the private Postfix instance, with smtpd on 127.0.0.1:PORT ------------

mkdir -p "$CONF" "$PF/queue"

for box in reporter yamada ooo away flood member own pmreporter postmaster; do
  mkdir -p "$MAILROOT/$box"
  chown "$RUN_USER:$RUN_GROUP" "$MAILROOT/$box"
done

write_main_cf() {
  pf_main_cf t110-mta-ack.sh "cert.example.test, reporter.example.test" \
    "default_privs = $RUN_USER" "mynetworks = 127.0.0.1/32" \
    "smtpd_relay_restrictions = reject_unauth_destination" \
    "smtpd_peername_lookup = no" \
    'smtpd_banner = $myhostname ESMTP private test instance'
}

write_master_cf() {
  {
    master_cf_services
    echo "127.0.0.1:$PORT inet n  -       n       -       -       smtpd"
    echo "anvil     unix  -       -       n       -       1       anvil"
  } > "$CONF/master.cf"
}

cat > "$CONF/aliases" <<EOF
postmaster: $MAILROOT/postmaster/Maildir/
reporter: $MAILROOT/reporter/Maildir/
yamada: $MAILROOT/yamada/Maildir/
flood: $MAILROOT/flood/Maildir/
member: $MAILROOT/member/Maildir/
pmreporter: $MAILROOT/pmreporter/Maildir/
ooo: $MAILROOT/ooo/Maildir/, "|$TEST_HOME/bin/responder quote ooo@reporter.example.test"
away: $MAILROOT/away/Maildir/, "|$TEST_HOME/bin/responder plain away@reporter.example.test"
EOF
postalias "$CONF/aliases"
ok $? "postalias builds the private aliases database"

write_main_cf
write_master_cf
postfix -c "$CONF" check
ok $? "postfix check accepts the private instance"

# Start; should another process take PORT first, try a fresh port.
pf_started=1
rc=1
for _ in 1 2 3; do
  postfix -c "$CONF" start >/dev/null 2>&1 && { rc=0; break; }
  postfix -c "$CONF" stop >/dev/null 2>&1
  PORT=$(free_port)
  echo "$PORT" > "$TEST_HOME/port"
  write_master_cf
done
ok $rc "private Postfix instance starts, smtpd on 127.0.0.1:$PORT"
[ $rc -eq 0 ] || bail "Postfix did not start"

pf_recipe "$(pf_env_wrapper "$ALIAS_CMD")" info@cert.example.test
rc=$?
ok $rc "the Postfix recipe of debian/README.Debian runs on the instance"
[ $rc -eq 0 ] || bail "the recipe failed"

# smtpd answers (master may still be settling in).
smtp_up() {
  "$SWAKS" --server "127.0.0.1:$PORT" --quit-after BANNER --silent 3 \
    >/dev/null 2>&1
}
wait_until 10 smtp_up
rc=$?
ok $rc "smtpd answers on 127.0.0.1:$PORT"
[ $rc -eq 0 ] || bail "no SMTP banner"
# The recipe's local_recipient_maps at work: smtpd knows info@ (every
# report below is accepted) and refuses what no table names.
out=$("$SWAKS" --server "127.0.0.1:$PORT" --quit-after RCPT \
  --from reporter@reporter.example.test --to nobody-here@cert.example.test 2>&1)
contains "$out" "550 5.1.1 <nobody-here@cert.example.test>: Recipient address rejected: User unknown in local recipient table" \
  "smtpd refuses an address of no table: 550 5.1.1 User unknown"
"$SWAKS" --server "127.0.0.1:$PORT" --quit-after RCPT --silent 2 \
  --from reporter@reporter.example.test --to info@cert.example.test >/dev/null 2>&1
ok $? "smtpd accepts RCPT TO:<info@cert.example.test> (the recipe's table)"
if command -v ss >/dev/null 2>&1; then
  is "$(ss -Hltn "sport = :$PORT" 2>/dev/null | awk '{print $4}' | sort -u | tr '\n' ' ')" \
    "127.0.0.1:$PORT " "the listener is bound to 127.0.0.1 only"
fi

SENDMAIL=$(postconf -c "$CONF" -h sendmail_path)

# --- helpers ------------------------------------------------------------------

# send FROM SUBJECT [SWAKS-ARGS...]: a report to info@ over SMTP.
send() {
  s_from=$1
  s_subject=$2
  shift 2
  "$SWAKS" --server "127.0.0.1:$PORT" --silent 2 --helo reporter.example.test \
    --from "$s_from" --to info@cert.example.test \
    --header "Subject: $s_subject" "$@" >/dev/null
}


# info_deliveries: messages local(8) handed to madoguchi so far.
info_deliveries() {
  grep -c 'to=<info@cert.example.test>.*status=sent (delivered via madoguchi service)' \
    "$MAILLOG" 2>/dev/null
}

# settled N: N messages delivered to madoguchi and the queue empty.
settled() {
  [ "$(info_deliveries)" = "$1" ] && queue_empty
}

# settle N WHAT: wait for settled N; one ok, with diagnostics on failure.
settle() {
  wait_until 20 settled "$1"
  s_rc=$?
  ok $s_rc "$2 (Postfix settled: $1 messages to madoguchi, queue empty)"
  if [ $s_rc -ne 0 ]; then
    echo "#   deliveries to madoguchi: $(info_deliveries)"
    diag_log
  fi
  return $s_rc
}

# mails BOX: the messages delivered into $MAILROOT/BOX/Maildir.
mails() {
  files_in "$MAILROOT/$1/Maildir/new"
}

mails_are() {
  [ "$(mails "$1")" = "$2" ]
}

# mail_file BOX [N]: the Nth delivered message (in delivery order).
mail_file() {
  ls -tr "$MAILROOT/$1/Maildir/new"/* 2>/dev/null | sed -n "${2:-1}p"
}

# header FILE NAME: the unfolded value of the first NAME header.
header() {
  awk -v want="$2" '
    function flush() {
      if (!done && cur != "") {
        n = index(cur, ":")
        if (n > 0 && tolower(substr(cur, 1, n - 1)) == tolower(want)) {
          v = substr(cur, n + 1); sub(/^[ \t]+/, "", v); print v; done = 1
        }
      }
    }
    { sub(/\r$/, "") }
    /^$/ { flush(); exit }
    /^[ \t]/ { sub(/^[ \t]+/, " "); cur = cur $0; next }
    { flush(); cur = $0 }
    END { flush() }' "$1"
}

# decode_words TEXT: RFC 2047 encoded-words decoded, as UTF-8.
decode_words() {
  "$PERL" -MEncode -e 'binmode STDOUT, ":encoding(UTF-8)";
    print decode("MIME-Header", $ARGV[0]), "\n"' "$1"
}

# body_text FILE: the body, base64-decoded when the message says so.
body_text() {
  if header "$1" Content-Transfer-Encoding | grep -qi base64; then
    sed '1,/^\r\{0,1\}$/d' "$1" | "$PERL" -MMIME::Base64 -e \
      'local $/; print decode_base64(<STDIN>)'
  else
    sed '1,/^\r\{0,1\}$/d' "$1"
  fi
}



# threads NUMBER: "thread|ack" of each message of the ticket, in order.
threads() {
  "$MADOGUCHI" show --json "${1:-none}" 2>/dev/null | sed 's/{"direction":/\
{"direction":/g' \
    | sed -n 's/^{"direction":.*"thread":"\([^"]*\)","ack":"\([^"]*\)".*/\1|\2/p'
}

# acks_to ADDRESS [STATE]: outbox entries for ADDRESS (in STATE).
acks_to() {
  "$MADOGUCHI" outbox list --all \
    | awk -v a="$1" -v s="${2:-}" '$7 == a && (s == "" || $5 == s)' \
    | wc -l | tr -d ' '
}

acks_total() {
  "$MADOGUCHI" outbox list --all | tail -n +2 | wc -l | tr -d ' '
}

# log_has FIXED-STRING: the maillog has a line with it (postlogd writes
# asynchronously: callers poll).
log_has() {
  grep -q -F -- "$1" "$MAILLOG" 2>/dev/null
}

have_sqlite=
command -v sqlite3 >/dev/null 2>&1 && have_sqlite=1
# sql QUERY: as the delivery user, on the main database (psql in the
# PostgreSQL pass).
sql() {
  if on_sqlite; then
    as_user sqlite3 -cmd ".timeout 10000" "$MADOGUCHI_HOME/madoguchi.db" "$1"
  else
    pg_psql "$MADOGUCHI_DATABASE" "$1"
  fi
}

# resync: the counters from what really happened, so that one failed
# section does not make every later wait time out.
resync() {
  deliveries=$(info_deliveries)
  tickets=$(count_tickets)
}

deliveries=0
tickets=0

# --- 1 and 2. a report over SMTP, its acknowledgement in the reporter's ----
#              mailbox

REPORT_ID=t110-report-1@reporter.example.test
send reporter@reporter.example.test 'Port scan from 192.0.2.45' \
  --header "Message-Id: <$REPORT_ID>" \
  --body 'Hello CERT,

192.0.2.45 scanned our network on 2026-11-24 between 03:12 and 03:14 UTC:

Nov 24 03:12:45 fw01 kernel: DROP IN=eth0 SRC=192.0.2.45 DST=198.51.100.10 PROTO=TCP SPT=40188 DPT=22
Nov 24 03:13:09 fw01 kernel: DROP IN=eth0 SRC=192.0.2.45 DST=198.51.100.11 PROTO=TCP SPT=40202 DPT=23

Regards,
Reporter'
ok $? "swaks: smtpd accepts the report from reporter@reporter.example.test"
deliveries=$((deliveries + 1))
tickets=$((tickets + 1))
settle "$deliveries" "the report reaches madoguchi" \
  || bail "the first report was not delivered"
is "$(count_tickets)" "$tickets" "the report is one ticket"
n1=$(ticket_number 'Port scan from 192.0.2.45')
[ -n "$n1" ]; ok $? "the ticket has the report's subject"
show=$("$MADOGUCHI" show --json "${n1:-none}" 2>&1)
contains "$show" '"envelope_from":"reporter@reporter.example.test"' \
  "envelope sender from the SMTP MAIL FROM"
contains "$show" "\"message_id\":\"$REPORT_ID\"" "Message-ID recorded"
contains "$show" '"value":"192.0.2.45"' "the scanning address is evidence"
is "$(threads "$n1")" "new|acknowledged" "show: thread new, acknowledged"
if [ -n "$have_sqlite" ]; then
  is "$(sql "SELECT COUNT(*) FROM ticket t JOIN message m ON m.ticket_id = t.id WHERE t.number = '${n1:-none}' AND m.message_id = '$REPORT_ID'")" \
    1 "sqlite: the ticket and its message are in the database"
fi
is "$(acks_to reporter@reporter.example.test sent)" 1 \
  "outbox: one acknowledgement, sent"
is "$(head -1 "$SUBMIT_LOG")" "-i -f <> -- reporter@reporter.example.test" \
  "sendmail_command was run as CMD -i -f <> -- RECIPIENT"

wait_until 20 mails_are reporter 1
ok $? "Postfix delivers the acknowledgement into the reporter's Maildir"
ack=$(mail_file reporter)
ack=${ack:-/nonexistent}
is "$(head -1 "$ack")" "Return-Path: <>" \
  "the acknowledgement's envelope sender was null (Return-Path: <>)"
is "$(header "$ack" Delivered-To)" reporter@reporter.example.test \
  "Delivered-To: the reporter"
contains "$(header "$ack" Received)" "by mail.cert.example.test (Postfix, from userid $(id -u "$RUN_USER"))" \
  "it travelled through the private Postfix, from sendmail run as $RUN_USER"
is "$(header "$ack" Auto-Submitted)" auto-replied "Auto-Submitted: auto-replied"
is "$(header "$ack" In-Reply-To)" "<$REPORT_ID>" "In-Reply-To: the report"
contains "$(header "$ack" References)" "<$REPORT_ID>" "References: the report"
is "$(header "$ack" X-Loop)" info@cert.example.test "X-Loop: our address"
contains "$(header "$ack" From)" "<info@cert.example.test>" \
  "From: the team address"
is "$(header "$ack" To)" reporter@reporter.example.test "To: the reporter"
subject=$(header "$ack" Subject)
tag=$(printf '%s\n' "$subject" | grep -o '\[IR #[0-9]\{4\}-[0-9]\{6\}/[0-9a-f]\{8\}\]' | head -1)
case $tag in
  "[IR #${n1:-none}/"*) ok 0 "Subject carries the ticket tag $tag" ;;
  *) ok 1 "Subject carries the ticket tag [IR #${n1:-none}/XXXXXXXX]"
     echo "#   Subject: $subject" ;;
esac
is "$subject" "Re: $tag Port scan from 192.0.2.45" \
  "Subject: Re: TAG and the report's subject"
contains "$(body_text "$ack")" "$tag" "the body names the tag"
grep -q -F 'DPT=22' "$ack"
is $? 1 "the acknowledgement does not echo the report's body"

# The Japanese report, as a Japanese mailer sends it (ISO-2022-JP), from
# a reporter of ours.
JA=$TEST_HOME/iso2022jp.eml
sed -e '/^Return-Path:/d' \
    -e 's/<yamada@example\.co\.jp>/<yamada@reporter.example.test>/' \
    -e 's/^To: .*/To: info@cert.example.test/' \
    "$TEST_DATA_DIR/iso2022jp.eml" > "$JA"
"$SWAKS" --server "127.0.0.1:$PORT" --silent 2 --helo reporter.example.test \
  --from yamada@reporter.example.test --to info@cert.example.test \
  --data "@$JA" >/dev/null
ok $? "swaks: smtpd accepts the ISO-2022-JP report"
deliveries=$((deliveries + 1))
tickets=$((tickets + 1))
settle "$deliveries" "the Japanese report reaches madoguchi"
n2=$(ticket_number '【報告】ポートスキャンについて')
[ -n "$n2" ]; ok $? "one ticket with the decoded Japanese subject"
contains "$("$MADOGUCHI" show --json "${n2:-none}" 2>&1)" '㈱エグザンプル' \
  "Japanese body decoded"
is "$(threads "$n2")" "new|acknowledged" "show: acknowledged"
wait_until 20 mails_are yamada 1
ok $? "the acknowledgement reaches yamada's Maildir"
ja_ack=$(mail_file yamada)
ja_ack=${ja_ack:-/nonexistent}
is "$(head -1 "$ja_ack")" "Return-Path: <>" "with a null envelope sender"
raw_subject=$(header "$ja_ack" Subject)
printf '%s\n' "$raw_subject" | LC_ALL=C grep -q '^[ -~]*$'
ok $? "the raw Subject is 7-bit (encoded-words)"
contains "$raw_subject" "=?" "the raw Subject has encoded-words"
ja_subject=$(decode_words "$raw_subject")
ja_tag=$(printf '%s\n' "$ja_subject" | grep -o '\[IR #[0-9]\{4\}-[0-9]\{6\}/[0-9a-f]\{8\}\]' | head -1)
is "$ja_subject" "Re: $ja_tag 【報告】ポートスキャンについて" \
  "the encoded Subject decodes to Re: TAG and the Japanese subject"
case $ja_tag in
  "[IR #${n2:-none}/"*) ok 0 "with the Japanese ticket's tag" ;;
  *) ok 1 "with the Japanese ticket's tag"; echo "#   $ja_subject" ;;
esac
is "$(header "$ja_ack" In-Reply-To)" "<20261124102130.4A7B.YAMADA@example.co.jp>" \
  "In-Reply-To: the Japanese report"
ja_body=$(body_text "$ja_ack")
contains "$ja_body" "以下の番号で登録いたしました" "the body is the Japanese template"
contains "$ja_body" "$ja_tag" "and names the tag"
resync

# --- 3. a follow-up with the tag: same ticket, no second acknowledgement ---

send reporter@reporter.example.test "Re: $tag Port scan from 192.0.2.45" \
  --header 'Message-Id: <t110-followup-1@reporter.example.test>' \
  --header "In-Reply-To: <$(header "$ack" Message-Id | tr -d '<>')>" \
  --body 'It went on until 03:30 UTC; 192.0.2.46 joined in.'
ok $? "swaks: smtpd accepts the follow-up"
deliveries=$((deliveries + 1))
settle "$deliveries" "the follow-up reaches madoguchi"
is "$(count_tickets)" "$tickets" "no new ticket for the follow-up"
is "$(threads "$n1")" "new|acknowledged
tag|a follow-up: no acknowledgement" \
  "threaded into the first ticket by its tag, not acknowledged"
is "$(acks_to reporter@reporter.example.test)" 1 \
  "still one acknowledgement for the reporter in the outbox"
is "$(mails reporter)" 1 "and one message in the reporter's Maildir"
resync

# --- 4a. a badly behaved out-of-office responder ----------------------------

# stable_after SECONDS: the counts of mail exchanged, then the same after
# SECONDS more (a loop would move them).
exchange_counts() {
  echo "madoguchi=$(info_deliveries) acks=$(acks_total) ooo=$(mails ooo)" \
    "away=$(mails away) responder=$(wc -l < "$RESPONDER_LOG" | tr -d ' ')"
}

send ooo@reporter.example.test 'Phishing page at 203.0.113.80' \
  --body 'A phishing page for our bank is hosted at http://203.0.113.80/login.'
ok $? "swaks: a report from ooo@ (its mailbox has an out-of-office responder)"
# The report, then the responder's "Out of office: Re: [IR ...]".
deliveries=$((deliveries + 2))
tickets=$((tickets + 1))
settle "$deliveries" "report, acknowledgement, out-of-office answer"
wait_until 5 log_has 'to=<ooo@reporter.example.test>, relay=local'
before=$(exchange_counts)
sleep 3
is "$(exchange_counts)" "$before" "the exchange has stopped (counts stable for 3 s)"
queue_empty; ok $? "the queue is empty"
is "$(acks_to ooo@reporter.example.test)" 1 "exactly one acknowledgement to ooo@"
is "$(mails ooo)" 1 "ooo@ received exactly one message"
is "$(grep -c '^ooo@' "$RESPONDER_LOG")" 1 "the responder answered once"
is "$(count_tickets)" "$tickets" "the out-of-office answer made no ticket"
n3=$(ticket_number 'Phishing page at 203.0.113.80')
is "$(threads "$n3")" "new|acknowledged
tag|a follow-up: no acknowledgement" \
  "it joined the report's ticket (by the tag it quoted), unacknowledged"
contains "$(sed -n 1p "$RESPONDER_LOG")" "-> info@cert.example.test: Out of office: Re: [IR #${n3:-none}/" \
  "the responder did answer info@ with the tag in its subject"
resync

# A worse responder: "Subject: Out of office", no tag, no In-Reply-To, so
# every answer looks like a new report.  The hourly limit must end it.
send away@reporter.example.test 'Malware download from 198.51.100.99' \
  --body 'Our proxy blocked a download of malware from 198.51.100.99.'
ok $? "swaks: a report from away@ (a responder that quotes nothing)"
# report + 5 answers that each made a ticket; the 5th answer's ticket
# is over the limit, so no 6th acknowledgement, no 6th answer.
settled_away() {
  [ "$(acks_to away@reporter.example.test)" -ge 5 ] \
    && [ "$(grep -c '^away@' "$RESPONDER_LOG")" -ge 5 ] && queue_empty
}
wait_until 20 settled_away
ok $? "the answer/acknowledgement exchange with away@ comes to rest"
before=$(exchange_counts)
sleep 3
is "$(exchange_counts)" "$before" "and stays at rest (counts stable for 3 s)"
queue_empty; ok $? "the queue is empty"
is "$(acks_to away@reporter.example.test)" 5 \
  "at most ack_rate_hour (5) acknowledgements to away@"
is "$(mails away)" 5 "away@ received 5 messages"
is "$(grep -c '^away@' "$RESPONDER_LOG")" 5 "the responder answered 5 times"
deliveries=$((deliveries + 6))
tickets=$((tickets + 6))
is "$(info_deliveries)" "$deliveries" "madoguchi got the report and 5 answers"
is "$(count_tickets)" "$tickets" "(each answer a ticket of its own)"
if [ -n "$have_sqlite" ]; then
  is "$(sql "SELECT ack FROM message WHERE from_addr = 'away@reporter.example.test' ORDER BY id" | sort | uniq -c | sed 's/^ *//' | tr '\n' ';')" \
    "5 acknowledged;1 rate limit (5 per hour, 20 per day);" \
    "sqlite: 5 acknowledged, the 6th stopped by the rate limit"
fi
resync

# --- 4b. an acknowledgement that bounces -------------------------------------

send ghost@reporter.example.test 'Spam run from 203.0.113.9' \
  --body 'We received 4000 spam messages from 203.0.113.9 last night.'
ok $? "swaks: a report from ghost@ (no such user)"
deliveries=$((deliveries + 1))
tickets=$((tickets + 1))
settle "$deliveries" "the report reaches madoguchi"
wait_until 10 log_has 'to=<ghost@reporter.example.test>, relay=local'
ok $? "Postfix tried to deliver the acknowledgement to ghost@"
grep -F 'to=<ghost@reporter.example.test>' "$MAILLOG" | grep -q 'status=bounced'
ok $? "local(8) bounced it (unknown user)"
is "$(acks_to ghost@reporter.example.test sent)" 1 \
  "madoguchi handed it to Postfix (outbox: sent)"
sleep 1
queue_empty; ok $? "the queue is empty: no bounce waits to go anywhere"
grep -q 'sender non-delivery notification' "$MAILLOG"
is $? 1 "Postfix generated no bounce for the null-sender acknowledgement"
is "$(info_deliveries)" "$deliveries" "nothing came back to info@"
is "$(count_tickets)" "$tickets" "no ticket from a bounce"
is "$(mails postmaster)" 0 "postmaster got nothing"
resync

# --- 4c. a message from our own address --------------------------------------

before_acks=$(acks_total)
before_mails=$(find "$MAILROOT" -type f -path '*/new/*' | wc -l | tr -d ' ')
send info@cert.example.test 'Weekly summary of open incidents' \
  --body 'Open incidents this week: see the ticket list.'
ok $? "swaks: a message from info@cert.example.test"
deliveries=$((deliveries + 1))
tickets=$((tickets + 1))
settle "$deliveries" "it reaches madoguchi"
n=$(ticket_number 'Weekly summary of open incidents')
is "$(threads "$n")" "new|the sender is our own address" \
  "filed, not acknowledged: the sender is our own address"
is "$(acks_total)" "$before_acks" "no outbox entry"
resync

# --- 4d. a mailing list message ---------------------------------------------

send member@reporter.example.test 'Weekly threat digest' \
  --header 'List-Id: Threat digest <digest.lists.reporter.example.test>' \
  --header 'List-Unsubscribe: <mailto:digest-leave@reporter.example.test>' \
  --body 'This week: 198.51.100.0/24 scanning SSH.'
ok $? "swaks: a message with List-Id"
deliveries=$((deliveries + 1))
tickets=$((tickets + 1))
settle "$deliveries" "it reaches madoguchi"
n=$(ticket_number 'Weekly threat digest')
is "$(threads "$n")" "new|mailing list (List-*)" \
  "filed, not acknowledged: mailing list"
is "$(acks_total)" "$before_acks" "no outbox entry"
is "$(find "$MAILROOT" -type f -path '*/new/*' | wc -l | tr -d ' ')" \
  "$before_mails" "no mail delivered to anyone"

# --- 4e. a flood: 20 reports from one sender in a minute ---------------------

i=1
sent_ok=0
while [ "$i" -le 20 ]; do
  send flood@reporter.example.test "Scan report $i from 198.51.100.$i" \
    --body "198.51.100.$i scanned 203.0.113.0/24 on port 22." \
    && sent_ok=$((sent_ok + 1))
  i=$((i + 1))
done
is "$sent_ok" 20 "swaks: smtpd accepts 20 reports from flood@"
deliveries=$((deliveries + 20))
tickets=$((tickets + 20))
settle "$deliveries" "all 20 reach madoguchi"
is "$(count_tickets)" "$tickets" "20 tickets"
is "$(acks_to flood@reporter.example.test)" 5 \
  "exactly 5 acknowledgements (ack_rate_hour's default)"
wait_until 10 mails_are flood 5
ok $? "flood@ received exactly 5"
if [ -n "$have_sqlite" ]; then
  is "$(sql "SELECT ack FROM message WHERE from_addr = 'flood@reporter.example.test' ORDER BY id" | sort | uniq -c | sed 's/^ *//' | tr '\n' ';')" \
    "5 acknowledged;15 rate limit (5 per hour, 20 per day);" \
    "sqlite: 5 acknowledged, 15 held back by the rate limit"
fi
sleep 1
is "$(mails flood)" 5 "still 5 a second later"

# --- totals -------------------------------------------------------------------

queue_empty; ok $? "the queue is empty at the end"
grep -q 'status=deferred' "$MAILLOG"
is $? 1 "Postfix deferred nothing"
is "$(grep -c 'status=bounced' "$MAILLOG")" 1 \
  "the only bounce is the acknowledgement to ghost@"
is "$(grep -c '^' "$SUBMIT_LOG")" "$(acks_total)" \
  "sendmail_command ran once per acknowledgement"
grep -v -q -e '^-i -f <> -- [^ ]*@[^ ]*$' "$SUBMIT_LOG"
is $? 1 "always as -i -f <> -- RECIPIENT"
if [ -s "$TEST_HOME/log/responder.err" ]; then
  diag_file "$TEST_HOME/log/responder.err"
fi

# --- 5. procmail: `:0 w` / `| madoguchi deliver`, ack via Postfix sendmail ---

if command -v procmail >/dev/null 2>&1; then
  # Run as root, so that sendmail_command can be Postfix's own sendmail
  # with the private configuration directory.  Root gets a data directory
  # of its own (see t080 on root and the delivery user's database).
  PM=$TEST_HOME/pm
  PM_HOME=$PM/home
  PM_CONF=$PM/madoguchi.conf
  mkdir -p "$PM_HOME"
  # ... and a database of its own (its SQLite file there, or a second
  # database in the PostgreSQL pass).
  pg_e2e_other procmail
  pm_madoguchi() {
    env MADOGUCHI_HOME="$PM_HOME" MADOGUCHI_CONFIG="$PM_CONF" \
      MADOGUCHI_DATABASE="$PG_E2E_OTHER_URI" "$ALIAS_CMD" "$@"
  }
  cat > "$PM_CONF" <<EOF
[madoguchi]
team_address = info@cert.example.test
team_name = Example CERT
tag = IR
rules_dir = $TEST_HOME/rules
sendmail_command = $SENDMAIL -C $CONF
EOF
  cat > "$PM/procmailrc" <<EOF
SHELL=/bin/sh
MAILDIR=$PM
DEFAULT=$PM/fallback/
ORGMAIL=$PM/orgmail
LOGFILE=$PM/procmail.log
VERBOSE=on

:0 w
| env MADOGUCHI_HOME=$PM_HOME MADOGUCHI_CONFIG=$PM_CONF MADOGUCHI_DATABASE='$PG_E2E_OTHER_URI' $ALIAS_CMD deliver
EOF
  {
    echo 'From pm-envelope@reporter.example.test Tue Nov 24 04:05:00 2026'
    echo 'From: PM Reporter <pmreporter@reporter.example.test>'
    echo 'To: info@cert.example.test'
    echo 'Subject: Defacement of www.example.test by 203.0.113.66'
    echo 'Date: Tue, 24 Nov 2026 04:05:00 +0000'
    echo 'Message-ID: <t110-procmail-1@reporter.example.test>'
    echo
    echo 'Our site was defaced from 203.0.113.66 at 03:55 UTC.'
  } > "$PM/report.mbox"
  procmail -p -m "$PM/procmailrc" < "$PM/report.mbox" 2>> "$PM/procmail.log"
  is $? 0 "procmail exits 0"
  pm_list=$(pm_madoguchi list --all --json 2>&1)
  contains "$pm_list" '"subject":"Defacement of www.example.test by 203.0.113.66"' \
    "the ticket is filed"
  pm_n=$(printf '%s\n' "$pm_list" | sed -n 's/.*"number":"\([^"]*\)".*/\1/p' | head -1)
  pm_show=$(pm_madoguchi show --json "${pm_n:-none}" 2>&1)
  contains "$pm_show" '"envelope_from":"pm-envelope@reporter.example.test"' \
    "envelope sender from the From_ line"
  contains "$pm_show" '"ack":"acknowledged"' "acknowledged"
  pm_outbox=$(pm_madoguchi outbox list --all 2>&1)
  contains "$pm_outbox" "sent" "outbox: handed to Postfix's sendmail"
  contains "$pm_outbox" "pmreporter@reporter.example.test" "... for the From address"
  is "$(files_in "$PM/fallback")" 0 "nothing fell through to DEFAULT"
  wait_until 20 mails_are pmreporter 1
  ok $? "the acknowledgement reaches pmreporter's Maildir through Postfix"
  pm_ack=$(mail_file pmreporter)
  pm_ack=${pm_ack:-/nonexistent}
  is "$(head -1 "$pm_ack")" "Return-Path: <>" "with a null envelope sender"
  is "$(header "$pm_ack" Auto-Submitted)" auto-replied "Auto-Submitted: auto-replied"
  contains "$(header "$pm_ack" Subject)" "[IR #${pm_n:-none}/" "the tag in its Subject"
  is "$(header "$pm_ack" In-Reply-To)" "<t110-procmail-1@reporter.example.test>" \
    "In-Reply-To: the report"
  wait_until 5 log_has 'uid=0 from=<>'
  ok $? "maillog: it came through sendmail/pickup (uid=0 from=<>)"
  wait_until 10 queue_empty
  ok $? "the queue is empty"
  [ "$(files_in "$PM/fallback")" = 0 ] || diag_file "$PM/procmail.log"
else
  ok 0 "procmail # SKIP procmail is not installed"
fi

echo "# run time: $(($(date +%s) - t_start)) s"
[ "$test_failed" -eq 0 ] || diag_log
done_testing
