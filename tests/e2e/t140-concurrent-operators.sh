#!/bin/sh
# operators at work while mail arrives: 200 deliveries, four at a time,
# while two operator loops (on tickets of their own) list, show, assign
# and set tickets that exist.  Every delivery exits 0, every operator command succeeds (no
# "database is locked"), and no update is lost: each ticket's owner is
# the last one assigned to it.
. "$(dirname "$0")/lib.sh"

N=200
WORKERS=4
# The operator loops stop after LIMIT seconds whatever happens (a bound
# on a test that hangs, not a speed check: bench/ measures speed).
LIMIT=90
start=$(date +%s)

"$MADOGUCHI" init > /dev/null
ok $? "init creates the database and spool"

mkdir "$TEST_HOME/mail" "$TEST_HOME/rc"
i=1
while [ $i -le $N ]; do
  sed "s/^Message-ID: .*/Message-ID: <operators-$i@example.net>/" \
    "$TEST_DATA_DIR/plain-english.eml" > "$TEST_HOME/mail/$i.eml"
  i=$((i + 1))
done

# worker K: delivers messages K, K+WORKERS, ... one after the other;
# each exit status goes to rc/I, and done.K marks the end.
worker() {
  w=$1
  while [ "$w" -le $N ]; do
    "$MADOGUCHI" deliver < "$TEST_HOME/mail/$w.eml" > /dev/null \
      2> "$TEST_HOME/rc/$w.err"
    echo $? > "$TEST_HOME/rc/$w"
    w=$((w + WORKERS))
  done
  : > "$TEST_HOME/done.$1"
}

# op LABEL ARGS...: one operator command of operator $me; its output in
# op.$me.out, its exit status in ops.$me.log, its standard error (if
# any) in ops.$me.err.
op() {
  label=$1
  shift
  "$MADOGUCHI" "$@" < /dev/null > "$TEST_HOME/op.$me.out" \
    2> "$TEST_HOME/op.$me.err"
  r=$?
  echo "$r $label" >> "$TEST_HOME/ops.$me.log"
  if [ -s "$TEST_HOME/op.$me.err" ]; then
    { echo "[$label]"; cat "$TEST_HOME/op.$me.err"; } >> "$TEST_HOME/ops.$me.err"
  fi
  return $r
}

finished() {
  k=1
  while [ $k -le $WORKERS ]; do
    [ -e "$TEST_HOME/done.$k" ] || return 1
    k=$((k + 1))
  done
  return 0
}

# operator ME DIGITS: an operator loop.  While the deliveries run (and
# a few rounds after) it lists the tickets, picks one that exists (of
# those whose number ends in one of DIGITS: the two operators never
# share a ticket), shows it, assigns it to the round's name and opens
# it.  Every third round it comes back to one of its three oldest
# tickets, so that tickets are reassigned.  assigns.ME.log is the order
# the assigns were issued in: its last line per ticket is the last one.
operator() {
  me=$1
  digits=$2
  round=0
  during=0
  after=0
  : > "$TEST_HOME/ops.$me.log"
  : > "$TEST_HOME/ops.$me.err"
  : > "$TEST_HOME/assigns.$me.log"
  while :; do
    if finished; then
      after=$((after + 1))
      [ $after -gt 5 ] && [ $round -ge 12 ] && break
    else
      during=$((during + 1))
    fi
    [ $(($(date +%s) - start)) -ge $LIMIT ] && break
    round=$((round + 1))
    op list list --all --sort number --ascending --format csv
    tickets=$(tr -d '\r' < "$TEST_HOME/op.$me.out" | sed 1d | cut -d, -f1 \
              | tr -d '"' | grep "[$digits]\$")
    count=$(printf '%s\n' "$tickets" | grep -c .)
    if [ "$count" -eq 0 ]; then
      sleep 1
      continue
    fi
    if [ $((round % 3)) -eq 0 ]; then
      oldest=$count
      [ "$oldest" -gt 3 ] && oldest=3
      pick=$((round / 3 % oldest + 1))
    else
      pick=$(( (round * 7) % count + 1 ))
    fi
    t=$(printf '%s\n' "$tickets" | sed -n "${pick}p")
    name=op$me-$round
    op "show $t" show "$t"
    op "show --json $t" show --json "$t"
    echo "$t $name" >> "$TEST_HOME/assigns.$me.log"
    op "assign $t --owner $name" assign "$t" --owner "$name"
    op "set $t --status open" set "$t" --status open
    op "list --owner $name" list --owner "$name"
    op "list --status open --json" list --status open --json
  done
  echo "$round $during" > "$TEST_HOME/rounds.$me"
}

