#!/bin/sh
# OpenPGP in reports: PGP/MIME (RFC 3156) encrypted, signed and both,
# inline armor (also in an ISO-2022-JP body), decrypted and verified with
# the team's keyring (gnupg_home), and what cannot be: another key,
# broken armor, a tampered body, a compression bomb, 10,000 recipients.
# Every one is filed (exit 0); the ticket says what came of its PGP.
# Keys are made here, without passphrases, in throwaway GnuPG homes
# whose agents are stopped at the end.
. "$(dirname "$0")/lib.sh"

command -v gpg >/dev/null 2>&1 || skip_all "gpg is not installed"
command -v gpgconf >/dev/null 2>&1 || skip_all "gpgconf is not installed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
command -v iconv >/dev/null 2>&1 || skip_all "iconv is not installed"

TEAM=$TEST_HOME/team-gnupg      # the team's keyring, as madoguchi uses it
REP=$TEST_HOME/reporter-gnupg   # a reporter's
OTHER=$TEST_HOME/other-gnupg    # someone else the reporter wrote to
mkdir -m 700 "$TEAM" "$REP" "$OTHER"
stop_agents() {
  for home in "$TEAM" "$REP" "$OTHER"; do
    gpgconf --homedir "$home" --kill all 2>/dev/null
  done
  cleanup
}
trap stop_agents EXIT

g() { home=$1; shift; gpg --homedir "$home" --batch --quiet --yes \
        --pinentry-mode loopback --passphrase '' "$@" 2>/dev/null; }
newkey() {
  g "$1" --quick-gen-key "$2" ed25519 sign,cert never
  g "$1" --quick-add-key "$(fpr "$1" "$2")" cv25519 encr never
}
fpr() { gpg --homedir "$1" --with-colons --list-keys "$2" 2>/dev/null \
          | awk -F: '/^fpr/ { print $10; exit }'; }
newkey "$TEAM" "CSIRT <info@localhost>"
newkey "$REP" "Reporter <rep@example.org>"
newkey "$OTHER" "Other <other@example.net>"
g "$TEAM" --export info@localhost > "$TEST_HOME/team.pub"
g "$REP" --export rep@example.org > "$TEST_HOME/rep.pub"
g "$OTHER" --export other@example.net > "$TEST_HOME/other.pub"
g "$REP" --import "$TEST_HOME/team.pub" "$TEST_HOME/other.pub"
g "$TEAM" --import "$TEST_HOME/rep.pub"
REP_FPR=$(fpr "$REP" rep@example.org)
[ -n "$REP_FPR" ] || skip_all "gpg could not make keys here"

printf '[madoguchi]\ngnupg_home = %s\nmax_message_size = 4M\n' "$TEAM" \
  > "$TEST_HOME/pgp.conf"
MADOGUCHI_CONFIG=$TEST_HOME/pgp.conf
export MADOGUCHI_CONFIG

inner() {   # the MIME part a reporter encrypts or signs
  printf 'Content-Type: text/plain; charset=utf-8\r\n\r\n'
  printf 'Scans from %s since 2026-12-01 10:00:00 UTC.\r\n' "$1"
}
headers() {   # FILE SUBJECT CONTENT-TYPE
  printf 'From: Reporter <rep@example.org>\nTo: info@localhost\n'
  printf 'Subject: %s\nMessage-ID: <%s@example.org>\n' "$2" "$1"
  printf 'Date: Tue, 01 Dec 2026 11:00:00 +0000\nMIME-Version: 1.0\n'
  printf 'Content-Type: %s\n\n' "$3"
}
encrypted() {   # NAME SUBJECT ARMORED-FILE
  { headers "$1" "$2" 'multipart/encrypted; protocol="application/pgp-encrypted"; boundary="enc"'
    printf -- '--enc\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n'
    printf -- '--enc\nContent-Type: application/octet-stream\n\n'
    cat "$3"
    printf -- '\n--enc--\n'; } > "$TEST_HOME/$1.eml"
}
file_it() {   # NAME: deliver, then the ticket's show --json in $TEST_HOME/NAME.json
  "$MADOGUCHI" deliver < "$TEST_HOME/$1.eml"
  rc=$?
  is "$rc" 0 "$1: filed (exit 0)"
  n=$("$MADOGUCHI" list --all --json | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["subject"] == sys.argv[1]: print(t["number"])' "$1")
  "$MADOGUCHI" show --json "$n" > "$TEST_HOME/$1.json"
  "$MADOGUCHI" show "$n" > "$TEST_HOME/$1.txt"
}
field() {   # NAME KEY: the report's KEY in show --json
  python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))["messages"][0]
