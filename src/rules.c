/*
 * rules.c - the rule set: load the rule files of rules/ (each read by
 * rules-file.c) and the top-level domains, and what the set tells of its
 * rules (compiling and matching are rules-match.c's).
 *
 * Loading never fails because of one bad rule: the rule is skipped and a
 * RuleProblem (file, line, rule, PCRE2's message and offset) is kept, for
 * the log and for `madoguchi rules check`.  Intake goes on with the rest.
 */
#include "madoguchi/rules.h"

#include <string.h>

#include "madoguchi/prefilter.h"
#include "rules-private.h"

G_DEFINE_QUARK (madoguchi - rules - error - quark, rules_error)

/* Enough for any sane pattern on any sane line; a pathological pattern
 * or input stops here instead of burning the watchdog's time. */
#define RULES_MATCH_LIMIT 1000000
#define RULES_DEPTH_LIMIT 10000
#define RULES_HEAP_LIMIT (20 * 1024) /* KiB */

static const char *const kind_names[] = {
  "ipv4",      "ipv6",    "url",    "email",    "domain",   "port",
  "timestamp", "logline", "source", "classify", "negation", "formfield",
};

const char *
rules_kind_name (RuleKind kind)
{
  return kind_names[kind];
}

void
rules_rule_free (gpointer data)
{
  Rule *rule = data;

  pcre2_code_free (rule->code);
  pcre2_code_free (rule->ascii_code);
  if (rule->borrowed)
    g_free (rule->info.file_extensions); /* the array only */
  else
    {
      g_free (rule->info.name);
      g_free (rule->info.file);
      g_free (rule->info.pattern);
      g_strfreev (rule->info.file_extensions);
      g_free (rule->info.category);
      g_free (rule->info.where_arg);
      g_free (rule->info.field);
    }
  g_free (rule);
}

void
rules_problem_free (gpointer data)
{
  RuleProblem *p = data;

  g_free (p->file);
  g_free (p->rule);
  g_free (p->message);
  g_free (p);
}

void
rules_free (RuleSet *set)
{
  if (set == NULL)
    return;
  g_ptr_array_unref (set->rules);
  g_ptr_array_unref (set->problems);
  g_ptr_array_unref (set->tlds);
  g_free (set->tld_text);
  pcre2_match_context_free (set->match_context);
  prefilter_free (set->prefilter);
  if (set->cache != NULL)
    g_mapped_file_unref (set->cache);
  g_ptr_array_unref (set->retired);
  g_mutex_clear (&set->lock);
  g_free (set->dir);
  g_free (set);
}

void
rules_add_problem (RuleSet *set, RulePlace at, const char *fmt, ...)
{
  RuleProblem *p = g_new0 (RuleProblem, 1);
  va_list ap;

  va_start (ap, fmt);
  p->file = g_strdup (at.file);
  p->line = at.line;
  p->rule = g_strdup (at.rule);
  p->message = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_ptr_array_add (set->problems, p);
}

gboolean
rules_parse_zone (const char *text, gsize len, int *offset)
{
  static const struct
  {
    const char *name;
    int hours;
  } zones[] = {
    { "Z", 0 },    { "UT", 0 },   { "UTC", 0 },  { "GMT", 0 },  { "JST", 9 },
    { "KST", 9 },  { "EST", -5 }, { "EDT", -4 }, { "CST", -6 }, { "CDT", -5 },
    { "MST", -7 }, { "MDT", -6 }, { "PST", -8 }, { "PDT", -7 }, { "CET", 1 },
    { "CEST", 2 }, { "WET", 0 },  { "EET", 2 },  { "HKT", 8 },  { "SGT", 8 },
    { "IST", 5 },
  };
  int sign, hh, mm = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (zones); i++)
    if (strlen (zones[i].name) == len
        && g_ascii_strncasecmp (text, zones[i].name, len) == 0)
      {
        /* India's IST is +05:30, the only half-hour zone in the table. */
        *offset = zones[i].hours * 3600 + (zones[i].hours == 5) * 1800;
        return TRUE;
      }
  if (len < 3 || (text[0] != '+' && text[0] != '-'))
    return FALSE;
  sign = text[0] == '-' ? -1 : 1;
  if (!g_ascii_isdigit (text[1]) || !g_ascii_isdigit (text[2]))
    return FALSE;
  hh = (text[1] - '0') * 10 + (text[2] - '0');
  text += 3;
  len -= 3;
  if (len > 0 && *text == ':')
    text++, len--;
  if (len == 2 && g_ascii_isdigit (text[0]) && g_ascii_isdigit (text[1]))
    mm = (text[0] - '0') * 10 + (text[1] - '0');
  else if (len != 0)
    return FALSE;
  if (hh > 14 || mm > 59)
    return FALSE;
  *offset = sign * (hh * 3600 + mm * 60);
  return TRUE;
}

