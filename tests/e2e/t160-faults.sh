#!/bin/sh
# One fault at a time (tests/fault/failshim.c, an LD_PRELOAD shim): for
# each of open, openat, write, pwrite, fsync, fdatasync, rename, close,
# mkdir, unlink, malloc and sqlite3_step, count its calls in one clean
# delivery, then deliver a distinct message with call N failing (EIO for
# odd N, ENOSPC for even N; SQLITE_IOERR / SQLITE_FULL for sqlite3_step).
#
# Every outcome must be one of:
#   exit75        exit 75, nothing of the message in spool/tmp or spool/new,
#                 no ticket: the MTA keeps it and retries
#   filed         exit 0, filed as exactly one ticket (perhaps also still
#                 in spool/new, which spool run recognises and removes)
#   spooled       exit 0, not filed, waiting in spool/new for spool run,
#                 the file and spool/new fsynced first (the shim's
#                 FAIL_SYNC_FILE says): exit 0 is a promise that the
#                 report survives a power cut
#   abort-before  killed by g_error()/abort() (SIGTRAP or SIGABRT: GLib
#                 aborts on an allocation failure by design) before the
#                 spool commit: nothing in spool/new, no ticket; the MTA
#                 sees a signal and retries (a spool/tmp leftover is
#                 allowed, as after any crash: spool run ages it out)
#   abort-after   the same after the spool commit: the message must be in
#                 spool/new (or filed)
# and never exit 0 with the report lost, two tickets, another exit status
# (the MTA would bounce) or another signal.  Then spool run files every
# spooled message exactly once, and an MTA retry of every message that
# did not exit 0 never makes a second ticket.
#
# Then the filings that fail after the ticket number was taken (issue 16),
# aimed with the shim's FAIL_PATH (and FAIL_SQL where SQLite is a shared
# library): a failing COMMIT and a failing INSERT, for a new ticket and
# for a follow-up.  Each must exit 0 with no ticket row and the report
# synced in spool/new, and spool run must file it exactly once.
#
# Environment: FAILSHIM (the shim, from ctest), FAULT_CAP (calls tried per
# function, default 40; sqlite3_step gets twice as many: it is the filing
# path and cheap).
. "$(dirname "$0")/lib.sh"
not_in_pg_pass "faults injected into the SQLite library and its files (the shim fails sqlite3_step, pwrite on madoguchi.db-wal)"

if [ -z "${FAILSHIM:-}" ] || [ ! -f "$FAILSHIM" ]; then
  skip_all "FAILSHIM is not set to the built failshim.so"
fi
# The shim's malloc bypasses a sanitizer's allocator, and a sanitizer
# runtime refuses to come after a preloaded library.
if ldd "$MADOGUCHI" 2>/dev/null | grep -q -e libasan -e libubsan; then
  skip_all "madoguchi is built with sanitizers"
fi

CAP=${FAULT_CAP:-40}
FUNCS="open openat write pwrite fsync fdatasync rename close mkdir unlink malloc sqlite3_step"
SPOOL="$MADOGUCHI_HOME/spool"
MSGS="$TEST_HOME/msgs"
CASES="$TEST_HOME/cases"        # fn n id rc outcome errno hit...
VIOLATIONS="$TEST_HOME/violations"
HIT="$TEST_HOME/hit"
SYNCS="$TEST_HOME/syncs"        # what the shim saw fsynced
COUNTS="$TEST_HOME/counts"
mkdir -p "$MSGS"
: > "$CASES"
: > "$VIOLATIONS"

"$MADOGUCHI" init > /dev/null
ok $? "init"

# make_message ID: a real report with its own Message-ID and reporter (so
# that no two share a thread or an acknowledgement rate limit).
make_message() {
  sed -e "s/^Message-ID: .*/Message-ID: <f-$1@example.net>/" \
      -e "s/^From: .*/From: Reporter $1 <rep-$1@example.net>/" \
      -e "s/^Return-Path: .*/Return-Path: <rep-$1@example.net>/" \
      "$TEST_DATA_DIR/plain-english.eml" > "$MSGS/$1.eml"
}

# rows ID: how many times the message is filed.
rows() {
  sql "SELECT COUNT(*) FROM message WHERE message_id = 'f-$1@example.net'"
}