v = m.get(sys.argv[2])
print("" if v is None else v)' "$TEST_HOME/$1.json" "$2"
}
has_ip() {   # NAME IP
  grep -q "\"$2\"" "$TEST_HOME/$1.json"
}

# 1. PGP/MIME encrypted to the team, and signed by a known reporter.
inner 198.51.100.11 | g "$REP" --armor --trust-model always \
  -r info@localhost --sign --encrypt > "$TEST_HOME/c1.asc"
encrypted enc-signed enc-signed "$TEST_HOME/c1.asc"
file_it enc-signed
is "$(field enc-signed encryption)" decrypted "encrypted+signed: decrypted"
is "$(field enc-signed signature)" good "encrypted+signed: signature good"
is "$(field enc-signed signer)" "$REP_FPR" "encrypted+signed: the signer's fingerprint"
has_ip enc-signed 198.51.100.11
ok $? "encrypted+signed: the address inside is evidence"
grep -q "^PGP: *encrypted, decrypted, signature good by $REP_FPR" \
  "$TEST_HOME/enc-signed.txt"
ok $? "show says it was decrypted and who signed it"
list_sig=$("$MADOGUCHI" list --all --json | python3 -c '
import json, sys
print([t["signature"] for t in json.load(sys.stdin) if t["subject"] == "enc-signed"][0])')
is "$list_sig" good "list --json gives the report's signature"

# 2. PGP/MIME signed only (multipart/signed over the CRLF part).
inner 198.51.100.12 > "$TEST_HOME/signed.part"
g "$REP" --armor --detach-sign < "$TEST_HOME/signed.part" > "$TEST_HOME/signed.sig"
signed_mail() {   # NAME PART
  { headers "$1" "$1" 'multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="sig"'
    printf -- '--sig\r\n'
    cat "$2"
    printf -- '\r\n--sig\r\nContent-Type: application/pgp-signature\r\n\r\n'
    cat "$TEST_HOME/signed.sig"
    printf -- '\r\n--sig--\r\n'; } > "$TEST_HOME/$1.eml"
}
signed_mail signed "$TEST_HOME/signed.part"
file_it signed
is "$(field signed signature)" good "multipart/signed: signature good"
is "$(field signed encryption)" "" "multipart/signed: not encrypted"
has_ip signed 198.51.100.12
ok $? "multipart/signed: the address is evidence"

# 3. The same signature over a different body.
inner 198.51.100.99 > "$TEST_HOME/tampered.part"
signed_mail tampered "$TEST_HOME/tampered.part"
file_it tampered
is "$(field tampered signature)" bad "a signature over another body: bad"

# 4. Inline clear-signed text.
{ headers inline-signed inline-signed 'text/plain; charset=utf-8'
  printf 'Scans from 198.51.100.14 since 2026-12-01 10:00:00 UTC.\n' \
    | g "$REP" --clearsign; } > "$TEST_HOME/inline-signed.eml"
file_it inline-signed
is "$(field inline-signed signature)" good "inline clear-signed: signature good"
has_ip inline-signed 198.51.100.14
ok $? "inline clear-signed: the address is evidence"

# 5. Inline encrypted inside an ISO-2022-JP body, Japanese plaintext.
printf '198.51.100.15 からの不正アクセスを確認しました。\n' \
  | iconv -f UTF-8 -t ISO-2022-JP \
  | g "$REP" --armor --trust-model always -r info@localhost --encrypt \
  > "$TEST_HOME/jp.asc"
{ headers inline-jp inline-jp 'text/plain; charset=ISO-2022-JP'
  printf 'Note:\n'
  cat "$TEST_HOME/jp.asc"; } > "$TEST_HOME/inline-jp.eml"
file_it inline-jp
is "$(field inline-jp encryption)" decrypted "inline in ISO-2022-JP: decrypted"
has_ip inline-jp 198.51.100.15
ok $? "inline in ISO-2022-JP: the address is evidence"
grep -q '不正アクセスを確認' "$TEST_HOME/inline-jp.txt"
ok $? "inline in ISO-2022-JP: the Japanese plaintext reads as Japanese"

# 6. Encrypted to someone else: filed, flagged, the reason given.
inner 198.51.100.16 | g "$REP" --armor --trust-model always \
  -r other@example.net --encrypt > "$TEST_HOME/c6.asc"
encrypted other-key other-key "$TEST_HOME/c6.asc"
file_it other-key
is "$(field other-key encryption)" undecrypted "another key: undecrypted"
contains "$(field other-key flags)" undecrypted "another key: flagged"
contains "$(field other-key pgp_problem)" decrypt "another key: the reason"

# 7. Broken armor.
sed '5,7d' "$TEST_HOME/c1.asc" > "$TEST_HOME/c7.asc"
encrypted broken broken "$TEST_HOME/c7.asc"
file_it broken
is "$(field broken encryption)" undecrypted "broken armor: undecrypted"

# 8. A compression bomb: 64 MiB of zeros in a few kilobytes, against
# max_message_size = 4M.  Decryption stops at the cap.
head -c 67108864 /dev/zero \
  | g "$REP" --armor --trust-model always --compress-level 9 \
      -r info@localhost --encrypt > "$TEST_HOME/c8.asc"
encrypted bomb bomb "$TEST_HOME/c8.asc"
file_it bomb
is "$(field bomb encryption)" undecrypted "compression bomb: not decrypted"
contains "$(field bomb pgp_problem)" "larger than" "compression bomb: the reason"

# 9. 10,000 recipients (key IDs nobody has) before the team's own.
inner 198.51.100.19 | g "$REP" --trust-model always -r info@localhost \
  --encrypt > "$TEST_HOME/c9.bin"
python3 - "$TEST_HOME/c9.bin" "$TEST_HOME/c9.many" <<'PY'
import os, sys
data = open(sys.argv[1], "rb").read()
fake = b""
for i in range(10000):
    # A v3 public-key encrypted session key packet (tag 1) for an RSA key
    # that does not exist: version, key ID, algorithm, one 1024-bit MPI
    # (its top bit set, as a 1024-bit number has).
    mpi = bytes([0x80 | os.urandom(1)[0]]) + os.urandom(127)
    body = b"\x03" + os.urandom(8) + b"\x01" + b"\x04\x00" + mpi
    fake += bytes([0xC1, len(body)]) + body
open(sys.argv[2], "wb").write(fake + data)
PY
g "$REP" --enarmor < "$TEST_HOME/c9.many" \
  | sed 's/ARMORED FILE/MESSAGE/' > "$TEST_HOME/c9.asc"
encrypted many many "$TEST_HOME/c9.asc"
file_it many
is "$(field many encryption)" decrypted "10,000 recipients: decrypted"
has_ip many 198.51.100.19
ok $? "10,000 recipients: the address is evidence"

# 10. pgp_sign: the acknowledgement is PGP/MIME signed by the team's key.
# It is checked as a reporter would: filed by a madoguchi whose keyring
# (the reporter's) holds the team's public key.  Every report here comes
# from one reporter: the rate limits are lifted.
LIFT='ack_rate_hour = 1000\nack_rate_sender_hour = 1000\n'
TEAM_FPR=$(fpr "$TEAM" info@localhost)
printf "[madoguchi]\ngnupg_home = %s\npgp_sign = true\n$LIFT" "$TEAM" \
  > "$TEST_HOME/sign.conf"
MADOGUCHI_CONFIG=$TEST_HOME/sign.conf
export MADOGUCHI_CONFIG
{ headers ack-me ack-me 'text/plain; charset=utf-8'
  printf 'Scans from 198.51.100.20.\n'; } > "$TEST_HOME/ack-me.eml"
file_it ack-me
ack=$(grep -l 'ack-me@example.org' "$MADOGUCHI_HOME"/outbox/new/* 2>/dev/null | head -1)
[ -n "$ack" ]
ok $? "pgp_sign: the acknowledgement is in the outbox"
grep -qi '^Content-Type: multipart/signed' "$ack" \
  && grep -qi 'protocol="application/pgp-signature"' "$ack"
ok $? "pgp_sign: it is multipart/signed, protocol application/pgp-signature"
REPORTER_HOME=$TEST_HOME/reporter-home
mkdir -p "$REPORTER_HOME"
printf '[madoguchi]\ngnupg_home = %s\nacknowledge = false\n' "$REP" \
  > "$TEST_HOME/reporter.conf"
# The reporter's site: a data directory, and a database, of its own.
pg_e2e_other reporter
reporter() {
  MADOGUCHI_CONFIG=$TEST_HOME/reporter.conf MADOGUCHI_HOME=$REPORTER_HOME \
    MADOGUCHI_DATABASE=$PG_E2E_OTHER_URI "$MADOGUCHI" "$@"
}
reporter init >/dev/null
reporter deliver < "$ack"
reporter show --json "$(reporter list --all --json \
    | sed -n 's/.*"number":"\([^"]*\)".*/\1/p' | head -1)" \
  > "$TEST_HOME/ack-seen.json"
is "$(field ack-seen signature)" good "pgp_sign: the reporter finds the signature good"
is "$(field ack-seen signer)" "$TEAM_FPR" "pgp_sign: signed by the team's key"

# pgp_sign without a usable key: not sent unsigned, the reason recorded.
printf "[madoguchi]\ngnupg_home = %s\npgp_sign = true\n$LIFT" "$TEAM" \
  > "$TEST_HOME/nokey.conf"
printf 'team_address = nokey@localhost\n' >> "$TEST_HOME/nokey.conf"
MADOGUCHI_CONFIG=$TEST_HOME/nokey.conf
{ headers no-key no-key 'text/plain; charset=utf-8'
  printf 'Scans from 198.51.100.21.\n'; } > "$TEST_HOME/no-key.eml"
file_it no-key
contains "$(field no-key ack)" "cannot sign" \
  "pgp_sign without the team's key: not sent, and said why"
grep -l 'no-key@example.org' "$MADOGUCHI_HOME"/outbox/new/* >/dev/null 2>&1
is $? 1 "pgp_sign without the team's key: nothing unsigned went out"

# 11. A notification to a site whose key is in the team's keyring is
# encrypted to it (and signed in the same OpenPGP message); to a site
# whose key is not, it is only signed (multipart/signed).
OTHER_FPR=$(fpr "$OTHER" other@example.net)
g "$TEAM" --import "$TEST_HOME/other.pub"
g "$OTHER" --import "$TEST_HOME/team.pub"
MADOGUCHI_CONFIG=$TEST_HOME/sign.conf
export MADOGUCHI_CONFIG
printf 'match,name,email,language,pgp\n%s,%s,%s,%s,%s\n%s,%s,%s,%s,%s\n' \
  198.51.100.0/28 "Other Net" other@example.net en "$OTHER_FPR" \
  203.0.113.0/24 "Keyless Net" keyless@example.com en \
  0000000000000000000000000000000000000000 > "$TEST_HOME/contacts.csv"
"$MADOGUCHI" contacts import "$TEST_HOME/contacts.csv" >/dev/null
ok $? "contacts with PGP fingerprints imported"
{ headers site site 'text/plain; charset=utf-8'
  printf 'Scans from 198.51.100.5 and 203.0.113.9 at 2026-12-01 10:00:00 UTC.\n'
} > "$TEST_HOME/site.eml"
file_it site
"$MADOGUCHI" notify "$n" >/dev/null
ok $? "notify: sent"
enc=$(grep -l '^To: .*other@example.net' "$MADOGUCHI_HOME"/outbox/new/* | head -1)
grep -qi '^Content-Type: multipart/encrypted' "$enc" \
  && grep -qi 'protocol="application/pgp-encrypted"' "$enc"
ok $? "notify: to a site whose key the team has, multipart/encrypted"
sed -n '/-----BEGIN PGP MESSAGE-----/,/-----END PGP MESSAGE-----/p' "$enc" \
  | g "$OTHER" --status-file "$TEST_HOME/site.status" --decrypt \
  > "$TEST_HOME/site.plain"
grep -q '198.51.100.5' "$TEST_HOME/site.plain"
ok $? "notify: the site decrypts it and reads its address"
grep -q "GOODSIG" "$TEST_HOME/site.status"
ok $? "notify: signed with the encryption (pgp_sign), and the signature good"
! grep -q '198.51.100.5' "$enc"
ok $? "notify: the evidence is not in the clear"
plain=$(grep -l '^To: .*keyless@example.com' "$MADOGUCHI_HOME"/outbox/new/* | head -1)
grep -qi '^Content-Type: multipart/signed' "$plain"
ok $? "notify: to a site whose key the team lacks, signed, not encrypted"

# 12. PGP off (no gnupg_home): filed, flagged, and said why.
printf '[madoguchi]\n' > "$TEST_HOME/off.conf"
MADOGUCHI_CONFIG=$TEST_HOME/off.conf
encrypted off off "$TEST_HOME/c1.asc"
file_it off
is "$(field off encryption)" undecrypted "PGP off: undecrypted"
contains "$(field off pgp_problem)" gnupg_home "PGP off: the reason names gnupg_home"

done_testing
