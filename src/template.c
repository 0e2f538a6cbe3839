/*
 * template.c - the message templates of rules/ (see template.h).
 */
#include "madoguchi/template.h"

char *
template_read (const char *rules_dir, const char *kind, const char *language,
               GError **error)
{
  g_autofree char *name = g_strdup_printf ("%s-%s.txt", kind, language);
  g_autofree char *path = g_build_filename (rules_dir, name, NULL);
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  if (!g_utf8_validate (text, -1, NULL))
    {
      g_free (text);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not UTF-8",
                   path);
      return NULL;
    }
  return text;
}

char *
template_fill (const char *text, const char *const *names,
               const char *const *values, gsize n)
{
  GString *out = g_string_new (text);

  for (gsize i = 0; i < n; i++)
    g_string_replace (out, names[i], values[i] ? values[i] : "", 0);
  return g_string_free (out, FALSE);
}
