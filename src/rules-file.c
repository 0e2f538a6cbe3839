/*
 * rules-file.c - read one rule file of rules/: its [define]s, expanded
 * into the patterns that name them, and its [rule NAME] groups, each key
 * checked.  A rule with a problem is skipped and the problem kept (file,
 * line, rule, why); the rest of the file loads.
 */
#include <string.h>

#include "madoguchi/keyfile.h"
#include "madoguchi/prefilter.h"
#include "madoguchi/report.h"
#include "rules-private.h"

/* Keys each rule may have; anything else is a problem. */
static const char *const rule_keys[] = {
  "kind",      "pattern", "assume_zone", "file_extensions", "description",
  "category",  "weight",  "where",       "negatable",       "min_count",
  "condition", "field",   NULL,
};

static const char *const where_names[] = {
  "subject", "body", "attachment", "forwarded", "log",
  "header",  "part", "form",       "feed",
};
/* where_names[WHERE_ARG_FIRST .. WHERE_ARG_LAST] take an argument. */
#define WHERE_ARG_FIRST 5
#define WHERE_ARG_LAST 7

static const char *const metric_names[] = {
  "",
  "distinct_ports",
  "addresses",
  "log_lines",
};
/*
 * Replaces each {name} of a [define] in pattern.  One pass is enough:
 * a define's value was expanded when it was defined (from the defines
 * before it).  Returns NULL and names the culprit in *missing when a
 * reference is undefined.  {3} and {2,5} are quantifiers, left alone.
 */
static char *
expand_defines (const char *pattern, GHashTable *defines, char **missing)
{
  GString *out = g_string_sized_new (strlen (pattern) * 2);
  const char *p = pattern;
  const char *brace;

  while ((brace = strchr (p, '{')) != NULL)
    {
      gsize n = strspn (brace + 1, "abcdefghijklmnopqrstuvwxyz0123456789_");
      g_autofree char *name = NULL;
      const char *value;

      g_string_append_len (out, p, brace - p);
      p = brace + 1;
      if (n == 0 || brace[n + 1] != '}' || g_ascii_isdigit (brace[1]))
        {
          g_string_append_c (out, '{');
          continue;
        }
      name = g_strndup (brace + 1, n);
      value = g_hash_table_lookup (defines, name);
      if (value == NULL)
        {
          *missing = g_steal_pointer (&name);
          g_string_free (out, TRUE);
          return NULL;
        }
      g_string_append (out, value);
      p = brace + n + 2;
    }
  g_string_append (out, p);
  return g_string_free (out, FALSE);
}

typedef struct
{
  RuleSet *set;
  const char *file; /* base name, for problems */
  const char *text; /* the file's text, for line numbers */
  GKeyFile *kf;
  GHashTable *defines; /* name -> expanded fragment, across files */
  GHashTable *names;   /* rule names seen so far */
} Loader;

/* Where key of group (NULL: the group's header) lies in the file, for a
 * problem of rule (NULL: of the file). */
static RulePlace
place (const Loader *l, const char *group, const char *key, const char *rule)
{
  return (RulePlace){ .file = l->file,
                      .line = keyfile_line (l->text, group, key),
                      .rule = rule };
}

static void
load_defines (Loader *l)
{
  g_auto (GStrv) keys = g_key_file_get_keys (l->kf, "define", NULL, NULL);

  for (gsize i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      g_autofree char *raw
          = g_key_file_get_value (l->kf, "define", keys[i], NULL);
      g_autofree char *missing = NULL;
      char *value = expand_defines (raw, l->defines, &missing);

      if (value == NULL)
        rules_add_problem (l->set, place (l, "define", keys[i], NULL),
                           "define %s uses undefined {%s}", keys[i], missing);
      else
        g_hash_table_insert (l->defines, g_strdup (keys[i]), value);
    }
}

static gboolean
rule_check_keys (Loader *l, const char *group, const char *name)
{
  g_auto (GStrv) keys = g_key_file_get_keys (l->kf, group, NULL, NULL);

  for (gsize i = 0; keys != NULL && keys[i] != NULL; i++)
    if (!g_strv_contains (rule_keys, keys[i]))
      {
        rules_add_problem (l->set, place (l, group, keys[i], name),
                           "unknown key \"%s\"", keys[i]);
        return FALSE;
      }
  if (!g_key_file_has_key (l->kf, group, "kind", NULL)
      || (!g_key_file_has_key (l->kf, group, "pattern", NULL)
          && !g_key_file_has_key (l->kf, group, "condition", NULL)))
    {
      rules_add_problem (l->set, place (l, group, NULL, name),
                         "needs kind and pattern (or a condition)");
      return FALSE;
    }
  return TRUE;
}

/* A raw value, stripped; NULL when absent. */
static char *
rule_value (Loader *l, const char *group, const char *key)
{
  char *value = g_key_file_get_value (l->kf, group, key, NULL);

  return value ? g_strstrip (value) : NULL;
}

