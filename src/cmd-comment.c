/*
 * cmd-comment.c - `madoguchi comment NUMBER [TEXT]`: an internal note
 * (never mailed), from the argument or written in $EDITOR.
 */
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "madoguchi/command.h"

/* Lines starting with '#' are the instructions, not the note. */
static char *
strip_instructions (const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  GString *out = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '#')
      g_string_append_printf (out, "%s\n", lines[i]);
  return g_strstrip (g_string_free (out, FALSE));
}

/* Runs $EDITOR (or vi) on a temporary file: an argument vector, never a
 * shell.  Returns (transfer full) the note, or NULL with error set. */
static char *
note_from_editor (const char *number, GError **error)
{
  const char *editor
      = g_getenv ("VISUAL") ? g_getenv ("VISUAL") : g_getenv ("EDITOR");
  g_autofree char *path = NULL;
  g_auto (GStrv) words = NULL;
  g_auto (GStrv) argv = NULL;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *text = NULL;
  g_autofree char *help = g_strdup_printf (
      "\n# Write the note on ticket %s above.  Lines starting with '#' are "
      "ignored;\n# an empty note changes nothing.\n",
      number);
  int fd = g_file_open_tmp ("madoguchi-note-XXXXXX", &path, error);
  int status = 0;
  gboolean ok;

  if (fd < 0)
    return NULL;
  close (fd);
  if (!g_file_set_contents (path, help, -1, error)
      || !g_shell_parse_argv (editor ? editor : "vi", NULL, &words, error))
    return NULL;
  g_strv_builder_addv (builder, (const char **) words);
  g_strv_builder_add (builder, path);
  argv = g_strv_builder_end (builder);
  ok = g_spawn_sync (NULL, argv, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_CHILD_INHERITS_STDIN, NULL,
                     NULL, NULL, NULL, &status, error)
       && g_spawn_check_wait_status (status, error)
       && g_file_get_contents (path, &text, NULL, error);
  g_unlink (path);
  return ok ? strip_instructions (text) : NULL;
}

int
cmd_comment (Context *ctx, int argc, char **argv)
{
  const GOptionEntry entries[] = {
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GError) error = NULL;
  g_autofree char *note = NULL;

  if (!context_parse (ctx, entries, &argc, &argv))
    return EX_USAGE;
  if (argc != 2 && argc != 3)
    {
      fprintf (stderr, "usage: madoguchi comment NUMBER [TEXT]\n");
      return EX_USAGE;
    }
  note = argc == 3 ? g_strdup (argv[2]) : note_from_editor (argv[1], &error);
  if (note == NULL)
    return command_fail (error);
  if (*note == '\0')
    {
      fprintf (stderr, "madoguchi comment: empty note, nothing added\n");
      return 1;
    }
  if (!store_comment (ctx->store, argv[1], note, ctx->actor, &error))
    return command_fail (error);
  return EX_OK;
}