gboolean
rules_kind_parse (const char *text, RuleKind *kind)
{
  for (gsize i = 0; i < G_N_ELEMENTS (kind_names); i++)
    if (g_strcmp0 (text, kind_names[i]) == 0)
      {
        *kind = (RuleKind) i;
        return TRUE;
      }
  return FALSE;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* A sorted array and not a hash table: the cache stores the list in
 * order, so a process reading it only splits one string, where filling
 * a table of ~1,300 names was a tenth of loading the rules. */
void
rules_set_tlds (RuleSet *set, char *text)
{
  GPtrArray *tlds = set->tlds;
  guint kept = 0;

  g_free (set->tld_text);
  set->tld_text = text;
  g_ptr_array_set_size (tlds, 0);
  for (char *line = text; line != NULL && *line != '\0';)
    {
      char *end = strchr (line, '\n');

      if (end != NULL)
        *end = '\0';
      if (*line != '\0')
        g_ptr_array_add (tlds, line);
      line = end != NULL ? end + 1 : NULL;
    }
  for (guint i = 1; i < tlds->len; i++)
    if (strcmp (tlds->pdata[i - 1], tlds->pdata[i]) >= 0)
      {
        g_ptr_array_sort (tlds, compare_names);
        break;
      }
  for (guint i = 0; i < tlds->len; i++)
    if (kept == 0 || strcmp (tlds->pdata[kept - 1], tlds->pdata[i]) != 0)
      tlds->pdata[kept++] = tlds->pdata[i];
  g_ptr_array_set_size (tlds, kept);
}

guint
rules_count (const RuleSet *set)
{
  return set->rules->len;
}

const Rule *
rules_nth (const RuleSet *set, guint i)
{
  return set->rules->pdata[i];
}

const RuleInfo *
rules_info (const Rule *rule)
{
  return &rule->info;
}

gboolean
rules_broken (const Rule *rule)
{
  return g_atomic_int_get (&((Rule *) rule)->broken);
}

const GPtrArray *
rules_problems (const RuleSet *set)
{
  return set->problems;
}

void
rules_set_utf_only (RuleSet *set, gboolean utf_only)
{
  set->utf_only = utf_only;
}

const char *
rules_dir (const RuleSet *set)
{
  return set->dir;
}

guint
rules_tld_count (const RuleSet *set)
{
  return set->tlds->len;
}

void
rules_set_on_problem (RuleSet *set,
                      void (*on_problem) (const RuleSet *set,
                                          const RuleProblem *problem))
{
  set->on_problem = on_problem;
}

gboolean
rules_known_tld (const RuleSet *set, const char *tld)
{
  return bsearch (&tld, set->tlds->pdata, set->tlds->len, sizeof (char *),
                  compare_names)
         != NULL;
}

/* rules/tlds: one top-level domain per line, '#' comments. */
static void
load_tlds (RuleSet *set, const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "tlds", NULL);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  GString *tlds;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    {
      rules_add_problem (set,
                         (RulePlace){ .file = "tlds", .line = 0, .rule = NULL },
                         "missing: domain names will not "
                         "be extracted");
      return;
    }
  tlds = g_string_new (NULL);
  lines = g_strsplit (text, "\n", -1);
  for (gsize i = 0; lines[i] != NULL; i++)
    {
      char *tld = g_strstrip (lines[i]);

      if (*tld == '\0' || *tld == '#')
        continue;
      for (char *c = tld; *c != '\0'; c++)
        *c = g_ascii_tolower (*c);
      g_string_append_printf (tlds, "%s\n", tld);
    }
  rules_set_tlds (set, g_string_free (tlds, FALSE));
}

/* The *.rules file names of dir, sorted: the order rules apply in. */
GPtrArray *
rules_files (const char *dir, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (d == NULL)
    return NULL;
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".rules") && name[0] != '.')
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  return g_steal_pointer (&names);
}

RuleSet *
rules_set_new (const char *dir)
{
  RuleSet *set = g_new0 (RuleSet, 1);

  set->rules = g_ptr_array_new_with_free_func (rules_rule_free);
  set->problems = g_ptr_array_new_with_free_func (rules_problem_free);
  set->tlds = g_ptr_array_new ();
  set->dir = g_strdup (dir);
  set->prefilter = prefilter_new ();
  g_mutex_init (&set->lock);
  set->retired
      = g_ptr_array_new_with_free_func ((GDestroyNotify) pcre2_code_free);
  set->match_context = pcre2_match_context_create (NULL);
  if (set->match_context == NULL)
    g_error ("rules: out of memory"); /* as g_malloc would */
  pcre2_set_match_limit (set->match_context, RULES_MATCH_LIMIT);
  pcre2_set_depth_limit (set->match_context, RULES_DEPTH_LIMIT);
  pcre2_set_heap_limit (set->match_context, RULES_HEAP_LIMIT);
  return set;
}

RuleSet *
rules_load (const char *dir, GError **error)
{
  g_autoptr (GPtrArray) files = rules_files (dir, error);
  g_autoptr (GHashTable) defines = NULL;
  g_autoptr (GHashTable) names = NULL;
  RuleSet *set;

  if (files == NULL)
    {
      g_prefix_error (error, "rules: ");
      return NULL;
    }
  defines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  set = rules_set_new (dir);
  for (guint i = 0; i < files->len; i++)
    rules_load_file (set, dir, files->pdata[i], defines, names);
  load_tlds (set, dir);
  prefilter_build (set->prefilter);
  return set;
}