static gboolean G_GNUC_PRINTF (4, 5)
    rule_fail (Loader *l, const char *group, const char *key, const char *fmt,
               ...)
{
  va_list ap;
  g_autofree char *message = NULL;

  va_start (ap, fmt);
  message = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  rules_add_problem (l->set, place (l, group, key, group + strlen ("rule ")),
                     "%s", message);
  return FALSE;
}

/* "subject, body, header:X-ARF": a set of places, one with an argument. */
static gboolean
rule_read_where (Loader *l, Rule *rule, const char *group)
{
  g_autofree char *text = rule_value (l, group, "where");
  g_auto (GStrv) items = NULL;

  rule->info.where = RULE_WHERE_SUBJECT | RULE_WHERE_BODY
                     | RULE_WHERE_ATTACHMENT | RULE_WHERE_FORWARDED;
  if (text == NULL)
    return TRUE;
  rule->info.where = 0;
  items = g_strsplit_set (text, ", ", -1);
  for (gsize i = 0; items[i] != NULL; i++)
    {
      char *colon = strchr (items[i], ':');
      gsize j;

      if (*items[i] == '\0')
        continue;
      if (colon != NULL)
        *colon = '\0';
      for (j = 0; j < G_N_ELEMENTS (where_names); j++)
        if (strcmp (items[i], where_names[j]) == 0)
          break;
      if (j == G_N_ELEMENTS (where_names)
          || (j >= WHERE_ARG_FIRST && j <= WHERE_ARG_LAST)
                 != (colon != NULL && colon[1] != '\0')
          || (colon != NULL && rule->info.where_arg != NULL))
        return rule_fail (l, group, "where",
                          "where: \"%s\" is not one of "
                          "subject, body, attachment, forwarded, log, "
                          "header:NAME, part:TYPE, form:FIELD, feed",
                          items[i]);
      rule->info.where |= 1u << j;
      if (colon != NULL)
        rule->info.where_arg = g_ascii_strdown (colon + 1, -1);
    }
  return TRUE;
}

/* "distinct_ports >= 20" */
static gboolean
rule_read_condition (Loader *l, Rule *rule, const char *group)
{
  g_autofree char *text = rule_value (l, group, "condition");
  g_auto (GStrv) words = NULL;

  if (text == NULL)
    return TRUE;
  words = g_strsplit_set (text, " \t", -1);
  if (g_strv_length (words) == 3 && strcmp (words[1], ">=") == 0
      && g_ascii_string_to_signed (words[2], 10, 0, G_MAXINT,
                                   &rule->info.threshold, NULL))
    for (gsize i = 1; i < G_N_ELEMENTS (metric_names); i++)
      if (strcmp (words[0], metric_names[i]) == 0)
        {
          rule->info.metric = (RuleMetric) i;
          return TRUE;
        }
  return rule_fail (l, group, "condition",
                    "condition must be METRIC >= N "
                    "with METRIC one of distinct_ports, addresses, "
                    "log_lines");
}

/* A whole number from min to 1000 into *out; 1 when the key is absent
 * (weight and min_count, the two numbers, both default to 1). */
static gboolean
rule_read_int (Loader *l, const char *group, const char *key, gint64 min,
               int *out)
{
  g_autofree char *text = rule_value (l, group, key);
  gint64 value = 1;

  if (text != NULL
      && !g_ascii_string_to_signed (text, 10, min, 1000, &value, NULL))
    return rule_fail (l, group, key,
                      "%s must be a whole number from %" G_GINT64_FORMAT
                      " to 1000",
                      key, min);
  *out = (int) value;
  return TRUE;
}

static gboolean
rule_read_classify (Loader *l, Rule *rule, const char *group)
{
  g_autofree char *category = rule_value (l, group, "category");
  g_autofree char *negatable = rule_value (l, group, "negatable");

  if (category == NULL || report_category_index (category) < 0)
    return rule_fail (l, group, "category",
                      "category must be one of dos, "
                      "ddos, spoofing, abuse, intrusion, scan, other");
  if (negatable != NULL && strcmp (negatable, "true") != 0
      && strcmp (negatable, "false") != 0)
    return rule_fail (l, group, "negatable", "negatable is true or false");
  rule->info.category = g_steal_pointer (&category);
  rule->info.negatable = g_strcmp0 (negatable, "false") != 0;
  return rule_read_int (l, group, "weight", -1000, &rule->info.weight)
         && rule_read_int (l, group, "min_count", 1, &rule->info.min_count)
         && rule_read_where (l, rule, group)
         && rule_read_condition (l, rule, group);
}

/* The rule's pattern with its {defines} expanded, or NULL (a problem). */
static char *
rule_pattern (Loader *l, const char *group, const char *name)
{
  g_autofree char *raw = g_key_file_get_value (l->kf, group, "pattern", NULL);
  g_autofree char *missing = NULL;
  char *pattern = expand_defines (raw, l->defines, &missing);

  if (pattern == NULL)
    rules_add_problem (l->set, place (l, group, "pattern", name),
                       "undefined {%s}", missing);
  return pattern;
}