# spooled_in SUB ID: how many files of spool/SUB hold the message.
spooled_in() {
  grep -rlF -e "<f-$2@example.net>" "$SPOOL/$1" 2>/dev/null | wc -l | tr -d ' '
}

# synced ID: whether the spool file holding the message and spool/new
# were both fsynced in the last delivery (the shim's FAIL_SYNC_FILE).
synced() {
  f=$(grep -rlF -e "<f-$1@example.net>" "$SPOOL/new" 2>/dev/null | head -n 1)
  [ -n "$f" ] && [ -s "$SYNCS" ] \
    && grep -qxF "$(readlink -f "$f")" "$SYNCS" \
    && grep -qxF "$(readlink -f "$SPOOL/new")" "$SYNCS"
}

# A warm-up delivery creates the database's WAL and the outbox, so that
# the counted delivery is like every later one.
make_message warm
"$MADOGUCHI" deliver < "$MSGS/warm.eml"
is $? 0 "a clean delivery exits 0"

make_message count
LD_PRELOAD="$FAILSHIM" FAIL_COUNT_FILE="$COUNTS" FAIL_MARK=rename \
  "$MADOGUCHI" deliver < "$MSGS/count.eml"
is $? 0 "a clean delivery under the shim exits 0"
is "$(rows count)" 1 "and is filed"
if [ ! -s "$COUNTS" ]; then
  echo "# the shim wrote no counts: is FAILSHIM a failshim.so?"
  done_testing
fi
# count NAME / mark NAME: calls in the clean delivery, and how many of
# them came before (and with) the spool commit's rename.
count() { awk -v n="$1" '$1 == n { print $2 }' "$COUNTS"; }
mark() { awk -v n="mark:$1" '$1 == n { print $2 }' "$COUNTS"; }
echo "# calls in one clean delivery (before the spool commit's rename, included):"
for fn in $FUNCS; do
  echo "#   $fn $(count "$fn") ($(mark "$fn"))"
done

# spread FIRST LAST K: K points from FIRST to LAST, both included.
spread() {
  awk -v a="$1" -v b="$2" -v k="$3" 'BEGIN {
    if (b < a) exit
    if (b - a + 1 <= k) { for (i = a; i <= b; i++) print i; exit }
    for (i = 0; i < k; i++) print a + int(i * (b - a) / (k - 1) + 0.5)
  }' | uniq
}

# points FN: which calls to fail.  malloc is sampled on both sides of the
# spool commit, since almost all of its calls come after it.
points() {
  total=$(count "$1")
  total=${total:-0}
  cap=$CAP
  [ "$1" = sqlite3_step ] && cap=$((CAP * 3))
  if [ "$1" = malloc ] && [ "$total" -gt "$cap" ]; then
    before=$(mark malloc)
    before=${before:-0}
    spread 1 "$before" $((cap / 2))
    spread $((before + 1)) "$total" $((cap - cap / 2))
  else
    spread 1 "$total" "$cap"
  fi
}

violation() {
  echo "$*" >> "$VIOLATIONS"
  echo "# VIOLATION: $*"
}

