#!/bin/sh
# One set of command-line conventions for every command, checked over the
# command table as `madoguchi help` lists it (issue 24): --help and
# `help COMMAND` on standard output with exit 0, `--version`; --format
# table|json|csv (--json its short form) wherever there is output to
# read; bare ticket and incident numbers; --as, else the operator behind
# sudo, in the audit trail; tables that fit $COLUMNS; acknowledgements
# left in the outbox Maildir not called sent; a dotless reporter domain
# acknowledged; full-width search.
. "$(dirname "$0")/lib.sh"

msg="$TEST_DATA_DIR/plain-english.eml"
# The commands whose output is there to be read.
readers="list show incident stats export outbox extract classify contacts notify
         notifications spool rules"
readers=$(echo $readers)
# The commands that record who changed something.
changers="set assign comment merge incident import notify"

# run ARGS...: madoguchi; sets $rc, $out and $err.
run() {
  "$MADOGUCHI" "$@" > "$TEST_HOME/out" 2> "$TEST_HOME/err"
  rc=$?
  out=$(cat "$TEST_HOME/out")
  err=$(cat "$TEST_HOME/err")
}

# json_ok: $out is JSON (each line, for JSON Lines), when python3 is here.
json_ok() {
  command -v python3 > /dev/null 2>&1 || return 0
  printf '%s\n' "$out" | python3 -c '
import json, sys
text = sys.stdin.read()
try:
    json.loads(text)
except ValueError:
    for line in text.splitlines():
        json.loads(line)'
}

no_msgid='s/"message_id":"[^"]*"//g'

# args_of COMMAND: what the command needs to print something.
args_of() {
  case $1 in
    show) echo 1 ;;
    incident|outbox|contacts|spool|rules) echo list ;;
    notify) echo --dry-run 1 ;;
    extract|classify) echo "$msg" ;;
    *) echo "" ;;
  esac
}

# --- the general usage, --help and --version -------------------------------

for words in --help help -h; do
  run $words
  is "$rc" 0 "madoguchi $words: exit 0"
  contains "$out" "usage: madoguchi" "madoguchi $words: usage on stdout"
  is "$err" "" "madoguchi $words: nothing on stderr"
done
run --version
is "$rc" 0 "--version: exit 0"
case $out in
  "madoguchi "[0-9]*.*) ok 0 "--version: madoguchi VERSION" ;;
  *) ok 1 "--version: madoguchi VERSION (got '$out')" ;;
esac
run
is "$rc" 64 "no command: exit 64"
contains "$err" "usage: madoguchi" "no command: usage on stderr"
run help nosuch
is "$rc" 64 "help of an unknown command: exit 64"

commands=$("$MADOGUCHI" help | sed -n '/^commands:$/,/^$/s/^  \([a-z]*\) .*/\1/p')
for cmd in deliver init import list show spool extract classify set assign \
           comment merge incident rules outbox stats export config; do
  case " $(echo $commands) " in
    *" $cmd "*) ok 0 "help lists $cmd" ;;
    *) ok 1 "help lists $cmd" ;;
  esac
done

# --- every command of the table -----------------------------------------------

"$MADOGUCHI" init > /dev/null
deliver "$msg"
printf 'match,name,email,language,pgp\n203.0.113.0/24,Example Net,abuse@net.example,en,\n' \
  > "$TEST_HOME/contacts.csv"
"$MADOGUCHI" contacts import "$TEST_HOME/contacts.csv" > /dev/null
for cmd in $commands; do
  run help "$cmd"
  is "$rc" 0 "help $cmd: exit 0"
  help=$out
  contains "$help" "madoguchi $cmd [OPTION" "help $cmd: its own usage line"
  case $help in
    *"$cmd [OPTION"*"] $cmd"*) ok 1 "help $cmd: the name once" ;;
    *) ok 0 "help $cmd: the name once" ;;
  esac
  run "$cmd" --help
  is "$rc" 0 "$cmd --help: exit 0"
  is "$out" "$help" "$cmd --help: the same as help $cmd"
  is "$err" "" "$cmd --help: nothing on stderr"
  case " $readers " in
    *" $cmd "*) reader=1 ;;
    *) reader=0 ;;
  esac
  case $help in
    *--format=FORMAT*--json*) has_format=1 ;;
    *) has_format=0 ;;
  esac
  is "$has_format" "$reader" "$cmd: --format and --json iff it prints data"
  case " $changers " in
    *" $cmd "*) contains "$help" "--as=NAME" "$cmd: takes --as" ;;
  esac
  [ "$has_format" = 1 ] || continue
  # shellcheck disable=SC2046  # the words are the arguments
  for format in table json csv; do
    run "$cmd" --format "$format" $(args_of "$cmd")
    is "$rc" 0 "$cmd --format $format: exit 0"
    [ -n "$out" ]
    ok $? "$cmd --format $format: prints something"
    case $format in
      json) json_ok; ok $? "$cmd --format json: JSON" ;;
      csv) case $(printf '%s\n' "$out" | head -n 1) in
             *,*) ok 0 "$cmd --format csv: a header" ;;
             *) ok 1 "$cmd --format csv: a header" ;;
           esac ;;
    esac
  done
  json=$("$MADOGUCHI" "$cmd" --format json $(args_of "$cmd") | sed "$no_msgid")
  run "$cmd" --json $(args_of "$cmd")
  is "$(printf '%s\n' "$out" | sed "$no_msgid")" "$json" "$cmd --json: --format json"
  run "$cmd" --format yaml $(args_of "$cmd")
  is "$rc" 64 "$cmd --format yaml: exit 64"
  run "$cmd" --json --format csv $(args_of "$cmd")
  is "$rc" 64 "$cmd --json --format csv: exit 64"
