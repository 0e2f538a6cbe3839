/*
 * json.c - write JSON without a JSON library (GLib has none, and the
 * dependency set is fixed).  Output only; madoguchi never parses JSON.
 * Strings come out as valid UTF-8 with every control and bidi character
 * escaped: --json is read by scripts and, as often, by eyes through
 * less or a terminal.
 */
#include "madoguchi/json.h"

#include <string.h>

#include "madoguchi/output.h"

void
json_init (JsonWriter *w)
{
  w->out = g_string_new (NULL);
  w->counts = g_array_new (FALSE, TRUE, sizeof (guint));
}

char *
json_finish (JsonWriter *w)
{
  g_array_unref (w->counts);
  return g_string_free (w->out, FALSE);
}

/* A comma before every value but the first of its container. */
static void
json_separate (JsonWriter *w)
{
  guint *count;

  if (w->counts->len == 0)
    return;
  count = &g_array_index (w->counts, guint, w->counts->len - 1);
  if ((*count)++ > 0)
    g_string_append_c (w->out, ',');
}

static void
json_open (JsonWriter *w, char c)
{
  guint zero = 0;

  json_separate (w);
  g_string_append_c (w->out, c);
  g_array_append_val (w->counts, zero);
}

static void
json_close (JsonWriter *w, char c)
{
  g_assert (w->counts->len > 0);
  g_array_set_size (w->counts, w->counts->len - 1);
  g_string_append_c (w->out, c);
}

void
json_begin_object (JsonWriter *w)
{
  json_open (w, '{');
}

void
json_end_object (JsonWriter *w)
{
  json_close (w, '}');
}

void
json_begin_array (JsonWriter *w)
{
  json_open (w, '[');
}

void
json_end_array (JsonWriter *w)
{
  json_close (w, ']');
}

/*
 * Appends the character at p (not ASCII) and returns its length: as it
 * is, or as \uXXXX when it is a control or bidi character (the same set
 * as a terminal's, output_is_control()) or a line or paragraph separator
 * (JavaScript's string literals end there).  A byte that is not valid
 * UTF-8 cannot be in JSON at all: it becomes U+FFFD, and the raw bytes
 * stay in the store as evidence.
 */
static gsize
json_quote_char (GString *out, const char *p, const char *end)
{
  gunichar c = g_utf8_get_char_validated (p, end - p);

  if (c >= (gunichar) -2)
    {
      g_string_append (out, "\\ufffd");
      return 1;
    }
  if (output_is_control (c) || c == 0x2028 || c == 0x2029)
    g_string_append_printf (out, "\\u%04x", c);
  else
    g_string_append_len (out, p, g_utf8_skip[(guchar) *p]);
  return g_utf8_skip[(guchar) *p];
}

static void
json_quote (GString *out, const char *s)
{
  const char *end = s + strlen (s);

  g_string_append_c (out, '"');
  for (const char *p = s; p < end; p++)
    {
      switch (*p)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if ((guchar) *p >= 0x80)
            p += json_quote_char (out, p, end) - 1;
          else if (*p < 0x20 || *p == 0x7F)
            g_string_append_printf (out, "\\u%04x", (guchar) *p);
          else
            g_string_append_c (out, *p);
        }
    }
  g_string_append_c (out, '"');
}

void
json_key (JsonWriter *w, const char *key)
{
  json_separate (w);
  json_quote (w->out, key);
  g_string_append_c (w->out, ':');
  /* The value that follows belongs to this key: no comma before it. */
  g_array_index (w->counts, guint, w->counts->len - 1) = 0;
}

void
json_string (JsonWriter *w, const char *value)
{
  json_separate (w);
  if (value == NULL)
    g_string_append (w->out, "null");
  else
    json_quote (w->out, value);
}

void
json_int (JsonWriter *w, gint64 value)
{
  json_separate (w);
  g_string_append_printf (w->out, "%" G_GINT64_FORMAT, value);
}

void
json_bool (JsonWriter *w, gboolean value)
{
  json_separate (w);
  g_string_append (w->out, value ? "true" : "false");
}

void
json_member_string (JsonWriter *w, const char *key, const char *value)
{
  json_key (w, key);
  json_string (w, value);
}

void
json_member_int (JsonWriter *w, const char *key, gint64 value)
{
  json_key (w, key);
  json_int (w, value);
}

void
json_member_bool (JsonWriter *w, const char *key, gboolean value)
{
  json_key (w, key);
  json_bool (w, value);
}