start=$(date +%s)
for fn in $FUNCS; do
  for n in $(points "$fn"); do
    id="$fn-$n"
    make_message "$id"
    if [ $((n % 2)) -eq 1 ]; then err=EIO; else err=ENOSPC; fi
    rm -f "$HIT" "$SYNCS"
    LD_PRELOAD="$FAILSHIM" FAIL_CALL="$fn" FAIL_AT="$n" FAIL_ERRNO="$err" \
      FAIL_HIT_FILE="$HIT" FAIL_SYNC_FILE="$SYNCS" \
      "$MADOGUCHI" deliver < "$MSGS/$id.eml" 2> "$TEST_HOME/stderr"
    rc=$?
    hit=$(head -n 1 "$HIT" 2>/dev/null | cut -d' ' -f3)
    [ -n "$hit" ] || hit=missed
    on=$(head -n 1 "$HIT" 2>/dev/null | cut -d' ' -f4-)
    [ -z "$on" ] || hit_on=" on $on"
    [ -n "$on" ] || hit_on=""
    filed=$(rows "$id")
    in_new=$(spooled_in new "$id")
    in_tmp=$(spooled_in tmp "$id")
    what="$fn N=$n ($err, failed call from $hit$hit_on): exit $rc, $filed ticket(s), $in_new in spool/new, $in_tmp in spool/tmp"
    case $rc in
      75)
        if [ "$filed" -eq 0 ] && [ "$in_new" -eq 0 ] && [ "$in_tmp" -eq 0 ]; then
          outcome=exit75
        else
          outcome=bad; violation "$what: exit 75 with state left behind"
        fi ;;
      0)
        if [ "$filed" -eq 1 ]; then
          outcome=filed
        elif [ "$filed" -eq 0 ] && [ "$in_new" -eq 1 ] && synced "$id"; then
          outcome=spooled
        elif [ "$filed" -eq 0 ] && [ "$in_new" -eq 1 ]; then
          outcome=bad; violation "$what: exit 0, in spool/new but never synced"
        elif [ "$filed" -eq 0 ]; then
          outcome=bad; violation "$what: exit 0 and the report is lost"
        else
          outcome=bad; violation "$what: filed more than once"
        fi ;;
      133|134)
        if [ "$filed" -gt 1 ]; then
          outcome=bad; violation "$what: filed more than once"
        elif [ "$filed" -eq 1 ] || [ "$in_new" -eq 1 ]; then
          outcome=abort-after
        else
          outcome=abort-before
          [ "$in_tmp" -eq 0 ] || echo "# note: $what (abort before the commit left its spool/tmp file)"
        fi ;;
      *)
        outcome=bad
        if [ "$rc" -gt 128 ]; then
          violation "$what: killed by signal $((rc - 128))"
        else
          violation "$what: the MTA would bounce this exit status"
        fi
        sed 's/^/#   stderr: /' "$TEST_HOME/stderr" | head -5 ;;
    esac
    echo "$fn $n $id $rc $outcome $err $hit" >> "$CASES"
  done
done
echo "# $(wc -l < "$CASES" | tr -d ' ') faulty deliveries in $(( $(date +%s) - start )) s"

# The fault matrix.
echo "#"
echo "# fault matrix (function x outcome; missed: call N was not reached)"
awk -v funcs="$FUNCS" '
  { n[$1]++; c[$1, $5]++; if ($7 == "missed") m[$1]++ }
  END {
    split("exit75 filed spooled abort-before abort-after bad", o, " ")
    printf "# %-13s %5s", "function", "tried"
    for (i = 1; i <= 6; i++) printf " %12s", o[i]
    printf " %7s\n", "missed"
    k = split(funcs, f, " ")
    for (j = 1; j <= k; j++) {
      printf "# %-13s %5d", f[j], n[f[j]]
      for (i = 1; i <= 6; i++) { t[i] += c[f[j], o[i]]; printf " %12d", c[f[j], o[i]] }
      tm += m[f[j]]; tn += n[f[j]]
      printf " %7d\n", m[f[j]]
    }
    printf "# %-13s %5d", "total", tn
    for (i = 1; i <= 6; i++) printf " %12d", t[i]
    printf " %7d\n", tm
  }' "$CASES"
aborts=$(awk '$5 ~ /^abort/ { print $1 " N=" $2 " exit " $4 " (" $5 ", from " $7 ")" }' "$CASES")
if [ -n "$aborts" ]; then
  echo "# aborts (GLib aborts on a failed allocation by design):"
  printf '%s\n' "$aborts" | sed 's/^/#   /'
fi
echo "#"

for fn in $FUNCS; do
  tried=$(awk -v f="$fn" '$1 == f' "$CASES" | wc -l | tr -d ' ')
  bad=$(awk -v f="$fn" '$1 == f && $5 == "bad"' "$CASES" | wc -l | tr -d ' ')
  is "$bad" 0 "$fn: all $tried faults end in exit 75, filed, spooled or an abort the MTA retries"
done
fired=$(awk '$7 != "missed"' "$CASES" | wc -l | tr -d ' ')
ok "$([ "$fired" -gt 0 ]; echo $?)" "the shim injected faults ($fired fired)"

