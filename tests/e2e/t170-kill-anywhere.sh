#!/bin/sh
# SIGKILL at each step of deliver's pipeline, under gdb (notmuch's T380
# is the model): stop at a breakpoint, send SIGKILL there, then run
# `spool run` and let the MTA retry (a delivery killed by a signal did
# not exit 0, so the MTA retries it).  Wherever the kill lands, the
# message ends up filed exactly once: before the rename into spool/new/
# nothing of it is filed and the retry files it; after the rename it is
# in spool/new/, spool run files it (or recognises it as filed), and the
# retry makes no second ticket.
#
# Then a power cut: killed before the rename, the message is only in
# spool/tmp/; nothing is filed, the MTA's retry files it once, and spool
# run removes the tmp/ leftover only once it is older than 36 hours.
# After the rename and before filing, nothing of the spool is synced yet:
# a power cut may lose the rename or cut the file short, and the MTA,
# which had no exit 0, delivers the message again.  A message that cannot
# be filed is synced before deliver exits 0.
. "$(dirname "$0")/lib.sh"

if ! command -v gdb > /dev/null 2>&1; then
  skip_all "gdb is not installed"
fi
unset DEBUGINFOD_URLS

TEMPLATE="$TEST_HOME/template"
MSG="$TEST_HOME/kill.eml"

# make_message FILE ID: a real report with its own Message-ID and reporter.
make_message() {
  sed -e "s/^Message-ID: .*/Message-ID: <k-$2@example.net>/" \
      -e "s/^From: .*/From: Reporter $2 <rep-$2@example.net>/" \
      -e "s/^Return-Path: .*/Return-Path: <rep-$2@example.net>/" \
      "$TEST_DATA_DIR/plain-english.eml" > "$1"
}

# A home with one ticket, copied for every kill: each starts from the same
# state, so that the probe's sqlite3_step counts hold for all of them.
mkdir -m 0700 "$TEMPLATE"
MADOGUCHI_HOME="$TEMPLATE" "$MADOGUCHI" init > /dev/null
make_message "$TEST_HOME/warm.eml" warm
MADOGUCHI_HOME="$TEMPLATE" "$MADOGUCHI" deliver < "$TEST_HOME/warm.eml"
warm_status=$?
make_message "$MSG" kill

