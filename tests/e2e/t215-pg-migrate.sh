#!/bin/sh
# migrate --to (issue 23): a store copied from SQLite into an empty
# PostgreSQL database and from there into a new SQLite file keeps its
# tickets with their numbers, their raw messages, their history, the
# outbox, the contacts and the notifications: every operator command
# prints the same on the three.  The next report gets the same next
# number on each.  A target that is not empty is refused and left as it
# was.
. "$(dirname "$0")/lib.sh"
pg_e2e_database
M="$MADOGUCHI"
PG=$PG_E2E_URI
unset MADOGUCHI_DATABASE
"$M" migrate --help > /dev/null 2>&1 \
  || skip_all "madoguchi has no migrate command (issue 23)"
pg_e2e_require_store
# The probe's init made the schema: start again from an empty database.
pg_dropdb "$PG_E2E_DB" && PG=$(pg_createdb "$PG_E2E_DB") || exit 1

# Acknowledgements and notifications stay queued in the outbox: the
# transport fails for now (EX_TEMPFAIL).
printf '#!/bin/sh\ncat > /dev/null\nexit 75\n' > "$TEST_HOME/sendmail"
chmod 0755 "$TEST_HOME/sendmail"
cat > "$TEST_HOME/config.conf" <<CONF
[madoguchi]
team_name = Example CSIRT
team_address = info@csirt.example
sendmail_command = $TEST_HOME/sendmail
CONF
MADOGUCHI_CONFIG="$TEST_HOME/config.conf"
export MADOGUCHI_CONFIG

# --- a store with a bit of everything, on SQLite --------------------------

"$M" init > /dev/null || exit 1
for f in plain-english iso2022jp shift_jis euc-jp multipart-log forwarded \
  quoted-printable html-only nul-bytes malformed-mime; do
  deliver "$TEST_DATA_DIR/$f.eml"
done
# A follow-up from its reporter, with the first ticket's tag, joins it.
first=$("$M" list --all --json --sort number --ascending \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["number"])')
tag=$("$M" show --json "$first" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["tag"])')
printf 'From: noc@example.net\nTo: info@csirt.example\nSubject: Re: %s more logs\nMessage-ID: <followup-1@example.net>\n\nThe scans go on from 198.51.100.23.\n' \
  "$tag" > "$TEST_HOME/followup.eml"
deliver "$TEST_HOME/followup.eml"

printf 'match,name,email,language,pgp,zone\n198.51.100.0/24,"Provider, Inc.",abuse@provider.example,en,,\nAS64496,AS Net,abuse@as.example,ja,,\nevil.example,Evil Hosting,abuse@evil.example,en,,America/New_York\n' \
  > "$TEST_HOME/contacts.csv"
"$M" contacts import "$TEST_HOME/contacts.csv" > /dev/null
cat > "$TEST_HOME/notify.eml" <<'EML'
From: "Hanako Reporter" <hanako@victim.example>
To: info@csirt.example
Subject: SSH brute force against our servers
Message-ID: <notify-1@victim.example>
Date: Mon, 05 Jan 2026 10:00:00 +0000

2026-01-05 09:10:11 UTC sshd[1]: Failed password for root from 198.51.100.70 port 4242 ssh2
phishing at http://login.evil.example/x
EML
deliver "$TEST_HOME/notify.eml"

numbers=$("$M" list --all --json --sort number --ascending \
  | python3 -c 'import json,sys; print(" ".join(t["number"] for t in json.load(sys.stdin)))')
set -- $numbers
is "$#" 11 "eleven tickets on SQLite"
setup=0
op() {
  "$M" "$@" > /dev/null 2> "$TEST_HOME/err" \
    || { setup=1; echo "# failed: $*: $(cat "$TEST_HOME/err")"; }
}
op assign --as alice --owner alice "$1"
op set --as alice --status open "$1"
op set --as bob --category scan "$2"
op comment --as bob "$2" "called the provider, no answer yet"
op merge --as carol "$4" "$3"
op incident new --as carol "scans from one network" "$5" "$6"
op notify "${11}"
is "$setup" 0 "history, a merge, an incident and a notification on SQLite"

# snapshot DIR: what the commands print of the configured store.
snapshot() {
  mkdir -p "$1"
  "$M" list --all --json > "$1/list.json"
  "$M" export --json > "$1/export.jsonl"
  "$M" export --format csv > "$1/export.csv"
  for n in $numbers; do
    "$M" show --json "$n" > "$1/show-$n.json"
    "$M" show --raw "$n" > "$1/raw-$n.eml"
  done
  "$M" show --raw -m 2 "$first" > "$1/raw-$first-2.eml"
  "$M" contacts list --json > "$1/contacts.json"
  "$M" notifications --json > "$1/notifications.json"
  "$M" outbox list --json > "$1/outbox.json"
  "$M" incident list --json > "$1/incidents.json"
  "$M" stats --json > "$1/stats.json"
  "$M" list --json --search ポートスキャン > "$1/search-ja.json"
  "$M" list --json --search scan > "$1/search-en.json"
  "$M" list --json --ip 198.51.100.0/24 > "$1/ip.json"
}