done

# -c is the configuration file, globally; no command gives it another
# meaning (list's --category has no short form).
run list -c scan
is "$rc" 64 "list -c: not an option of list"

# --- bare numbers, tickets and incidents ------------------------------------

run incident new "a scan" 1
incident=$out
is "$rc" 0 "incident new with a bare ticket number"
for name in 1 "${incident#INC-}" "$incident" "$(echo "$incident" | tr A-Z a-z)"; do
  run incident show "$name"
  is "$rc" 0 "incident show $name: exit 0"
  contains "$out" "$incident" "incident show $name: the incident"
done
run incident show 2
is "$rc" 1 "incident show of a missing incident: exit 1"
contains "$err" "no incident 2" "... saying so"
run incident --json show 1
contains "$out" '"tickets":[{"number":"' "incident --json: its tickets"

# --- every form that prints data, subcommands included -----------------------

# form_formats WORDS...: the form prints a table, JSON and CSV with a
# header; --json is --format json; a bad format is a usage error.
form_formats() {
  for format in table json csv; do
    run "$@" --format "$format"
    is "$rc" 0 "$* --format $format: exit 0"
    [ -n "$out" ]
    ok $? "$* --format $format: prints something"
    case $format in
      json) json_ok; ok $? "$* --format json: JSON" ;;
      csv) case $(printf '%s\n' "$out" | head -n 1) in
             *,*) ok 0 "$* --format csv: a header" ;;
             *) ok 1 "$* --format csv: a header" ;;
           esac ;;
    esac
  done
  # A dry run's Message-IDs are new each time.
  json=$("$MADOGUCHI" "$@" --format json | sed "$no_msgid")
  run "$@" --json
  is "$(printf '%s\n' "$out" | sed "$no_msgid")" "$json" "$* --json: --format json"
  run "$@" --format yaml
  is "$rc" 64 "$* --format yaml: exit 64"
}

form_formats contacts list
form_formats contacts lookup 203.0.113.10
form_formats outbox list --all
form_formats spool list
form_formats rules list
form_formats rules check
form_formats incident list
form_formats incident show 1
form_formats notify --dry-run 1
form_formats notifications
form_formats show 1
form_formats export
form_formats stats
# show's CSV: the ticket as list's CSV has it, beside each indicator.
listcsv=$("$MADOGUCHI" list --format csv)
run show 1 --format csv
is "$(printf '%s\n' "$out" | head -n 1)" \
  "$(printf '%s\n' "$listcsv" | head -n 1),kind,value,scope,role,count,ports,first_seen,last_seen,asn" \
  "show --format csv: list's columns, then the indicator's"
row=$(printf '%s\n' "$listcsv" | grep '^2026-000001,')
contains "$out" "$row,ipv4,192.0.2.45," "show --format csv: list's row of the ticket beside an indicator"
run contacts lookup 203.0.113.10
is "$out" abuse@net.example "contacts lookup: the e-mail address alone"
run contacts list --format csv
contains "$out" "203.0.113.0/24,network,Example Net,abuse@net.example,en" \
  "contacts list --format csv: the contact's row"
run notify --dry-run 1 --format csv
contains "$out" "would queue" "notify --dry-run --format csv: the site's row"
run contacts import "$TEST_HOME/contacts.csv" --json
is "$rc" 64 "contacts import --json: nothing to print as JSON (exit 64)"
run spool run --json
is "$rc" 64 "spool run --json: exit 64"

# --- config names the file it read, or the one it looked for ------------------

run config
contains "$(echo "$out" | head -n 1)" "from $MADOGUCHI_CONFIG" "config: the file it read"
contains "$out" "# data_dir from MADOGUCHI_HOME" "config: data_dir from MADOGUCHI_HOME"
out=$(env -u MADOGUCHI_CONFIG "$MADOGUCHI" config | head -n 1)
contains "$out" "/etc/madoguchi/madoguchi.conf" \
  "config without a file: the file it looked for"

# --- who changed it -----------------------------------------------------------

SUDO_USER=alice "$MADOGUCHI" set 1 --status open
is "$(sql "SELECT who FROM event WHERE what = 'status'")" alice \
  "set through sudo: the operator behind sudo is recorded"
