/*
 * rules-cache.c - the loaded rule set kept in one file, so that each
 * delivery need not parse the rule files and reduce every pattern again.
 *
 * The cache holds everything rules_load produces, and every pattern
 * compiled (pcre2_serialize_encode: PCRE2's own byte code, which a
 * process only decodes and JIT-compiles when it needs the rule), as
 * length-prefixed strings and 64-bit numbers, read back with every length
 * checked.  PCRE2 does not check byte code it decodes, so each one
 * carries a hash (rules_hash_bytes), checked before decoding
 * (rules-match.c); a mismatch compiles the pattern from its text
 * instead.  It starts
 * with a key naming the cache format, the PCRE2 version, the rule
 * directory and every rule file's name, size, modification time and
 * inode: any edit, added or removed file makes the key differ and the
 * rules are loaded from their files again.  The cache is only a
 * speed-up: a cache that cannot be read or written is ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "madoguchi/prefilter.h"
#include "rules-private.h"

#define CACHE_FORMAT "madoguchi rules cache 5"
#define NONE G_MAXUINT64 /* the length of an absent string or list */

/* What the cache must have been written from. */
static char *
cache_key (const char *dir, GError **error)
{
  g_autoptr (GPtrArray) files = rules_files (dir, error);
  GString *key;

  if (files == NULL)
    return NULL;
  key = g_string_new (CACHE_FORMAT "\n");
  g_string_append_printf (key, "pcre2 %d.%d\n%s\n", PCRE2_MAJOR, PCRE2_MINOR,
                          dir);
  g_ptr_array_add (files, g_strdup ("tlds"));
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, files->pdata[i], NULL);
      struct stat st;

      if (stat (path, &st) != 0)
        g_string_append_printf (key, "%s -\n", (char *) files->pdata[i]);
      else
        g_string_append_printf (
            key, "%s %jd %jd.%09ld %ju %ju\n", (char *) files->pdata[i],
            (intmax_t) st.st_size, (intmax_t) st.st_mtim.tv_sec,
            st.st_mtim.tv_nsec, (uintmax_t) st.st_ino, (uintmax_t) st.st_dev);
    }
  return g_string_free (key, FALSE);
}

/* --- writing ---------------------------------------------------------- */

static void
put_u64 (GByteArray *out, guint64 v)
{
  guint8 b[8];

  for (int i = 0; i < 8; i++)
    b[i] = (guint8) (v >> (8 * i));
  g_byte_array_append (out, b, sizeof b);
}

/* A string (NULL too), as bytes: a literal cut short may end inside a
 * character, and a site's rule file may not be UTF-8.  A NUL follows, so
 * that a reader can use it where it lies. */
static void
put_str (GByteArray *out, const char *s)
{
  gsize len = s ? strlen (s) : 0;

  put_u64 (out, s ? len : NONE);
  if (s != NULL)
    g_byte_array_append (out, (const guint8 *) s, (guint) len + 1);
}

static void
put_bytes (GByteArray *out, const guint8 *bytes, gsize len)
{
  put_u64 (out, bytes ? len : NONE);
  if (bytes != NULL)
    g_byte_array_append (out, bytes, (guint) len);
}

/* The rule's compiled pattern, or an absent one if it has none. */
static void
put_code (GByteArray *out, const Rule *r)
{
  const pcre2_code *code
      = r->info.pattern != NULL && !r->broken ? r->code : NULL;
  guint8 *bytes = NULL;
  PCRE2_SIZE len = 0;

  if (code != NULL
      && pcre2_serialize_encode (&code, 1, &bytes, &len, NULL) != 1)
    bytes = NULL;
  put_bytes (out, bytes, len);
  put_u64 (out, bytes ? rules_hash_bytes (bytes, len) : 0);
  pcre2_serialize_free (bytes);
}

static void
put_strv (GByteArray *out, const char *const *v, gsize n)
{
  put_u64 (out, v ? n : NONE);
  for (gsize i = 0; v != NULL && i < n; i++)
    put_str (out, v[i]);
}

