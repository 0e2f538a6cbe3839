/*
 * charset-iconv.c - iconv converters to UTF-8, kept open per thread.
 *
 * Opening a glibc iconv loads its gconv module and closing the last
 * converter of a module unloads it again: a header of encoded-words
 * whose charset changed at every word paid a load and an unload per
 * word, 0.18 ms to 2 ms each (issue 16).  So each thread keeps the
 * converters it opened, most recently used first, up to
 * CHARSET_ICONV_CACHE_MAX, and returns one to its initial state before
 * each use.  Per thread (GPrivate, closed when the thread ends) rather
 * than shared under a lock: a converter holds conversion state while it
 * is used, extraction and import run on several threads, and the
 * converters one thread needs are few and small.
 *
 * A kept converter must read text exactly as a fresh one would.
 * iconv (cd, NULL, NULL, NULL, NULL) returns the shift state (ISO-2022,
 * UTF-7) to the initial one, but glibc's UTF-16, UTF-32 and UNICODE
 * converters also remember the byte order of the last byte-order mark
 * they read, for the text after it.  charset_iconv_resolve therefore
 * reads the mark itself and names the converter of that explicit order.
 *
 * A bounded cache can be made to miss by cycling through more charsets
 * than it holds, and GMime opens and closes a converter for every
 * encoded-word it decodes while it parses (Subject, addresses), before
 * any of this code runs.  What makes a miss dear is the module's load
 * and unload, not the converter: with the module loaded, an open and a
 * close take 3.5 us instead of 0.2-2 ms.  So the process also keeps one
 * converter open per gconv module it has used (charset_iconv_pin), and
 * message.c pins the charsets a message names before GMime parses it.
 * That set is bounded by the modules installed (272 on Debian 12; all
 * of them loaded take 9.5 MB), not by the mail: pins are keyed by the
 * module's own charset name (glibc's gconv.h), which every alias of it
 * shares.
 */
#include "charset-private.h"

#include <iconv.h>
#include <string.h>
#ifdef __GLIBC__
#include <gconv.h>
#endif

/* No mail charset label is longer (IANA's longest alias has 45). */
#define LABEL_MAX 64
/* Labels looked up for pinning (glibc knows about 1,500 names, and some
 * unknown ones are remembered too), and modules kept loaded. */
#define PIN_LABELS_MAX 4096
#define PINS_MAX 512

typedef struct
{
  char *charset;
  GIConv cd; /* (GIConv) -1: iconv does not know charset */
} Converter;

typedef struct
{
  Converter slots[CHARSET_ICONV_CACHE_MAX]; /* most recently used first */
  guint len;
  guint64 opens;
} ConverterCache;

static void
converter_close (Converter *c)
{
  if (c->cd != (GIConv) -1)
    g_iconv_close (c->cd);
  g_free (c->charset);
}

static void
converter_cache_free (gpointer data)
{
  ConverterCache *cache = data;

  for (guint i = 0; i < cache->len; i++)
    converter_close (&cache->slots[i]);
  g_free (cache);
}

static GPrivate cache_key = G_PRIVATE_INIT (converter_cache_free);

static ConverterCache *
converter_cache (void)
{
  ConverterCache *cache = g_private_get (&cache_key);

  if (cache == NULL)
    {
      cache = g_new0 (ConverterCache, 1);
      g_private_set (&cache_key, cache);
    }
  return cache;
}

/* Whether a label may name a charset: letters, digits and "-_.:", as
 * every IANA name and alias.  iconv would also take "NAME//FLAGS", and
 * glibc drops other characters ("SJIS!" is SJIS): so one charset could
 * be named in endless ways, each its own converter and table entry. */
