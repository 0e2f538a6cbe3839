#!/bin/sh
# The house's layers and doors (DESIGN.md, HACKING), checked on the
# sources' #include lines:
#   Base      config log report raw address contact template keyfile sha256
#             charset json csv output: GLib only, nothing above
#   Store     store* stats export: Base and Store
#   Pipeline  spool* mime-scan message* rules* prefilter* timestamp extract* classify*
#             reply outbox notify archive feed intake*: Base, Store
#             (intake*, outbox and notify only) and Pipeline
#   Face      main cmd-* command datadir print: anything
# and each library is seen by its own module only: sqlite3.h by the
# store, pcre2.h and hs.h by the rules, gmime by message, reply and
# notify.  A file the lists do not name fails: every new module is
# placed on purpose.
. "$(dirname "$0")/lib.sh"
not_in_pg_pass "a check of the source (the layers), not of a store"

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1

layer_of() {   # a module's name (src/x.c, src/x-y.c, include/madoguchi/x.h)
  name=$(basename "$1")
  name=${name%.*}
  case $name in
    config|log|report|raw|address|contact|template|keyfile|sha256|charset|charset-*|json|csv|output|schema)
      echo base ;;
    store|store-*|stats|stats-*|export) echo store ;;
    spool|spool-*|mime-scan|message|message-*|gmime-autoptr|rules|rules-*|prefilter|prefilter-*|timestamp|extract|extract-*|classify|classify-*|reply|reply-*|outbox|notify|archive|feed|intake|intake-*)
      echo pipeline ;;
    main|cmd-*|command|datadir|print) echo face ;;
    *) echo unknown ;;
  esac
}
rank() { case $1 in base) echo 0 ;; store) echo 1 ;; pipeline) echo 2 ;; face) echo 3 ;; *) echo 9 ;; esac; }

up=
unplaced=
for f in src/*.c src/*.h include/madoguchi/*.h; do
  from=$(layer_of "$f")
  [ "$from" = unknown ] && { unplaced="$unplaced $f"; continue; }
  for inc in $(sed -n 's/^#include "\(madoguchi\/\)\{0,1\}\([a-z0-9-]*\)\.h".*/\2/p' "$f"); do
    to=$(layer_of "$inc.h")
    [ "$to" = unknown ] && { unplaced="$unplaced $inc.h(in $f)"; continue; }
    allowed=no
    if [ "$(rank "$to")" -lt "$(rank "$from")" ] || [ "$to" = "$from" ]; then
      allowed=yes
    fi
    # Pipeline's Store door: only intake, outbox and notify hand records
    # to the store or read its outbox.
    if [ "$from" = pipeline ] && [ "$to" = store ]; then
      case $(basename "$f") in intake.*|intake-*|outbox.*|notify.*) ;; *) allowed=no ;; esac
    fi
    [ "$allowed" = yes ] || up="$up $f->$inc($from->$to)"
  done
done
is "$unplaced" "" "every module is placed in a layer"
is "$up" "" "no include goes up a layer or sideways"

door() {   # PATTERN OWNERS-REGEX WHAT
  hits=$(grep -lE "^#include <$1" src/*.c src/*.h include/madoguchi/*.h \
           | grep -vE "$2" || true)
  is "$hits" "" "$3"
}
door 'sqlite3\.h' '^src/store[^/]*$' "only the store sees sqlite3.h"
door 'libpq-fe\.h' '^src/store-pg[^/]*$' "only store-pg* sees libpq"
door '(pcre2|hs/hs|hs)\.h' '^src/rules[^/]*$' "only the rules module sees PCRE2 and Vectorscan"
door 'gmime/' '^src/(message[^/]*|reply\.c|reply-pgp\.[ch]|notify\.c|gmime-autoptr\.h)$' \
  "only message, reply and notify see GMime"
door 'archive\.h|archive_entry\.h' '^src/archive\.c$' "only archive.c sees libarchive"
done_testing
