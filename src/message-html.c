/*
 * message-html.c - the text of an HTML part, for the rules to read:
 * tags, scripts and styles out, entities decoded, block elements kept
 * as line breaks.  Not a renderer: only what a report's words need.
 */
#include <glib.h>
#include <string.h>

#include "message-private.h"

/* Skips from p past the end of the current tag or to the end of text. */
static const char *
html_skip_tag (const char *p)
{
  const char *end = strchr (p, '>');

  return end ? end + 1 : p + strlen (p);
}

/* Skips the contents of <script> and <style>, which are not text. */
static const char *
html_skip_element (const char *p)
{
  static const char *const hidden[] = { "script", "style" };

  for (gsize i = 0; i < G_N_ELEMENTS (hidden); i++)
    {
      gsize n = strlen (hidden[i]);

      if (g_ascii_strncasecmp (p + 1, hidden[i], n) == 0)
        {
          g_autofree char *close = g_strdup_printf ("</%s", hidden[i]);
          const char *end = strcasestr (p, close);

          return end ? html_skip_tag (end) : p + strlen (p);
        }
    }
  return html_skip_tag (p);
}

/* Appends the character an HTML entity at p names; returns its length. */
static gsize
html_entity (const char *p, GString *out)
{
  static const struct
  {
    const char *name;
    const char *text;
  } entities[] = {
    { "&amp;", "&" },  { "&lt;", "<" },   { "&gt;", ">" },  { "&quot;", "\"" },
    { "&apos;", "'" }, { "&nbsp;", " " }, { "&#39;", "'" },
  };
  gint64 code;
  char *end = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (entities); i++)
    if (g_str_has_prefix (p, entities[i].name))
      {
        g_string_append (out, entities[i].text);
        return strlen (entities[i].name);
      }
  if (p[1] == '#')
    {
      gboolean hex = p[2] == 'x' || p[2] == 'X';

      code = g_ascii_strtoll (p + (hex ? 3 : 2), &end, hex ? 16 : 10);
      if (end != NULL && *end == ';' && code > 0 && code <= 0x10FFFF
          && g_unichar_validate ((gunichar) code))
        {
          g_string_append_unichar (out, (gunichar) code);
          return (gsize) (end + 1 - p);
        }
    }
  g_string_append_c (out, '&');
  return 1;
}

/* Text of an HTML part: tags, scripts and styles out, entities decoded. */
char *
html_to_text (const char *html)
{
  GString *out = g_string_sized_new (strlen (html));
  const char *p = html;

  while (*p != '\0')
    {
      if (*p == '<')
        {
          gboolean block = g_ascii_strncasecmp (p, "<br", 3) == 0
                           || g_ascii_strncasecmp (p, "<p", 2) == 0
                           || g_ascii_strncasecmp (p, "</p", 3) == 0
                           || g_ascii_strncasecmp (p, "<div", 4) == 0
                           || g_ascii_strncasecmp (p, "<tr", 3) == 0;

          p = html_skip_element (p);
          if (block)
            g_string_append_c (out, '\n');
        }
      else if (*p == '&')
        p += html_entity (p, out);
      else
        g_string_append_c (out, *p++);
    }
  return g_string_free (out, FALSE);
}