static gboolean
label_is_plain (const char *charset)
{
  gsize len = strlen (charset);

  return len > 0 && len <= LABEL_MAX
         && strspn (charset, "abcdefghijklmnopqrstuvwxyz"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")
                == len;
}

GIConv
charset_iconv_get (const char *charset)
{
  ConverterCache *cache;
  Converter found;
  guint i;

  if (!label_is_plain (charset))
    return (GIConv) -1;
  cache = converter_cache ();
  for (i = 0; i < cache->len; i++)
    if (g_ascii_strcasecmp (cache->slots[i].charset, charset) == 0)
      break;
  if (i < cache->len)
    found = cache->slots[i];
  else
    {
      found.charset = g_strdup (charset);
      found.cd = g_iconv_open ("UTF-8", charset);
      cache->opens++;
      if (found.cd != (GIConv) -1)
        charset_iconv_pin (charset); /* closing it will not unload */
      if (cache->len < CHARSET_ICONV_CACHE_MAX)
        i = cache->len++;
      else
        converter_close (&cache->slots[--i]); /* the least recently used */
    }
  memmove (cache->slots + 1, cache->slots, i * sizeof cache->slots[0]);
  cache->slots[0] = found;
  if (found.cd != (GIConv) -1)
    g_iconv (found.cd, NULL, NULL, NULL, NULL);
  return found.cd;
}

guint64
charset_iconv_opens (void)
{
  return converter_cache ()->opens;
}

/* The explicit-order label for text of width-byte units, the mark (if
 * any) skipped.  Without a mark glibc reads the host's order. */
static const char *
marked_order (guint width, const char **data, gsize *len)
{
  static const char *const names[2][2] = {
    { "UTF-16BE", "UTF-16LE" },
    { "UTF-32BE", "UTF-32LE" },
  };
  const char *le = width == 2 ? "\xFF\xFE" : "\xFF\xFE\0\0";
  const char *be = width == 2 ? "\xFE\xFF" : "\0\0\xFE\xFF";
  gboolean little = G_BYTE_ORDER == G_LITTLE_ENDIAN;
  gboolean utf32 = width == 4;

  if (*len >= width && memcmp (*data, le, width) == 0)
    little = TRUE;
  else if (*len >= width && memcmp (*data, be, width) == 0)
    little = FALSE;
  else
    width = 0;
  *data += width;
  *len -= width;
  return names[utf32][little];
}

const char *
charset_iconv_resolve (const char *charset, const char **data, gsize *len)
{
  static const struct
  {
    const char *label;
    guint width;
  } marked[] = {
    { "utf-16", 2 },    { "utf16", 2 },  { "unicode", 2 },
    { "csunicode", 2 }, { "utf-32", 4 }, { "utf32", 4 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (marked); i++)
    if (g_ascii_strcasecmp (charset, marked[i].label) == 0)
      return marked_order (marked[i].width, data, len);
  return charset;
}

static GMutex pin_lock;
static GHashTable *pin_labels; /* lower-case label -> TRUE if known */
static GHashTable *pins;       /* module's charset name -> iconv_t */

/* The charset name of cd's module, which all its aliases share. */
static const char *
module_name (iconv_t cd, const char *label)
{
#ifdef __GLIBC__
  /* XXX: glibc's own structure (gconv.h, installed with libc6-dev): the
   * only way to tell two labels of one module apart from two modules. */
  const struct __gconv_info *info = (const struct __gconv_info *) cd;

  if (info->__nsteps > 0 && info->__steps[0].__from_name != NULL)
    return info->__steps[0].__from_name;
#endif
  return label;
}

/* Looks key up for the first time (pin_lock held). */
static void
pin_new (const char *key)
{
  iconv_t cd = iconv_open ("UTF-8", key);
  const char *name;

  g_hash_table_insert (pin_labels, g_strdup (key),
                       GINT_TO_POINTER (cd != (iconv_t) -1));
  if (cd == (iconv_t) -1)
    return;
  name = module_name (cd, key);
  if (g_hash_table_contains (pins, name)
      || g_hash_table_size (pins) >= PINS_MAX)
    iconv_close (cd);
  else
    g_hash_table_insert (pins, g_strdup (name), cd);
}

void
charset_iconv_pin (const char *charset)
{
  char key[LABEL_MAX + 1];

  if (charset == NULL || !label_is_plain (charset))
    return;
  for (gsize i = 0; i <= strlen (charset); i++)
    key[i] = g_ascii_tolower (charset[i]);
  g_mutex_lock (&pin_lock);
  if (pin_labels == NULL)
    {
      pin_labels
          = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      pins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    }
  if (g_hash_table_size (pin_labels) < PIN_LABELS_MAX
      && !g_hash_table_contains (pin_labels, key))
    pin_new (key);
  g_mutex_unlock (&pin_lock);
}