# gdb_deliver HOME SETUP OUT [TAIL]: deliver $MSG in HOME under gdb in batch
# mode, with the gdb commands of file SETUP before `run` and those of TAIL
# after it (by default: say where it stopped, then SIGKILL it there).
gdb_deliver() {
  {
    echo "set pagination off"
    echo "set confirm off"
    echo "set breakpoint pending on"
    cat "$2"
    echo "run deliver < \"$MSG\""
    if [ $# -ge 4 ]; then
      cat "$4"
    else
      printf '%s\n' 'printf "KILLPOINT\n"'
      echo "bt 8"
      echo "signal SIGKILL"
    fi
  } > "$TEST_HOME/gdb.cmds"
  MADOGUCHI_HOME="$1" gdb -batch -nx -iex "set debuginfod enabled off" \
    -x "$TEST_HOME/gdb.cmds" --args "$MADOGUCHI" > "$3" 2>&1 < /dev/null
}

# Can gdb run and stop madoguchi here at all (ptrace may be forbidden)?
printf 'break cmd_deliver\n' > "$TEST_HOME/setup"
rm -rf "$TEST_HOME/check"
cp -a "$TEMPLATE" "$TEST_HOME/check"
gdb_deliver "$TEST_HOME/check" "$TEST_HOME/setup" "$TEST_HOME/check.out"
if ! grep -q '^KILLPOINT' "$TEST_HOME/check.out"; then
  echo "# gdb could not stop madoguchi:"
  sed 's/^/#   /' "$TEST_HOME/check.out" | tail -5
  skip_all "gdb cannot debug here (ptrace not permitted?)"
fi
is "$warm_status" 0 "the template home files a first report"

# The probe: how many sqlite3_step calls store_file makes, up to and
# including the COMMIT's (a cached statement, stepped the same way),
# and how many fdatasync calls the COMMIT makes (the WAL's header when
# the WAL starts afresh, then its frames) before outbox_send.
cat > "$TEST_HOME/setup" <<'EOF'
break store_file
commands
silent
printf "PROBE store_file\n"
enable 2
enable 3
enable 4
continue
end
break sqlite3_step
commands
silent
printf "PROBE step\n"
continue
end
disable 2
break store_run_cached if sql[0] == 'C' && sql[1] == 'O' && sql[2] == 'M'
commands
silent
printf "PROBE commit\n"
continue
end
disable 3
break fdatasync
commands
silent
printf "PROBE sync\n"
continue
end
disable 4
break outbox_send
commands
silent
printf "PROBE outbox\n"
continue
end
EOF
: > "$TEST_HOME/empty-tail"
rm -rf "$TEST_HOME/probe"
cp -a "$TEMPLATE" "$TEST_HOME/probe"
gdb_deliver "$TEST_HOME/probe" "$TEST_HOME/setup" "$TEST_HOME/probe.out" \
  "$TEST_HOME/empty-tail"
steps=$(awk '/^PROBE store_file/ { on = 1 } on && /^PROBE step/ { n++ }
             /^PROBE commit/ { print n + 1; exit }' "$TEST_HOME/probe.out")
steps=${steps:-0}
syncs=$(awk '/^PROBE store_file/ { on = 1 } on && /^PROBE sync/ { n++ }
             /^PROBE outbox/ { print n + 0; exit }' "$TEST_HOME/probe.out")
syncs=${syncs:-0}
ok "$([ "$steps" -ge 3 ]; echo $?)" "the probe counts sqlite3_step in store_file ($steps calls, COMMIT's included)"
[ "$steps" -ge 3 ] || sed 's/^/#   /' "$TEST_HOME/probe.out" | tail -10
middle=$(( (steps + 1) / 2 ))

# setup_in_store_file BREAK-COMMAND [IGNORE]: a breakpoint armed only once
# store_file has been entered, stopping at its (IGNORE+1)th hit.
setup_in_store_file() {
  {
    echo "break store_file"
    echo "commands"
    echo "silent"
    echo "enable 2"
    echo "continue"
    echo "end"
    echo "$1"
    echo "disable 2"
    [ -z "${2:-}" ] || echo "ignore 2 $2"
  } > "$TEST_HOME/setup"
}

# rows: how many times the message is filed, in $home.
rows() {
  sqlite "$home/madoguchi.db" \
    "SELECT COUNT(*) FROM message WHERE message_id = 'k-kill@example.net'"
}
in_spool() {
  grep -rlF -e "<k-kill@example.net>" "$home/spool/$1" 2>/dev/null | wc -l | tr -d ' '
}

# kill_at NAME WHERE FILED: SIGKILL deliver at the breakpoint of $TEST_HOME/setup.
# WHERE: tmp (killed before the rename: the message is not in new/),
# new (after it); FILED: 0 or 1, filed by the killed delivery itself, or
# "any" (the kill lands inside the commit).
kill_at() {
  name=$1
  home="$TEST_HOME/k-$name"
  remove_home "$home"
  cp -a "$TEMPLATE" "$home"
  out="$TEST_HOME/k-$name.out"
  gdb_deliver "$home" "$TEST_HOME/setup" "$out"
  if ! grep -q '^KILLPOINT' "$out"; then
    ok 1 "$name: the breakpoint is reached"
    sed 's/^/#   /' "$out" | tail -8
    return
  fi
  # Where it stopped, for the log: the innermost frames of madoguchi.
  where=$(sed -n 's/^#[0-9][0-9]* *\(0x[0-9a-f]* in \)\{0,1\}\([A-Za-z_][A-Za-z_0-9]*\).*/\2/p' \
          "$out" | head -n 5 | paste -s -d '<' -)
  echo "# $name: killed in $where"
  if grep -q "exited normally\|exited with code" "$out"; then
    ok 1 "$name: deliver was killed (the MTA retries it)"
  else
    contains "$(cat "$out")" "terminated with signal SIGKILL" \
      "$name: deliver was killed (the MTA retries it)"
  fi
  new=$(in_spool new)
  filed=$(rows)
  case $2 in
    tmp) is "$new $filed" "0 0" "$name: not in spool/new, not filed" ;;
    new) is "$new" 1 "$name: the message is in spool/new" ;;
  esac
  if [ "$3" != any ]; then
    is "$filed" "$3" "$name: filed $3 time(s) by the killed delivery"
  else
    echo "# $name: the killed delivery had filed it $filed time(s)"
  fi
  MADOGUCHI_HOME="$home" "$MADOGUCHI" spool run > "$TEST_HOME/run.out" 2>&1
  is $? 0 "$name: spool run exits 0"
  if [ "$2" = new ]; then
    is "$(rows)" 1 "$name: after spool run, filed exactly once"
  else
    is "$(rows)" 0 "$name: after spool run, still not filed (the MTA has it)"
  fi
  is "$(files_in "$home/spool/new")" 0 "$name: spool/new is empty"
  # The MTA retries: the delivery was killed, it did not exit 0.
  MADOGUCHI_HOME="$home" "$MADOGUCHI" deliver < "$MSG"
  is $? 0 "$name: the MTA's retry exits 0"
  is "$(rows) $(sqlite "$home/madoguchi.db" "SELECT COUNT(*) FROM ticket")" \
    "1 2" "$name: after the retry, filed exactly once (one ticket for it)"
  is "$(sqlite "$home/madoguchi.db" "PRAGMA integrity_check" 2>&1; \
        sqlite "$home/madoguchi.db" \
          "INSERT INTO message_fts (message_fts) VALUES ('integrity-check')" 2>&1)" \
    ok "$name: the database and its full-text index are intact"
}

# The pipeline in order.  Breakpoints on static functions work on their
# inlined copies too; fsync and rename are libc's, first hit (spool_write,
# spool_commit).  deliver_hold_entry comes right after the rename.
printf 'break spool_receive\n' > "$TEST_HOME/setup"
kill_at spool_receive tmp 0
printf 'break spool_write\n' > "$TEST_HOME/setup"
kill_at spool_write tmp 0
printf 'break rename\n' > "$TEST_HOME/setup"
kill_at rename tmp 0
is "$(in_spool tmp)" 1 "rename: the killed delivery left its file in spool/tmp"
printf 'break deliver_hold_entry\n' > "$TEST_HOME/setup"
kill_at deliver_hold_entry new 0
for fn in message_parse_raw extract_run classify_run store_file; do
  printf 'break %s\n' "$fn" > "$TEST_HOME/setup"
  kill_at "$fn" new 0
done
echo "# sqlite3_step in store_file: first 1, middle $middle, last $steps"
setup_in_store_file "break sqlite3_step"
kill_at step-first new 0
contains "$(cat "$TEST_HOME/k-step-first.out")" "BEGIN IMMEDIATE" \
  "step-first: the first sqlite3_step in store_file is the BEGIN's"
setup_in_store_file "break sqlite3_step" $((middle - 1))
kill_at step-middle new 0
setup_in_store_file "break sqlite3_step" $((steps - 1))
kill_at step-last new 0
contains "$(cat "$TEST_HOME/k-step-last.out")" '"COMMIT"' \
  "step-last: the last sqlite3_step in store_file is the COMMIT's"
setup_in_store_file "break store_run_cached if sql[0] == 'C' && sql[1] == 'O' && sql[2] == 'M'"
kill_at COMMIT new 0
# Inside the commit: its first fdatasync (the WAL's header, when the WAL
# starts afresh: no frame written yet) and its last (the frames are
# written, the commit frame included, but not synced: a kill, not a power
# cut, so the written frames survive and count as committed).
ok "$([ "$syncs" -ge 1 ]; echo $?)" "the probe counts the COMMIT's fdatasync calls ($syncs)"
setup_in_store_file "break fdatasync"
kill_at commit-sync-first new any
if [ "$syncs" -ge 1 ]; then
  setup_in_store_file "break fdatasync" $((syncs - 1))
  kill_at commit-sync-last new 1
fi
printf 'break outbox_send\n' > "$TEST_HOME/setup"
kill_at outbox_send new 1
printf 'break spool_done\n' > "$TEST_HOME/setup"
kill_at spool_done new 1

# A power cut before the rename: the message is only in spool/tmp/.  (The
# rename case above already checked that nothing is filed and that the
# MTA's retry files it once.)  Its tmp/ file stays until it is 36 hours
# old, since a delivery may still be writing it.
home="$TEST_HOME/k-rename"
leftover=$(grep -rlF -e "<k-kill@example.net>" "$home/spool/tmp" | head -n 1)
is "$(files_in "$home/spool/tmp")" 1 "power cut: the killed delivery's file is in spool/tmp"
if [ -n "$leftover" ] && [ -f "$leftover" ]; then
  MADOGUCHI_HOME="$home" "$MADOGUCHI" spool run > /dev/null 2>&1
  is "$(files_in "$home/spool/tmp")" 1 "power cut: spool run keeps a fresh tmp/ file"
  touch -d "@$(( $(date +%s) - 35 * 3600 ))" "$leftover"
  MADOGUCHI_HOME="$home" "$MADOGUCHI" spool run > /dev/null 2>&1
  is "$(files_in "$home/spool/tmp")" 1 "power cut: and one 35 hours old"
  touch -d "@$(( $(date +%s) - 37 * 3600 ))" "$leftover"
  MADOGUCHI_HOME="$home" "$MADOGUCHI" spool run > /dev/null 2>&1
  is "$(files_in "$home/spool/tmp")" 0 "power cut: it removes one 37 hours old"
  is "$(rows)" 1 "power cut: the message is still filed once"
else
  ok 1 "power cut: no tmp/ leftover to age"
fi

# A power cut after the rename and before the message is filed may lose
# the rename (a delivery that files the message never syncs spool/new/):
# deliver had not exited 0 yet, so the MTA still holds the message.
# spooled_then_killed NAME: in a fresh copy of the template ($home),
# deliver killed after the rename and before filing; sets $spooled to
# its entry in spool/new/ (empty if it is not there).
spooled_then_killed() {
  home="$TEST_HOME/k-$1"
  remove_home "$home"
  cp -a "$TEMPLATE" "$home"
  printf 'break message_parse_raw\n' > "$TEST_HOME/setup"
  gdb_deliver "$home" "$TEST_HOME/setup" "$TEST_HOME/k-$1.out"
  spooled=$(grep -rlF -e "<k-kill@example.net>" "$home/spool/new" | head -n 1)
}

spooled_then_killed lost-rename
if [ -n "$spooled" ] && [ -f "$spooled" ]; then
  mv "$spooled" "$home/spool/tmp/"
  MADOGUCHI_HOME="$home" "$MADOGUCHI" spool run > /dev/null 2>&1
  is "$(rows)" 0 "lost rename: spool run files nothing"
  MADOGUCHI_HOME="$home" "$MADOGUCHI" deliver < "$MSG"
  is "$? $(rows)" "0 1" "lost rename: the MTA's retry files it once"
else
  ok 1 "lost rename: deliver stopped at message_parse_raw with the message in spool/new"
fi

# The same power cut may keep the rename but not all of the file, which
# was never synced either: spool run files no part of a message cut
# short (its length is not what its envelope line says) and moves it to
# spool/failed/; the MTA's retry files the message once.
spooled_then_killed cut-short
if [ -n "$spooled" ] && [ -f "$spooled" ]; then
  truncate -s -100 "$spooled"
  MADOGUCHI_HOME="$home" "$MADOGUCHI" spool run > /dev/null 2>&1
  is "$(rows) $(files_in "$home/spool/new") $(files_in "$home/spool/failed")" \
    "0 0 1" "cut short: spool run files nothing and moves it to failed/"
  MADOGUCHI_HOME="$home" "$MADOGUCHI" deliver < "$MSG"
  is "$? $(rows)" "0 1" "cut short: the MTA's retry files it once"
else
  ok 1 "cut short: deliver stopped at message_parse_raw with the message in spool/new"
fi

# A message that cannot be filed stays in spool/new/, and deliver exits 0
# only after syncing spool/new/: then it survives a power cut.
home="$TEST_HOME/k-unfiled"
remove_home "$home"
cp -a "$TEMPLATE" "$home"
mv "$home/madoguchi.db" "$home/db.saved"
mkdir "$home/madoguchi.db"
# (LeakSanitizer cannot run under ptrace: in a sanitizer build it would
# make the exit status 1.)
printf 'set environment ASAN_OPTIONS=detect_leaks=0\nbreak spool_sync\ncommands\nsilent\nprintf "SYNC %%s\\n", entry->path\ncontinue\nend\n' \
  > "$TEST_HOME/setup"
gdb_deliver "$home" "$TEST_HOME/setup" "$TEST_HOME/k-unfiled.out" \
  "$TEST_HOME/empty-tail"
contains "$(cat "$TEST_HOME/k-unfiled.out")" "SYNC $home/spool/new/" \
  "unfiled: deliver syncs its entry in spool/new"
contains "$(cat "$TEST_HOME/k-unfiled.out")" "exited normally" \
  "unfiled: and then exits 0"
is "$(in_spool new)" 1 "unfiled: the message waits in spool/new"
rmdir "$home/madoguchi.db"
mv "$home/db.saved" "$home/madoguchi.db"
MADOGUCHI_HOME="$home" "$MADOGUCHI" spool run > /dev/null 2>&1
is "$(rows)" 1 "unfiled: spool run files it once the database is back"

done_testing
