# postfix-lib.sh - what the tests running a private Postfix instance
# (t080-postfix, t085-postfix-notify, t110-mta-ack) share; sourced after
# lib.sh.  It skips the test unless it runs as root with Postfix, a
# 'nobody' user and setpriv; sets PF (the instance's directory), CONF,
# MAILLOG, RUN_USER and RUN_GROUP (whom pipe(8) runs madoguchi as, and
# local(8) the mailboxes); stops the instance on exit once the test has
# set pf_started; and defines the helpers below.  pf_recipe configures
# the instance with the Postfix recipe of debian/README.Debian itself.

PATH=$PATH:/usr/sbin:/sbin
export PATH

[ "$(id -u)" -eq 0 ] || skip_all "needs root to run a private Postfix instance"
for cmd in postfix postalias postconf postqueue; do
  command -v "$cmd" >/dev/null 2>&1 || skip_all "Postfix is not installed ($cmd)"
done
id postfix >/dev/null 2>&1 || skip_all "Postfix is not installed (no postfix user)"
getent group postdrop >/dev/null 2>&1 \
  || skip_all "Postfix is not installed (no postdrop group)"
id nobody >/dev/null 2>&1 || skip_all "no 'nobody' user for default_privs"
command -v setpriv >/dev/null 2>&1 || skip_all "setpriv (util-linux) is missing"

E2E_DIR=$(cd "$(dirname "$0")" && pwd)
README_DEBIAN=$E2E_DIR/../../debian/README.Debian
[ -r "$README_DEBIAN" ] || skip_all "no debian/README.Debian next to $E2E_DIR"

PF=$TEST_HOME/postfix
CONF=$PF/conf
MAILLOG=$PF/maillog
RUN_USER=nobody
RUN_GROUP=$(id -gn nobody)
pf_started=
pf_alt_added=

pf_exit() {
  if [ -n "$pf_started" ]; then
    postfix -c "$CONF" stop >/dev/null 2>&1
    # stop only signals master(8): wait until it has really gone (its
    # pid file lock is released) before the queue is removed under it.
    i=0
    while [ "$i" -lt 100 ] && postfix -c "$CONF" status >/dev/null 2>&1; do
      nap
      i=$((i + 1))
    done
  fi
  [ -z "$pf_alt_added" ] || pf_disallow_sendmail
  cleanup
}
trap pf_exit EXIT
trap 'exit 1' HUP INT PIPE TERM

# diag_log: the instance's log, as TAP diagnostics.
diag_log() {
  echo "# --- $MAILLOG (last 40 lines) ---"
  sed 's/^/# /' "$MAILLOG" 2>/dev/null | tail -40
}

# bail WHY: stop here (later steps would only wait out their timeouts),
# with the log and the queue as diagnostics.
bail() {
  echo "# bailing out: $1"
  diag_log
  postqueue -c "$CONF" -p 2>&1 | sed 's/^/# queue: /'
  done_testing
}

# as_user COMMAND...: run COMMAND as the user deliver runs as.
as_user() {
  setpriv --reuid="$RUN_USER" --regid="$RUN_GROUP" --clear-groups "$@"
}

# as_user_wrapper BINARY: a script that runs BINARY as the user deliver
# runs as (its path is printed), for every madoguchi command of the test.
as_user_wrapper() {
  wrapper=$TEST_HOME/bin/madoguchi-as-$RUN_USER
  {
    echo '#!/bin/sh'
    echo "exec setpriv --reuid=$RUN_USER --regid=$RUN_GROUP --clear-groups \\"
    echo "  '$1' \"\$@\""
  } > "$wrapper"
  chmod 0755 "$wrapper"
  echo "$wrapper"
}

# queue_empty: nothing left in the private queue.
queue_empty() {
  postqueue -c "$CONF" -p 2>/dev/null | grep -q '^Mail queue is empty'
}

# tickets_json: list --json, one ticket per line.
tickets_json() {
  "$MADOGUCHI" list --all --json | sed 's/},{"number"/}\
{"number"/g'
}

# ticket_number FIXED-STRING: the number of the one ticket whose list
# entry contains FIXED-STRING (empty when not exactly one).
ticket_number() {
  tickets_json | grep -F -- "$1" > "$TEST_HOME/match"
  if [ "$(wc -l < "$TEST_HOME/match" | tr -d ' ')" = 1 ]; then
    sed 's/.*"number":"\([^"]*\)".*/\1/' "$TEST_HOME/match"
  fi
}