k=1
while [ $k -le $WORKERS ]; do
  worker $k &
  k=$((k + 1))
done
operator 1 13579 &
operator 2 02468 &
wait

elapsed=$(($(date +%s) - start))
rounds=$(cat "$TEST_HOME/rounds.1" "$TEST_HOME/rounds.2" \
         | awk '{ r += $1 } END { print r + 0 }')
during=$(cat "$TEST_HOME/rounds.1" "$TEST_HOME/rounds.2" \
         | awk '{ d += $2 } END { print d + 0 }')
cat "$TEST_HOME/ops.1.log" "$TEST_HOME/ops.2.log" > "$TEST_HOME/ops.log"
cat "$TEST_HOME/ops.1.err" "$TEST_HOME/ops.2.err" > "$TEST_HOME/ops.err"
cat "$TEST_HOME/assigns.1.log" "$TEST_HOME/assigns.2.log" > "$TEST_HOME/assigns.log"
echo "# elapsed: ${elapsed}s for $N deliveries and $rounds operator rounds ($during while mail arrived)"

# --- the deliveries ---------------------------------------------------------

missing=0
failed=0
i=1
while [ $i -le $N ]; do
  if [ ! -e "$TEST_HOME/rc/$i" ]; then
    missing=$((missing + 1))
  elif [ "$(cat "$TEST_HOME/rc/$i")" != 0 ]; then
    failed=$((failed + 1))
    echo "# delivery $i exited $(cat "$TEST_HOME/rc/$i"): $(head -n 1 "$TEST_HOME/rc/$i.err")"
  fi
  i=$((i + 1))
done
is "$missing" 0 "every delivery ran to the end"
is "$failed" 0 "all $N deliveries exit 0"
is "$(count_tickets)" $N "$N tickets"
is "$(sql "SELECT COUNT(DISTINCT number) FROM ticket")" $N "$N distinct numbers"
is "$(files_in "$MADOGUCHI_HOME/spool/new")" 0 "none left in spool/new"
is "$(files_in "$MADOGUCHI_HOME/spool/tmp")" 0 "none left in spool/tmp"

# --- the operators ----------------------------------------------------------

ok $([ "$during" -gt 0 ]; echo $?) "the operators worked while mail arrived ($during rounds)"
op_total=$(grep -c . "$TEST_HOME/ops.log")
op_failed=$(awk '$1 != 0' "$TEST_HOME/ops.log" | grep -c .)
is "$op_failed" 0 "no operator command failed (of $op_total)"
awk '$1 != 0' "$TEST_HOME/ops.log" | sed -n 1,10p | sed 's/^/#   exit /'
is "$(grep -c . "$TEST_HOME/ops.err")" 0 "no operator command wrote to stderr"
sed -n 1,20p "$TEST_HOME/ops.err" | sed 's/^/#   /'
is "$(grep -ci 'locked' "$TEST_HOME/ops.err")" 0 "no \"database is locked\""

# --- no lost update ---------------------------------------------------------

assigns=$(grep -c . "$TEST_HOME/assigns.log")
ok $([ "$assigns" -gt 0 ]; echo $?) "operators assigned tickets ($assigns times)"
reassigned=$(awk '{ n[$1]++ } END { for (t in n) if (n[t] > 1) c++; print c + 0 }' \
             "$TEST_HOME/assigns.log")
ok $([ "$reassigned" -gt 0 ]; echo $?) "some tickets were reassigned ($reassigned)"
awk '{ last[$1] = $2 } END { for (t in last) print t, last[t] }' \
  "$TEST_HOME/assigns.log" | LC_ALL=C sort > "$TEST_HOME/expected"
sql "SELECT number || ' ' || owner FROM ticket WHERE owner IS NOT NULL
     ORDER BY number" | LC_ALL=C sort > "$TEST_HOME/actual"
assigned=$(grep -c . "$TEST_HOME/expected")
cmp -s "$TEST_HOME/expected" "$TEST_HOME/actual"
ok $? "each of the $assigned tickets is owned by the last operator assigned to it"
diff "$TEST_HOME/expected" "$TEST_HOME/actual" | sed -n 1,10p | sed 's/^/#   /'
is "$(sql "SELECT COUNT(*) FROM event WHERE what = 'owner'")" "$assigns" \
  "one owner event per assign"
is "$(sql "SELECT COUNT(*) FROM ticket WHERE status = 'open'")" "$assigned" \
  "every ticket an operator opened is open"
is "$(sql "SELECT COUNT(*) FROM event WHERE what = 'created'")" $N "$N created events"

done_testing
