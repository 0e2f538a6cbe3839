#!/bin/sh
# No SQL is ever built from strings: every statement is a constant with
# :named parameters (STYLE.md).  Look for the ways it could be built.
. "$(dirname "$0")/lib.sh"
not_in_pg_pass "a check of the source (SQL built from strings), not of a store"

src="$(dirname "$0")/../../src"

hits=$(grep -nE 'sqlite3_mprintf|sqlite3_vmprintf|sqlite3_snprintf|%q|%Q|%w' "$src"/*.c || true)
is "$hits" "" "no sqlite3 printf-style functions"

# A prepare or exec whose SQL is not a constant (SQL_...), a literal, a
# member of a constant table, or the database's text of a StoreSql pair.
# Calls are joined into one line first: they wrap at 80 columns.
hits=$(for f in "$src"/*.c; do
         awk -v f="$f" '/(store_prepare|store_cached|store_run_cached|sqlite3_prepare_v2|store_exec|sqlite3_exec) \(/ && !/;/ \
                          { held = held $0; next }
                        held != "" { print f ":" NR ":" held $0; held = ""; next }
                        { print f ":" NR ":" $0 }' "$f"
       done \
  | sed 's/  */ /g' \
  | grep -E '(store_prepare|store_cached|store_run_cached|sqlite3_prepare_v2|store_exec|sqlite3_exec) \(' \
  | grep -vE '(store_prepare|store_cached|store_run_cached|sqlite3_prepare_v2|store_exec|sqlite3_exec) \((store|store->db|db|stmt|LITE \(store\)|from|to),? ?(SQL_[A-Z_]+(\[(i|order)\])?|store_sql \((store|from), &(SQL_[A-Z_]+(\[(i|order)\])?|copy->select)\)|copy->insert|"[^"]*"|sql|kind->sql|c->field->(get|set)|get|begin|commit|rollback|\(const char \*\) store_schema_(pg_)?sql)[,)]' \
  | grep -vE '^[^:]+:[0-9]+:(static|[a-z_]+ \*?$|store_prepare \(Store|store_cached \(Store|store_run_cached \(Store|store_exec \(Store)' || true)
is "$hits" "" "every prepared statement is a constant"

# A cached statement belongs to the connection's cache: g_autoptr
# (StoreCached) resets it, g_autoptr (sqlite3_stmt) would finalize it
# under the cache.
hits=$(grep -nE 'g_autoptr \(sqlite3_stmt\).*store_cached' "$src"/*.c || true)
is "$hits" "" "no cached statement held by g_autoptr (sqlite3_stmt)"

# String formatting that mentions SQL keywords near a statement.
hits=$(grep -nE 'g_strdup_printf \("(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|PRAGMA)' "$src"/*.c || true)
is "$hits" "" "no SQL assembled with g_strdup_printf"

done_testing