# Recovery: spool run files what waits, exactly once.
"$MADOGUCHI" spool run > "$TEST_HOME/run.out" 2> "$TEST_HOME/run.err"
is $? 0 "spool run files every spooled message"
is "$(files_in "$SPOOL/new")" 0 "spool/new is empty after spool run"
twice=""
unfiled=""
for id in $(awk '$5 == "spooled" || $5 == "abort-after" || $5 == "filed" { print $3 }' "$CASES"); do
  r=$(rows "$id")
  if [ "$r" -eq 0 ]; then
    unfiled="$unfiled $id"
  elif [ "$r" -gt 1 ]; then
    twice="$twice $id"
  fi
done
is "$unfiled" "" "every message that exit 0 or was spooled before an abort is filed"
is "$twice" "" "and none of them twice"

# The MTA retries everything that did not exit 0, once, with no fault.
retry_bad=""
for id in $(awk '$4 != 0 { print $3 }' "$CASES"); do
  "$MADOGUCHI" deliver < "$MSGS/$id.eml" 2>/dev/null
  rc=$?
  r=$(rows "$id")
  if [ "$rc" -ne 0 ] || [ "$r" -ne 1 ]; then
    retry_bad="$retry_bad $id(exit=$rc,filed=$r)"
  fi
done
is "$retry_bad" "" "an MTA retry of every failed delivery files it exactly once"

messages=$(( $(wc -l < "$CASES") + 2 ))
is "$(sql "SELECT COUNT(*) FROM message")" "$messages" "one filed message per distinct message"
is "$(sql "SELECT COUNT(*) FROM ticket")" "$messages" "one ticket per distinct message"
is "$(sql "SELECT message_id FROM message GROUP BY message_id HAVING COUNT(*) > 1")" "" \
  "no message is filed twice"
is "$(files_in "$SPOOL/new")" 0 "spool/new is empty"
is "$(sql "PRAGMA integrity_check")" ok "the database is intact"
# PRAGMA integrity_check does not look into FTS5's index.
if [ "$(sql "SELECT COUNT(*) FROM sqlite_master WHERE name = 'message_fts'")" = 1 ]; then
  is "$(sql "INSERT INTO message_fts (message_fts) VALUES ('integrity-check')" 2>&1)" "" \
    "the full-text index is intact"
fi

leftover=$(files_in "$SPOOL/tmp")
before=$(awk '$5 == "abort-before"' "$CASES" | wc -l | tr -d ' ')
ok "$([ "$leftover" -le "$before" ]; echo $?)" \
  "spool/tmp holds only what aborts left ($leftover files, $before aborts before the commit)"

# Issue 16: filings that fail after the ticket number was taken.  The old
# deliver took the number in its result for "filed", skipped the spool's
# fsyncs and exited 0 with the report neither committed nor durable.  The
# faults are real ones: the first write to the WAL fails with ENOSPC or
# EIO.  SQLite writes a transaction's pages there at COMMIT, or earlier
# when they overflow its page cache, as a report of a few megabytes does
# while its message is inserted.  Where SQLite is a shared library the
# shim also fails the statements themselves (FAIL_SQL).
#
# make_big ID: a report with a 3 MB log in it.
make_big() {
  make_message "$1"
  awk 'BEGIN { for (i = 0; i < 35000; i++)
    printf "2026-11-24 03:%02d:%02d sshd[%d]: Failed password for root " \
      "from 192.0.2.%d port %d ssh2\n", i % 60, i % 60, 1000 + i, i % 250,
      40000 + i % 20000 }' >> "$MSGS/$1.eml"
}

# make_reply ID TO: a reply of TO's reporter to TO's report (a follow-up);
# with a third argument, with the 3 MB log in it.
make_reply() {
  sed -e "s/^Message-ID: .*/Message-ID: <f-$1@example.net>\\
In-Reply-To: <f-$2@example.net>/" \
      -e "s/^From: .*/From: Reporter $2 <rep-$2@example.net>/" \
      -e "s/^Return-Path: .*/Return-Path: <rep-$2@example.net>/" \
      -e "s/^Subject: /Subject: Re: /" \
      "$TEST_DATA_DIR/plain-english.eml" > "$MSGS/$1.eml"
  [ $# -lt 3 ] || awk 'BEGIN { for (i = 0; i < 35000; i++)
    printf "2026-11-24 04:%02d:%02d sshd[%d]: Invalid user admin " \
      "from 192.0.2.%d port %d\n", i % 60, i % 60, 1000 + i, i % 250,
      40000 + i % 20000 }' >> "$MSGS/$1.eml"
}

