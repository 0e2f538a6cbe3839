#!/bin/sh
# recipe.sh [OPTION...] FILE: print the Postfix recipe of FILE (normally
# debian/README.Debian) as a shell script, so that the tests run the
# documented recipe itself rather than a copy of it.  The recipe is the
# block of lines indented by four spaces from "    # BEGIN RECIPE" to
# "    # END OF RECIPE"; it is printed with the indentation removed.
#
# Used word for word by tests/package/run.sh (no options), and by the
# end-to-end tests on their private Postfix instance (postfix-lib.sh's
# pf_recipe) with only these paths and names replaced:
#
#   --bin PATH          for /usr/bin/madoguchi (the packaged binary)
#   --config-dir DIR    for /etc/postfix (the instance's config_directory;
#                       the caller also exports MAIL_CONFIG=DIR, so that
#                       postconf, postmap and postfix act on DIR too)
#   --user NAME         for user=madoguchi (whom pipe(8) runs madoguchi as)
#   --address ADDR      for info@localhost (the team's address; the
#                       recipe says to write one's own)
#
# Each replaced text must occur in the recipe: a recipe rewritten so that
# a replacement no longer applies fails here, loudly, instead of running
# against the system's paths.  Exit 0, or 1 with a message on stderr.
set -eu

usage() {
  echo "usage: recipe.sh [--bin PATH] [--config-dir DIR] [--user NAME]" \
    "[--address ADDR] FILE" >&2
  exit 1
}

subst=
while [ $# -gt 1 ]; do
  case $1 in
    --bin) from=/usr/bin/madoguchi ;;
    --config-dir) from=/etc/postfix ;;
    --user) from=user=madoguchi ;;
    --address) from=info@localhost ;;
    *) usage ;;
  esac
  [ $# -ge 3 ] || usage
  to=$2
  [ "$1" = --user ] && to=user=$2
  # One "FROM<TAB>TO" line per replacement, for awk below.
  subst="$subst$from	$to
"
  shift 2
done
[ $# -eq 1 ] || usage
file=$1
[ -r "$file" ] || { echo "recipe.sh: cannot read $file" >&2; exit 1; }

recipe=$(sed -n '/^    # BEGIN RECIPE$/,/^    # END OF RECIPE$/s/^    //p' "$file")
if [ "$(printf '%s\n' "$recipe" | grep -c -v '^#')" -lt 3 ]; then
  echo "recipe.sh: no recipe (BEGIN RECIPE .. END OF RECIPE) in $file" >&2
  exit 1
fi

# Literal replacement (no regular expressions: paths hold dots, and the
# replacements hold slashes and ampersands).
# The recipe goes through the environment: awk -v would expand backslashes.
printf '%s' "$subst" | RECIPE=$recipe awk -F '\t' '
  BEGIN { recipe = ENVIRON["RECIPE"] }
  { from[NR] = $1; to[NR] = $2; n = NR }
  END {
    for (i = 1; i <= n; i++) {
      out = ""
      rest = recipe
      found = 0
      while ((p = index(rest, from[i])) > 0) {
        out = out substr(rest, 1, p - 1) to[i]
        rest = substr(rest, p + length(from[i]))
        found = 1
      }
      if (!found) {
        printf "recipe.sh: \"%s\" is not in the recipe any more\n", \
          from[i] > "/dev/stderr"
        exit 1
      }
      recipe = out rest
    }
    print recipe
  }'