SUDO_USER=alice "$MADOGUCHI" set 1 --status stalled --as bob
is "$(sql "SELECT who FROM event WHERE what = 'status' ORDER BY id DESC LIMIT 1")" \
  bob "--as wins over SUDO_USER"

# --- tables fit the terminal --------------------------------------------------

widest() {
  LC_ALL=C.UTF-8 wc -L | tr -d ' '
}
for cols in 80 100 132; do
  width=$(COLUMNS=$cols "$MADOGUCHI" list | widest)
  [ "$width" -le "$cols" ]
  ok $? "list with COLUMNS=$cols: $width columns at most"
done
width=$(COLUMNS=200 "$MADOGUCHI" list | widest)
[ "$width" -gt 132 ]
ok $? "list with COLUMNS=200: the subject gets the room ($width)"
# Without COLUMNS, on a terminal: the terminal's width (TIOCGWINSZ).
if command -v script > /dev/null 2>&1; then
  width=$(script -qec "stty cols 90 rows 24; env -u COLUMNS NO_COLOR=1 '$MADOGUCHI' list" /dev/null \
          | tr -d '\r' | widest)
  [ "$width" -gt 0 ] && [ "$width" -le 90 ]
  ok $? "list on a 90-column terminal, no COLUMNS: $width columns at most"
fi
width=$("$MADOGUCHI" list | widest)
[ "$width" -gt 80 ]
ok $? "list into a pipe, no COLUMNS: nothing cut to 80 ($width)"

# --- the outbox Maildir is not "sent" -----------------------------------------

run outbox list --all
contains "$(echo "$out" | head -n 1)" "STATE" "outbox list: a header"
contains "$out" outboxed "outbox list --all: written to the outbox Maildir"
case $(echo "$out" | tail -n +2) in
  *" sent "*) ok 1 "outbox list --all: not called sent" ;;
  *) ok 0 "outbox list --all: not called sent" ;;
esac
run stats --json
contains "$out" '"sent":0,"outboxed":1' "stats: outboxed, not sent"

# --- a reporter at a dotless domain -------------------------------------------

printf 'From: Alice <alice@localhost>\nTo: info@localhost\nSubject: scan\nMessage-ID: <a1@localhost>\n\nscan from 198.51.100.7\n' \
  > "$TEST_HOME/localhost.eml"
run -v deliver < "$TEST_HOME/localhost.eml"
log=$err
run outbox list --all
contains "$out" alice@localhost "alice@localhost is acknowledged"

# --- the log line of a delivery -------------------------------------------

contains "$log" ", a new ticket, category " "log: a new ticket and its category"
contains "$log" "message-id <a1@localhost>" "log: the Message-ID"
contains "$log" "acknowledgement: in the outbox Maildir" \
  "log: the acknowledgement's fate"
ackid=$("$MADOGUCHI" outbox list --all --format csv | grep alice@localhost \
        | cut -d, -f7)
printf 'From: Alice <alice@localhost>\nTo: info@localhost\nSubject: Re: scan\nMessage-ID: <a2@localhost>\nIn-Reply-To: <%s>\n\nthanks\n' \
  "$ackid" > "$TEST_HOME/followup.eml"
run -v deliver < "$TEST_HOME/followup.eml"
contains "$err" "a follow-up (reference)" "log: a follow-up and how it joined"
contains "$err" "message-id <a2@localhost>" "log: its Message-ID"
contains "$err" "acknowledgement: a follow-up: no acknowledgement" \
  "log: no acknowledgement, and why"

# --- full-width search --------------------------------------------------------

run list --search "ＳＳＨ ｂｒｕｔｅ"
contains "$out" 2026- "list --search ＳＳＨ ｂｒｕｔｅ finds SSH brute"

# --- stats --svg: the caller's umask ----------------------------------------

(umask 022 && "$MADOGUCHI" stats --svg "$TEST_HOME/chart.svg" > /dev/null)
is "$(stat -c %a "$TEST_HOME/chart.svg")" 644 "stats --svg: 0644 under umask 022"
if [ "$(id -u)" = 0 ] && id nobody > /dev/null 2>&1; then
  # Root works as the data directory's owner, and writes its chart
  # into a directory of root's all the same.
  chown -R nobody "$MADOGUCHI_HOME"
  chmod 0711 "$TEST_HOME"
  mkdir -m 0700 "$TEST_HOME/root-only"
  # LeakSanitizer cannot stop the threads of a process that changed its
  # user IDs (not dumpable): no leak check here in a sanitizer build.
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
    "$MADOGUCHI" stats --svg "$TEST_HOME/root-only/chart.svg" \
    > /dev/null 2> "$TEST_HOME/err"
  rc=$?
  err=$(cat "$TEST_HOME/err")
  is "$rc" 0 "stats --svg as root into a root-owned directory: exit 0"
  is "$err" "" "... without a word on stderr"
  is "$(stat -c %U "$TEST_HOME/root-only/chart.svg" 2>&1)" root \
    "... the chart is root's"
  chown -R root "$MADOGUCHI_HOME"
fi

done_testing