# after_number ID WHAT ERRNO SHIM-SETTINGS...: deliver message ID (-v: the
# log on stderr) with the shim set so; the log must name WHAT as what
# failed.
after_number() {
  id=$1
  what=$2
  err=$3
  shift 3
  rm -f "$HIT" "$SYNCS"
  tickets=$(sql "SELECT COUNT(*) FROM ticket")
  env LD_PRELOAD="$FAILSHIM" FAIL_AT=1 FAIL_ERRNO="$err" FAIL_HIT_FILE="$HIT" \
    FAIL_SYNC_FILE="$SYNCS" "$@" \
    "$MADOGUCHI" -v deliver < "$MSGS/$id.eml" 2> "$TEST_HOME/stderr"
  is $? 0 "$id: exit 0 (the report is the desk's now)"
  ok "$([ -s "$HIT" ]; echo $?)" "$id: the shim injected the fault"
  contains "$(cat "$TEST_HOME/stderr")" "$what" "$id: and $what failed"
  is "$(rows "$id")" 0 "$id: the message is not in the database"
  is "$(sql "SELECT COUNT(*) FROM ticket")" "$tickets" "$id: no ticket row"
  is "$(spooled_in new "$id")" 1 "$id: the report waits in spool/new"
  ok "$(synced "$id"; echo $?)" \
    "$id: the spool file and spool/new were fsynced before exit 0"
  after_ids="$after_ids $id"
}

echo "# filings that fail after the ticket number was taken"
after_ids=""
tickets_before=$(sql "SELECT COUNT(*) FROM ticket")
WAL="FAIL_CALL=pwrite FAIL_PATH=madoguchi.db-wal"
make_message commit-new
after_number commit-new "COMMIT: " ENOSPC $WAL
make_big insert-new
after_number insert-new "cannot insert " EIO $WAL
make_reply commit-followup warm
after_number commit-followup "COMMIT: " EIO $WAL
make_reply insert-followup warm big
after_number insert-followup "cannot insert " ENOSPC $WAL
new_tickets=2
followups=2
if [ "$(count sqlite3_step)" -gt 0 ]; then
  STEP=FAIL_CALL=sqlite3_step
  make_message step-commit-new
  after_number step-commit-new "COMMIT: " ENOSPC $STEP FAIL_SQL=COMMIT
  make_message step-insert-new
  after_number step-insert-new "cannot insert message: " EIO $STEP \
    "FAIL_SQL=INSERT INTO message ("
  make_reply step-insert-followup warm
  after_number step-insert-followup "cannot insert message: " ENOSPC $STEP \
    "FAIL_SQL=INSERT INTO message ("
  new_tickets=4
  followups=3
else
  echo "# SQLite is linked into madoguchi (MADOGUCHI_STATIC_DEPS): the shim"
  echo "# cannot fail its statements, only the writes under them"
fi

"$MADOGUCHI" spool run > "$TEST_HOME/run.out" 2> "$TEST_HOME/run.err"
is $? 0 "spool run files them"
for id in $after_ids; do
  is "$(rows "$id")" 1 "$id: filed exactly once by spool run"
done
warm_ticket=$(sql "SELECT ticket_id FROM message WHERE message_id = 'f-warm@example.net'")
is "$(sql "SELECT COUNT(*) FROM message WHERE ticket_id = $warm_ticket AND message_id LIKE 'f-%followup@example.net'")" \
  "$followups" "the follow-ups joined their ticket"
is "$(sql "SELECT COUNT(*) FROM ticket")" $((tickets_before + new_tickets)) \
  "one new ticket for each new report"
is "$(files_in "$SPOOL/new")" 0 "spool/new is empty again"
is "$(sql "PRAGMA integrity_check")" ok "the database is still intact"

if [ -s "$VIOLATIONS" ]; then
  echo "# violations:"
  sed 's/^/#   /' "$VIOLATIONS"
fi
done_testing