# pf_main_cf TEST DESTINATIONS [LINE...]: writes $CONF/main.cf of a
# private Postfix instance for test TEST: its queue under $PF, loopback
# only, nothing relayed or sent out, its log in $MAILLOG; it is the final
# destination of DESTINATIONS; each LINE is added as it is.  The recipe
# (pf_recipe) adds the madoguchi transport.
pf_main_cf() {
  pf_test=$1 pf_destinations=$2
  shift 2
  {
    cat <<EOF
# Private test instance ($pf_test); nothing here is shared.
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.cert.example.test
mydomain = cert.example.test
myorigin = \$mydomain
mydestination = $pf_destinations
inet_interfaces = loopback-only
inet_protocols = ipv4
alias_maps = hash:$CONF/aliases
alias_database = hash:$CONF/aliases
default_transport = error:private test instance, no outbound mail
relay_transport = error:private test instance, no outbound mail
maillog_file = $MAILLOG
maillog_file_prefixes = $PF
biff = no
append_dot_mydomain = no
delay_warning_time = 0h
EOF
    for line in "$@"; do
      echo "$line"
    done
  } > "$CONF/main.cf"
}

# master_cf_services: the lines of master.cf for Postfix's internal
# services, a header first; no listener of any kind.  chroot is "n"
# everywhere: the queue is not a prepared chroot jail.
master_cf_services() {
  cat <<'MASTER'
# service type  private unpriv  chroot  wakeup  maxproc command
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
postlog   unix-dgram n  -       n       -       1       postlogd
MASTER
}

# pf_env_wrapper BINARY: a script (its path is printed) that runs BINARY
# with this test's MADOGUCHI_HOME and MADOGUCHI_CONFIG: pipe(8) passes
# none of our environment, and the recipe's argv= has no room for it.
# It stands in for /usr/bin/madoguchi in the recipe.
pf_env_wrapper() {
  wrapper=$TEST_HOME/bin/madoguchi-env
  {
    echo '#!/bin/sh'
    echo "MADOGUCHI_HOME='$MADOGUCHI_HOME'"
    echo "MADOGUCHI_CONFIG='$MADOGUCHI_CONFIG'"
    echo 'export MADOGUCHI_HOME MADOGUCHI_CONFIG'
    # The PostgreSQL pass (tests/pg/pg-e2e.sh): the database's URI too.
    if [ -n "${MADOGUCHI_DATABASE:-}" ]; then
      echo "MADOGUCHI_DATABASE='$MADOGUCHI_DATABASE'"
      echo 'export MADOGUCHI_DATABASE'
    fi
    echo "exec '$1' \"\$@\""
  } > "$wrapper"
  chmod 0755 "$wrapper"
  echo "$wrapper"
}

# pf_recipe BINARY ADDRESS: run the Postfix recipe of debian/README.Debian
# on the (running: the recipe ends with `postfix reload`) private
# instance, as extracted by recipe.sh, the script tests/package/run.sh
# runs word for word.  Only what names this machine is replaced: the
# binary (BINARY), /etc/postfix ($CONF, and MAIL_CONFIG=$CONF for the
# postconf, postmap and postfix of the recipe), user=madoguchi
# ($RUN_USER) and info@localhost (ADDRESS).  The recipe is shown as TAP
# diagnostics; the status is the recipe's (sh -eu: any failing line).
pf_recipe() {
  sh "$E2E_DIR/recipe.sh" --bin "$1" --config-dir "$CONF" \
    --user "$RUN_USER" --address "$2" "$README_DEBIAN" > "$PF/recipe.sh" \
    || return 1
  sed 's/^/# recipe: /' "$PF/recipe.sh"
  (MAIL_CONFIG=$CONF && export MAIL_CONFIG && sh -eu "$PF/recipe.sh")
}

# pf_allow_sendmail: let a non-root caller (madoguchi, as $RUN_USER)
# submit with `sendmail -C $CONF`.  Postfix's sendmail and postdrop take a
# non-default configuration directory from an unprivileged caller only
# when the DEFAULT main.cf lists it in alternate_config_directories; so
# $CONF is added to that parameter of the system's main.cf, and taken out
# again on exit (other entries, and changes made meanwhile, are kept).
# This is the one change any test makes to the system's Postfix: it
# affects neither how nor whether that Postfix delivers mail, and needs
# no reload.
# A test killed outright (SIGKILL) cannot take its entry out: the next
# one drops entries of test directories that no longer exist.
pf_allow_sendmail() {
  [ -f /etc/postfix/main.cf ] || return 1
  pf_alt_added=1
  pf_set_alt "$CONF"
}

pf_disallow_sendmail() {
  pf_set_alt ""
  pf_alt_added=
}

# pf_set_alt [DIR]: alternate_config_directories without $CONF and
# without gone test directories, plus DIR; removed when that is nothing.
pf_set_alt() {
  keep=
  for dir in $(postconf -h alternate_config_directories 2>/dev/null \
                 | tr ',' ' '); do
    [ "$dir" != "$CONF" ] || continue
    case $dir in
      */madoguchi-test.*/postfix/conf) [ -d "$dir" ] || continue ;;
    esac
    keep="${keep:+$keep, }$dir"
  done
  [ -z "$1" ] || keep="${keep:+$keep, }$1"
  if [ -n "$keep" ]; then
    postconf -e "alternate_config_directories = $keep"
  else
    postconf -X alternate_config_directories
  fi
}