static void
put_rule (GByteArray *out, const RuleSet *set, const Rule *r)
{
  const GPtrArray *literals = NULL;
  gboolean line_local = FALSE;

  if (r->info.pattern != NULL)
    literals
        = prefilter_pattern_literals (set->prefilter, r->index, &line_local);
  put_str (out, r->info.name);
  put_str (out, r->info.file);
  put_u64 (out, r->info.kind);
  put_str (out, r->info.pattern);
  put_u64 (out, (guint64) r->info.zone_fixed);
  put_u64 (out, (guint64) r->info.zone_offset);
  put_strv (out, (const char *const *) r->info.file_extensions,
            r->info.file_extensions ? g_strv_length (r->info.file_extensions)
                                    : 0);
  put_str (out, r->info.category);
  put_u64 (out, (guint64) r->info.weight);
  put_u64 (out, r->info.where);
  put_str (out, r->info.where_arg);
  put_u64 (out, (guint64) r->info.negatable);
  put_u64 (out, (guint64) r->info.min_count);
  put_u64 (out, r->info.metric);
  put_u64 (out, (guint64) r->info.threshold);
  put_str (out, r->info.field);
  put_strv (out, literals ? (const char *const *) literals->pdata : NULL,
            literals ? literals->len : 0);
  put_u64 (out, (guint64) line_local);
  put_code (out, r);
}

static GBytes *
set_to_bytes (const RuleSet *set, const char *key)
{
  GByteArray *out = g_byte_array_new ();
  GString *tlds = g_string_new (NULL);

  put_str (out, key);
  put_u64 (out, set->rules->len);
  for (guint i = 0; i < set->rules->len; i++)
    put_rule (out, set, set->rules->pdata[i]);
  put_u64 (out, set->problems->len);
  for (guint i = 0; i < set->problems->len; i++)
    {
      const RuleProblem *p = set->problems->pdata[i];

      put_str (out, p->file);
      put_u64 (out, (guint64) p->line);
      put_str (out, p->rule);
      put_str (out, p->message);
    }
  for (guint i = 0; i < set->tlds->len; i++)
    g_string_append_printf (tlds, "%s\n", (char *) set->tlds->pdata[i]);
  put_str (out, tlds->str);
  g_string_free (tlds, TRUE);
  return g_byte_array_free_to_bytes (out);
}

/* Writes the cache beside its final name, then renames it in place, so
 * that a reader sees the old cache or the new one, never half of one. */
static void
save (const RuleSet *set, const char *key, const char *path)
{
  g_autoptr (GBytes) bytes = set_to_bytes (set, key);
  g_autofree char *tmp = g_strdup_printf ("%s.%d.tmp", path, (int) getpid ());
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  int fd
      = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  gboolean ok = fd >= 0;

  while (ok && len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      ok = n > 0;
      data += ok ? n : 0;
      len -= ok ? (gsize) n : 0;
    }
  if (fd >= 0 && close (fd) != 0)
    ok = FALSE;
  if (!ok || rename (tmp, path) != 0)
    g_unlink (tmp);
}

/* --- reading ---------------------------------------------------------- */

typedef struct
{
  const guint8 *p;
  const guint8 *end;
  gboolean bad; /* ran past the end: the whole cache is refused */
} Reader;

static guint64
get_u64 (Reader *r)
{
  guint64 v = 0;

  if (r->end - r->p < 8)
    {
      r->bad = TRUE;
      return 0;
    }
  for (int i = 0; i < 8; i++)
    v |= (guint64) r->p[i] << (8 * i);
  r->p += 8;
  return v;
}

/* A length or count of items of at least unit bytes each, checked
 * against what is left; NONE for an absent string or list. */
static guint64
get_count (Reader *r, guint64 unit)
{
  guint64 n = get_u64 (r);

  if (n == NONE || r->bad)
    return NONE;
  if (n > (guint64) (r->end - r->p) / unit)
    {
      r->bad = TRUE;
      return NONE;
    }
  return n;
}

/* A string where it lies in the mapped file (NULL when absent). */
static const char *
get_view (Reader *r)
{
  guint64 len = get_count (r, 1);
  const char *s = (const char *) r->p;

  if (len == NONE)
    return NULL;
  if (len == (guint64) (r->end - r->p) || s[len] != '\0')
    {
      r->bad = TRUE;
      return NULL;
    }
  r->p += len + 1;
  return s;
}

static char *
get_str (Reader *r)
{
  return g_strdup (get_view (r));
}

/* A list of strings where they lie; NULL when absent. */
static GPtrArray *
get_list (Reader *r)
{
  guint64 n = get_count (r, 9);
  GPtrArray *list;

  if (n == NONE)
    return NULL;
  list = g_ptr_array_new_full ((guint) n + 1, NULL);
  for (guint64 i = 0; i < n && !r->bad; i++)
    {
      const char *s = get_view (r);

      r->bad = r->bad || s == NULL;
      if (s != NULL)
        g_ptr_array_add (list, (gpointer) s);
    }
  return list;
}

