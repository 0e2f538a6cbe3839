/*
 * output.c - mail made safe for an operator's terminal, and terminal
 * cells for UTF-8 text, the way wcwidth() counts them (Japanese subjects
 * must not shear a table) but without depending on the C library's
 * locale.
 *
 * A report's text is the attacker's: an OSC 52 sequence in it writes the
 * operator's clipboard, cursor moves hide lines, a bidi override makes
 * "exe.txt" of "txt.exe".  output_append_safe() is the one place that
 * decides what reaches a terminal; it shows what it defuses instead of
 * dropping it, since the operator is reading evidence.
 */
#include "madoguchi/output.h"

#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

gboolean
output_is_control (gunichar c)
{
  if (c < 0x20 || (c >= 0x7F && c < 0xA0))
    return TRUE;
  if (c == 0x061C || c == 0x200E || c == 0x200F)
    return TRUE;
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

/* Whether g_utf8_get_char_validated() found no character: (gunichar) -1
 * or -2. */
static gboolean
invalid_char (gunichar c)
{
  return c >= (gunichar) -2;
}

/* How many bytes from p on a terminal may be shown as they are. */
static gsize
safe_run (const char *p, const char *end, OutputLines lines)
{
  const char *q = p;

  while (q < end)
    {
      guchar b = (guchar) *q;
      gunichar c;

      if ((b >= 0x20 && b < 0x7F)
          || (lines == OUTPUT_LINES && (b == '\n' || b == '\t')))
        {
          q++;
          continue;
        }
      if (b < 0x80)
        break;
      c = g_utf8_get_char_validated (q, end - q);
      if (invalid_char (c) || output_is_control (c))
        break;
      q += g_utf8_skip[b];
    }
  return (gsize) (q - p);
}

/* Appends the control character or invalid byte at p in the form
 * output_append_safe() documents; returns the bytes it took. */
static gsize
append_visible (GString *out, const char *p, const char *end)
{
  guchar b = (guchar) *p;
  gunichar c;

  if (b == '\n' || b == '\t')
    g_string_append_c (out, ' ');
  else if (b == 0x7F)
    g_string_append (out, "^?");
  else if (b < 0x20)
    {
      g_string_append_c (out, '^');
      g_string_append_c (out, (char) (b + 0x40));
    }
  if (b < 0x80)
    return 1;
  c = g_utf8_get_char_validated (p, end - p);
  if (invalid_char (c))
    {
      g_string_append_printf (out, "\\x%02X", b);
      return 1;
    }
  g_string_append_printf (out, "<U+%04X>", c);
  return (gsize) g_utf8_skip[b];
}

void
output_append_safe (GString *out, const char *text, gssize len,
                    OutputLines lines)
{
  const char *p = text;
  const char *end;

  if (text == NULL)
    return;
  end = text + (len < 0 ? strlen (text) : (gsize) len);
  while (p < end)
    {
      gsize run = safe_run (p, end, lines);

      g_string_append_len (out, p, (gssize) run);
      p += run;
      if (p < end)
        p += append_visible (out, p, end);
    }
}

char *
output_safe (const char *text)
{
  GString *out = g_string_new (NULL);

  output_append_safe (out, text, -1, OUTPUT_ONE_LINE);
  return g_string_free (out, FALSE);
}

static gsize
char_width (gunichar c)
{
  /* ASCII is one cell: no need for GLib's tables, which cost a log
   * excerpt's printing most of its time. */
  if (c < 0x80)
    return 1;
  if (g_unichar_iszerowidth (c))
    return 0;
  return g_unichar_iswide (c) ? 2 : 1;
}

/* Cells of text that output_append_safe() made safe. */
static gsize
safe_width (const char *text)
{
  gsize width = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    width += char_width (g_utf8_get_char (p));
  return width;
}

gsize
output_width (const char *text)
{
  g_autofree char *safe = output_safe (text);

  return safe_width (safe);
}

void
output_cell (GString *out, const char *text, gsize width, gboolean pad)
{
  g_autofree char *safe = output_safe (text);
  gboolean cut = safe_width (safe) > width;
  gsize room = cut ? width - 1 : width; /* one cell for the ellipsis */
  gsize used = 0;

  if (width == 0)
    return;
  for (const char *p = safe; *p != '\0'; p = g_utf8_next_char (p))
    {
      gsize w = char_width (g_utf8_get_char (p));

      if (used + w > room)
        break;
      g_string_append_len (out, p, g_utf8_next_char (p) - p);
      used += w;
    }
  if (cut)
    {
      g_string_append (out, "…");
      used++;
    }
  while (pad && used++ < width)
    g_string_append_c (out, ' ');
}

char *
output_time (gint64 unix_time)
{
  g_autoptr (GDateTime) t = NULL;

  if (unix_time == 0)
    return g_strdup ("-");
  t = g_date_time_new_from_unix_local (unix_time);
  return t ? g_date_time_format (t, "%Y-%m-%d %H:%M") : g_strdup ("-");
}

char *
output_time_iso (gint64 unix_time)
{
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (unix_time);

  return t ? g_date_time_format (t, "%Y-%m-%dT%H:%M:%SZ") : NULL;
}

gsize
output_terminal_width (void)
{
  const char *columns = g_getenv ("COLUMNS");
  guint64 n;
  struct winsize ws;

  if (columns != NULL
      && g_ascii_string_to_unsigned (columns, 10, 1, 10000, &n, NULL))
    return (gsize) n;
  if (isatty (STDOUT_FILENO) && ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) == 0
      && ws.ws_col > 0)
    return ws.ws_col;
  return 0;
}
