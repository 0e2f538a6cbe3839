#!/bin/sh
# The Debian package as an administrator meets it: build it from the tree
# (dpkg-buildpackage), install it, check the user, the paths and the
# database postinst made, run the Postfix recipe of debian/README.Debian
# word for word against this machine's Postfix, deliver a report through
# it, then remove and purge the package.  Needs root, dpkg-dev, debhelper
# and Postfix (.ci/install-deps); run by .ci/run.  It changes the system
# (a package, a user, Postfix's configuration, which it restores).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$PATH:/usr/sbin:/sbin

skip() { echo "package: SKIP $1"; exit 77; }
fail() { echo "package: FAIL $1" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || skip "needs root"
command -v dpkg-buildpackage >/dev/null || skip "dpkg-dev is not installed"
command -v dh >/dev/null || skip "debhelper is not installed"
command -v postfix >/dev/null || skip "Postfix is not installed"
if dpkg -s madoguchi >/dev/null 2>&1; then
  fail "a madoguchi package is installed already; purge it first"
fi

work=$(mktemp -d /tmp/madoguchi-package.XXXXXX)
postfix_was_running=
postfix status >/dev/null 2>&1 && postfix_was_running=yes
cp -a /etc/postfix "$work/postfix.saved"
restore() {
  dpkg --purge madoguchi >/dev/null 2>&1 || true
  if [ -d "$work/postfix.saved" ]; then
    rm -rf /etc/postfix
    cp -a "$work/postfix.saved" /etc/postfix
  fi
  if [ -n "$postfix_was_running" ]; then
    postfix reload >/dev/null 2>&1 || true
  else
    postfix stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap restore EXIT
trap 'exit 1' HUP INT TERM

echo "package: building"
mkdir "$work/src"
(cd "$top" && tar --exclude='./build*' --exclude=./.git -cf - .) \
  | tar -xf - -C "$work/src"
# dpkg-buildpackage builds with one job unless told: CI has two cores.
(cd "$work/src" && DEB_BUILD_OPTIONS="parallel=2 ${DEB_BUILD_OPTIONS:-}" \
  dpkg-buildpackage -b -us -uc) > "$work/build.log" 2>&1 \
  || { tail -40 "$work/build.log"; fail "dpkg-buildpackage failed"; }
deb=$(ls "$work"/madoguchi_*.deb)

echo "package: installing $(basename "$deb")"
dpkg -i "$deb" > "$work/install.log" 2>&1 \
  || { cat "$work/install.log"; fail "dpkg -i failed"; }
getent passwd madoguchi >/dev/null || fail "no madoguchi user"
[ "$(stat -c '%U %a' /var/lib/madoguchi)" = "madoguchi 700" ] \
  || fail "/var/lib/madoguchi is $(stat -c '%U %a' /var/lib/madoguchi)"
[ -f /var/lib/madoguchi/madoguchi.db ] || fail "postinst made no database"
[ -f /etc/madoguchi/madoguchi.conf ] || fail "no /etc/madoguchi/madoguchi.conf"
grep -qx /etc/madoguchi/madoguchi.conf /var/lib/dpkg/info/madoguchi.conffiles \
  || fail "madoguchi.conf is not a conffile"
[ -f /usr/share/madoguchi/rules/extract.rules ] || fail "no rules"
[ -f /usr/lib/systemd/system/madoguchi-spool.timer ] \
  || [ -f /lib/systemd/system/madoguchi-spool.timer ] || fail "no timers"
runuser -u madoguchi -- madoguchi config | grep -q '/var/lib/madoguchi' \
  || fail "madoguchi config does not show /var/lib/madoguchi"

echo "package: the Postfix recipe of README.Debian"
# The same extractor as the e2e tests' (tests/e2e/recipe.sh), with no
# replacement: the packaged paths are the documented ones.
sh "$top/tests/e2e/recipe.sh" "$top/debian/README.Debian" > "$work/recipe.sh" \
  || fail "no recipe in README.Debian"
postfix status >/dev/null 2>&1 || postfix start >/dev/null 2>&1 \
  || fail "cannot start Postfix"
sh -eu "$work/recipe.sh" || fail "the recipe failed"

echo "package: a report through Postfix"
/usr/sbin/sendmail -f reporter@localhost info@localhost \
  < "$top/tests/data/plain-english.eml"
i=0
while [ "$i" -lt 60 ]; do
  n=$(runuser -u madoguchi -- madoguchi list --all --json 2>/dev/null \
        | grep -o '"number":' | wc -l)
  [ "$n" -ge 1 ] && break
  sleep 0.5
  i=$((i + 1))
done
if [ "$n" -lt 1 ]; then
  postqueue -p || true
  tail -20 /var/log/mail.log 2>/dev/null || true
  fail "the report sent through Postfix was not filed"
fi

echo "package: remove and purge"
dpkg --remove madoguchi > "$work/remove.log" 2>&1 || fail "dpkg --remove failed"
[ ! -e /usr/bin/madoguchi ] || fail "/usr/bin/madoguchi is still there"
[ -d /var/lib/madoguchi ] || fail "remove (not purge) lost the tickets"
dpkg --purge madoguchi > "$work/purge.log" 2>&1 || fail "dpkg --purge failed"
[ ! -e /var/lib/madoguchi ] || fail "purge left /var/lib/madoguchi"
[ ! -e /etc/madoguchi/madoguchi.conf ] || fail "purge left the conffile"
echo "package: ok"
