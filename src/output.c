/*
 * output.c - terminal cells for UTF-8 text, the way wcwidth() counts them
 * (Japanese subjects must not shear a table) but without depending on
 * the C library's locale.
 */
#include "madoguchi/output.h"

#include <string.h>

static gsize
char_width (gunichar c)
{
  /* ASCII, controls included, is one cell: no need for GLib's tables,
   * which cost a log excerpt's printing most of its time. */
  if (c < 0x80)
    return 1;
  if (g_unichar_iszerowidth (c))
    return 0;
  return g_unichar_iswide (c) ? 2 : 1;
}

gsize
output_width (const char *text)
{
  gsize width = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    width += char_width (g_utf8_get_char (p));
  return width;
}

void
output_cell (GString *out, const char *text, gsize width, gboolean pad)
{
  gboolean cut = output_width (text ? text : "") > width;
  gsize room = cut ? width - 1 : width;   /* one cell for the ellipsis */
  gsize used = 0;

  if (width == 0)
    return;
  for (const char *p = text ? text : ""; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gsize w = char_width (c);

      if (used + w > room)
        break;
      if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0))
        g_string_append_c (out, ' ');
      else if (c < 0x80)
        g_string_append_c (out, (char) c);
      else
        g_string_append_unichar (out, c);
      used += w;
    }
  if (cut && width > 0)
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
