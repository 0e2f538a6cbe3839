/*
 * keyfile.c - line numbers for GKeyFile groups and keys.  GKeyFile keeps
 * none, and an administrator fixing a file at night needs them.
 */
#include "madoguchi/keyfile.h"

#include <string.h>

static gboolean
line_is_key (const char *line, const char *key)
{
  gsize len = strlen (key);

  if (strncmp (line, key, len) != 0)
    return FALSE;
  while (line[len] == ' ' || line[len] == '\t')
    len++;
  return line[len] == '=';
}

int
keyfile_line (const char *text, const char *group, const char *key)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree char *header = g_strdup_printf ("[%s]", group);
  gboolean in_group = FALSE;
  int found = 0;

  /* GKeyFile takes the last of a repeated key: so does the line. */
  for (int i = 0; lines[i] != NULL; i++)
    {
      const char *line = g_strstrip (lines[i]);

      if (line[0] == '[')
        {
          in_group = strcmp (line, header) == 0;
          if (in_group && key == NULL)
            return i + 1;
        }
      else if (in_group && key != NULL && line_is_key (line, key))
        found = i + 1;
    }
  return found;
}