/* Bytes in place: they stay in the mapped file. */
static const guint8 *
get_bytes (Reader *r, gsize *len)
{
  guint64 n = get_count (r, 1);
  const guint8 *bytes = r->p;

  *len = 0;
  if (n == NONE)
    return NULL;
  r->p += n;
  *len = (gsize) n;
  return bytes;
}

static GStrv
get_strv (Reader *r)
{
  GPtrArray *list = get_list (r);

  if (list == NULL)
    return NULL;
  g_ptr_array_add (list, NULL);
  return (GStrv) g_ptr_array_free (list, FALSE);
}

static Rule *
get_rule (Reader *rd, RuleSet *set)
{
  Rule *r = g_new0 (Rule, 1);
  GPtrArray *literals;

  /* The strings stay in the mapped file (a rule's are never changed):
   * no copy made now, none freed at exit. */
  r->borrowed = TRUE;
  r->info.name = (char *) get_view (rd);
  r->info.file = (char *) get_view (rd);
  r->info.kind = (RuleKind) get_u64 (rd);
  r->info.pattern = (char *) get_view (rd);
  r->info.zone_fixed = (gboolean) get_u64 (rd);
  r->info.zone_offset = (int) get_u64 (rd);
  r->info.file_extensions = get_strv (rd);
  r->info.category = (char *) get_view (rd);
  r->info.weight = (int) get_u64 (rd);
  r->info.where = (guint) get_u64 (rd);
  r->info.where_arg = (char *) get_view (rd);
  r->info.negatable = (gboolean) get_u64 (rd);
  r->info.min_count = (int) get_u64 (rd);
  r->info.metric = (RuleMetric) get_u64 (rd);
  r->info.threshold = (gint64) get_u64 (rd);
  r->info.field = (char *) get_view (rd);
  literals = get_list (rd);
  rd->bad = rd->bad || r->info.name == NULL || r->info.file == NULL
            || r->info.kind > RULE_KIND_FORMFIELD
            || r->info.metric > RULE_METRIC_LOG_LINES;
  if (r->info.pattern != NULL)
    r->index = prefilter_add_literals (set->prefilter, literals,
                                       (gboolean) get_u64 (rd));
  else
    {
      if (literals != NULL)
        g_ptr_array_unref (literals);
      get_u64 (rd);
    }
  r->serialized = get_bytes (rd, &r->serialized_len);
  r->serialized_hash = get_u64 (rd);
  return r;
}

static void
get_problems (Reader *rd, RuleSet *set)
{
  guint64 n = get_u64 (rd);

  for (guint64 i = 0; i < n && !rd->bad; i++)
    {
      RuleProblem *p = g_new0 (RuleProblem, 1);

      p->file = get_str (rd);
      p->line = (int) get_u64 (rd);
      p->rule = get_str (rd);
      p->message = get_str (rd);
      rd->bad = rd->bad || p->file == NULL || p->message == NULL;
      g_ptr_array_add (set->problems, p);
    }
}

/* The set in the cache at path if it was written under key, else NULL. */
static RuleSet *
load (const char *dir, const char *key, const char *path)
{
  g_autoptr (GMappedFile) file = g_mapped_file_new (path, FALSE, NULL);
  g_autofree char *stored_key = NULL;
  Reader rd;
  RuleSet *set;
  guint64 n;

  if (file == NULL)
    return NULL;
  rd.p = (const guint8 *) g_mapped_file_get_contents (file);
  rd.end = rd.p + g_mapped_file_get_length (file);
  rd.bad = FALSE;
  stored_key = get_str (&rd);
  if (stored_key == NULL || strcmp (stored_key, key) != 0)
    return NULL;
  set = rules_set_new (dir);
  n = get_u64 (&rd);
  for (guint64 i = 0; i < n && !rd.bad; i++)
    g_ptr_array_add (set->rules, get_rule (&rd, set));
  get_problems (&rd, set);
  rules_set_tlds (set, get_str (&rd));
  if (rd.bad || rd.p != rd.end)
    {
      rules_free (set);
      return NULL;
    }
  prefilter_build (set->prefilter);
  set->cache = g_steal_pointer (&file);
  return set;
}

RuleSet *
rules_load_cached (const char *dir, const char *cache, GError **error)
{
  g_autofree char *key = cache_key (dir, error);
  RuleSet *set;

  if (key == NULL)
    {
      g_prefix_error (error, "rules: ");
      return NULL;
    }
  set = load (dir, key, cache);
  if (set != NULL)
    return set;
  set = rules_load (dir, error);
  if (set == NULL)
    return NULL;
  rules_compile_all (set);
  save (set, key, cache);
  return set;
}