static gboolean
rule_read_options (Loader *l, Rule *rule, const char *group)
{
  g_autofree char *zone
      = g_key_file_get_value (l->kf, group, "assume_zone", NULL);
  g_autofree char *exts
      = g_key_file_get_value (l->kf, group, "file_extensions", NULL);
  if (zone != NULL && g_strcmp0 (g_strstrip (zone), "report") != 0)
    {
      rule->info.zone_fixed
          = rules_parse_zone (zone, strlen (zone), &rule->info.zone_offset);
      if (!rule->info.zone_fixed)
        {
          rules_add_problem (l->set,
                             place (l, group, "assume_zone", rule->info.name),
                             "assume_zone must be report, a zone name or an "
                             "offset like +0900, not \"%s\"",
                             zone);
          return FALSE;
        }
    }
  if (exts != NULL)
    rule->info.file_extensions = g_strsplit_set (g_strstrip (exts), "; ,", -1);
  return TRUE;
}

/* The keys only some kinds have. */
static gboolean
rule_read_kind_options (Loader *l, Rule *rule, const char *group)
{
  switch (rule->info.kind)
    {
    case RULE_KIND_CLASSIFY:
      return rule_read_classify (l, rule, group);
    case RULE_KIND_FORMFIELD:
      rule->info.field = rule_value (l, group, "field");
      if (rule->info.field == NULL)
        return rule_fail (l, group, "kind", "a formfield needs a field");
      return TRUE;
    default:
      return TRUE;
    }
}

static void
load_rule (Loader *l, const char *group)
{
  const char *name = group + strlen ("rule ");
  g_autofree char *kind = NULL;
  Rule *rule;

  if (!rule_check_keys (l, group, name))
    return;
  if (g_hash_table_contains (l->names, name))
    {
      rules_add_problem (l->set, place (l, group, NULL, name),
                         "a rule of this name already exists; this "
                         "one is ignored");
      return;
    }
  rule = g_new0 (Rule, 1);
  rule->info.name = g_strdup (name);
  rule->info.file = g_strdup (l->file);
  kind = g_key_file_get_value (l->kf, group, "kind", NULL);
  if (!rules_kind_parse (g_strstrip (kind), &rule->info.kind))
    rules_add_problem (l->set, place (l, group, "kind", name),
                       "unknown kind \"%s\"", kind);
  else if (g_key_file_has_key (l->kf, group, "pattern", NULL))
    rule->info.pattern = rule_pattern (l, group, name);
  else if (rule->info.kind != RULE_KIND_CLASSIFY)
    rules_add_problem (l->set, place (l, group, NULL, name), "needs a pattern");
  if ((rule->info.pattern == NULL && rule->info.kind != RULE_KIND_CLASSIFY)
      || !rule_read_options (l, rule, group)
      || !rule_read_kind_options (l, rule, group))
    {
      rules_rule_free (rule);
      return;
    }
  g_hash_table_add (l->names, g_strdup (name));
  if (rule->info.pattern != NULL)
    rule->index = prefilter_add (l->set->prefilter, rule->info.pattern);
  g_ptr_array_add (l->set->rules, rule);
}

/*
 * GKeyFile silently merges two groups of the same name, so that a rule
 * copied and edited would replace the first one key by key: refuse the
 * file's later copies by name, with their line.
 */
static void
check_duplicate_groups (RuleSet *set, const char *name, const char *text,
                        GHashTable *duplicates)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr (GHashTable) seen
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (int i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      gsize len = strlen (line);

      if (line[0] != '[' || line[len - 1] != ']')
        continue;
      line[len - 1] = '\0';
      if (g_hash_table_contains (seen, line + 1)
          && g_str_has_prefix (line + 1, "rule "))
        {
          rules_add_problem (
              set, (RulePlace){ .file = name, .line = i + 1, .rule = line + 6 },
              "a rule of this name "
              "already exists; both copies are ignored");
          g_hash_table_add (duplicates, g_strdup (line + 1));
        }
      g_hash_table_add (seen, g_strdup (line + 1));
    }
}

void
rules_load_file (RuleSet *set, const char *dir, const char *name,
                 GHashTable *defines, GHashTable *names)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) groups = NULL;
  g_autoptr (GHashTable) duplicates
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Loader l = { set, name, NULL, kf, defines, names };

  if (!g_file_get_contents (path, &text, NULL, &error)
      || !g_key_file_load_from_data (kf, text, -1, G_KEY_FILE_NONE, &error))
    {
      rules_add_problem (set,
                         (RulePlace){ .file = name, .line = 0, .rule = NULL },
                         "%s", error->message);
      return;
    }
  l.text = text;
  check_duplicate_groups (set, name, text, duplicates);
  load_defines (&l);
  groups = g_key_file_get_groups (kf, NULL);
  for (gsize i = 0; groups[i] != NULL; i++)
    if (g_hash_table_contains (duplicates, groups[i]))
      continue;
    else if (g_str_has_prefix (groups[i], "rule ") && groups[i][5] != '\0')
      load_rule (&l, groups[i]);
    else if (strcmp (groups[i], "define") != 0)
      rules_add_problem (
          set,
          (RulePlace){ .file = name,
                       .line = keyfile_line (text, groups[i], NULL),
                       .rule = NULL },
          "unknown group [%s] (expected [define] or "
          "[rule NAME])",
          groups[i]);
}