# same DIR1 DIR2 WHAT: DIR2 has what DIR1 has.
same() {
  diff -r "$1" "$2" > "$TEST_HOME/diff" 2>&1
  ok $? "$3"
  head -n 20 "$TEST_HOME/diff" | cut -c 1-200 | sed 's/^/#   /'
}

snapshot "$TEST_HOME/sqlite"
ok 0 "the commands read it on SQLite"
# The snapshot means something only if it holds what was made.
grep -q '"what":"comment"' "$TEST_HOME/sqlite/show-$2.json"
ok $? "  its history has the comment"
# count FILE: the length of the JSON array in FILE.
count() {
  python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$1"
}
is "$(count "$TEST_HOME/sqlite/outbox.json")" 12 \
  "  its outbox holds 10 acknowledgements and 2 notifications, queued"
is "$(count "$TEST_HOME/sqlite/contacts.json")" 3 "  three contacts"
is "$(count "$TEST_HOME/sqlite/notifications.json")" 2 "  two notifications"
[ -s "$TEST_HOME/sqlite/raw-$first-2.eml" ]
ok $? "  the follow-up's raw message"

# --- SQLite to PostgreSQL ---------------------------------------------------

"$M" migrate --to "$PG" > "$TEST_HOME/out" 2>&1
ok $? "migrate --to an empty PostgreSQL database"
MADOGUCHI_DATABASE=$PG
export MADOGUCHI_DATABASE
snapshot "$TEST_HOME/pg"
same "$TEST_HOME/sqlite" "$TEST_HOME/pg" "PostgreSQL holds what SQLite held"

unset MADOGUCHI_DATABASE
"$M" migrate --to "$PG" > /dev/null 2> "$TEST_HOME/err"
rc=$?
ok $([ "$rc" -ne 0 ]; echo $?) "migrate --to a database that is not empty: refused (exit $rc)"
MADOGUCHI_DATABASE=$PG snapshot "$TEST_HOME/pg-again"
same "$TEST_HOME/pg" "$TEST_HOME/pg-again" "  and the target is left as it was"

# --- PostgreSQL back to SQLite ------------------------------------------------

back=$TEST_HOME/back
mkdir -m 0700 "$back"
MADOGUCHI_DATABASE=$PG "$M" migrate --to "$back/madoguchi.db" \
  > "$TEST_HOME/out" 2>&1
ok $? "migrate from PostgreSQL --to a new SQLite file"
MADOGUCHI_HOME=$back snapshot "$TEST_HOME/sqlite-back"
same "$TEST_HOME/sqlite" "$TEST_HOME/sqlite-back" \
  "the SQLite file holds it all again"

MADOGUCHI_DATABASE=$PG "$M" migrate --to "$MADOGUCHI_HOME/madoguchi.db" \
  > /dev/null 2>&1
rc=$?
ok $([ "$rc" -ne 0 ]; echo $?) "migrate --to an SQLite file that is not empty: refused (exit $rc)"
snapshot "$TEST_HOME/sqlite-again"
same "$TEST_HOME/sqlite" "$TEST_HOME/sqlite-again" "  and the file is left as it was"

# --- the numbering goes on where it was --------------------------------------

printf 'From: next@example.org\nTo: info@csirt.example\nSubject: the next report\nMessage-ID: <next@example.org>\n\nA port scan from 192.0.2.99.\n' \
  > "$TEST_HOME/next.eml"
newest() {
  "$M" list --json -n 1 --sort number \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["number"])'
}
deliver "$TEST_HOME/next.eml"
on_sqlite=$(newest)
MADOGUCHI_DATABASE=$PG deliver "$TEST_HOME/next.eml"
on_pg=$(MADOGUCHI_DATABASE=$PG newest)
MADOGUCHI_HOME=$back deliver "$TEST_HOME/next.eml"
on_back=$(MADOGUCHI_HOME=$back newest)
ok $([ "$on_sqlite" != "${11}" ]; echo $?) "a new report on SQLite: $on_sqlite"
is "$on_pg" "$on_sqlite" "  the same next number on PostgreSQL"
is "$on_back" "$on_sqlite" "  and on the SQLite copy"

done_testing
