/*
 * cmd-spool.c - `madoguchi spool run|list|retry`: the recovery side of
 * the durability protocol.
 *
 * `run` files every message waiting in spool/new/ (a delivery that could
 * not reach the database, or was killed after spooling); a message that
 * was already filed is recognised by its dedup key and only removed.
 * An entry that is not a spool file at all goes to spool/failed/.
 */
#include <stdio.h>

#include "madoguchi/command.h"
#include "madoguchi/intake.h"
#include "madoguchi/log.h"
#include "madoguchi/spool.h"

#define SPOOL_TMP_MAX_AGE (36 * 60 * 60)   /* Maildir's convention */

/* Files one entry; returns FALSE when it must stay for a later run. */
static gboolean
spool_run_one (const Intake *intake, const char *dir, const char *id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SpoolEntry) entry = spool_open (dir, id, &error);
  IntakeResult result = { 0 };
  gboolean ok;

  if (entry == NULL)
    {
      g_autoptr (SpoolEntry) bad = g_new0 (SpoolEntry, 1);

      log_error ("%s: %s; moved to failed/", id, error->message);
      g_clear_error (&error);
      bad->id = g_strdup (id);
      bad->path = g_build_filename (dir, "new", id, NULL);
      if (!spool_fail (dir, bad, &error))
        log_error ("%s: %s", id, error->message);
      return FALSE;
    }
  ok = intake_file (intake, entry, &result, &error);
  if (ok)
    printf ("%s: %s %s\n", id,
            result.filed.duplicate ? "already filed as" : "filed as",
            result.filed.number);
  else
    log_error ("%s: %s", id, error->message);
  intake_result_clear (&result);
  return ok;
}

static int
spool_run (Context *ctx, const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = NULL;
  g_autoptr (GPtrArray) ids = NULL;
  g_autoptr (RuleSet) rules = NULL;
  Intake intake;
  guint left = 0;

  if (spool_ensure (dir, &error))
    ids = spool_list (dir, "new", &error);
  if (ids == NULL)
    return command_fail (error);
  store = context_open_store (ctx, &error);
  if (store == NULL)
    {
      /* Everything stays spooled: a later run will do it. */
      command_fail (error);
      return EX_TEMPFAIL;
    }
  rules = intake_load_rules (ctx->config);
  intake = (Intake) { ctx->config, rules, store, g_get_user_name (), TRUE };
  spool_clean_tmp (dir, SPOOL_TMP_MAX_AGE);
  for (guint i = 0; i < ids->len; i++)
    left += !spool_run_one (&intake, dir, ids->pdata[i]);
  printf ("%u filed, %u left in the spool\n", ids->len - left, left);
  /* Deliveries leave their messages to wait for the search index. */
  if (!store_index_waiting (store, &error))
    log_warn ("cannot bring the search index up to date: %s",
              error->message);
  return left ? EX_TEMPFAIL : EX_OK;
}

static int
spool_show_list (const char *dir)
{
  static const char *const subs[] = { "new", "failed" };
  g_autoptr (GError) error = NULL;

  if (!spool_ensure (dir, &error))
    return command_fail (error);
  for (gsize s = 0; s < G_N_ELEMENTS (subs); s++)
    {
      g_autoptr (GPtrArray) ids = spool_list (dir, subs[s], &error);

      if (ids == NULL)
        return command_fail (error);
      for (guint i = 0; i < ids->len; i++)
        {
          g_autofree char *path = g_build_filename (dir, subs[s],
                                                    ids->pdata[i], NULL);
          g_autoptr (SpoolEntry) e = spool_open (dir, path, NULL);

          printf ("%-7s %s  %" G_GINT64_FORMAT " bytes  from=<%s>\n", subs[s],
                  (char *) ids->pdata[i], e ? e->size : 0,
                  e && e->sender ? e->sender : "?");
        }
    }
  return EX_OK;
}

int
cmd_spool (Context *ctx, int argc, char **argv)
{
  const GOptionEntry entries[] = { { NULL } };
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = config_spool_dir (ctx->config);

  if (!command_parse ("spool", "run|list|retry ID...",
                      "run: file every message waiting in spool/new/.\n"
                      "list: show what waits in new/ and failed/.\n"
                      "retry ID...: move failed/ID back to new/.",
                      entries, &argc, &argv))
    return EX_USAGE;
  if (argc == 2 && g_strcmp0 (argv[1], "run") == 0)
    return spool_run (ctx, dir);
  if (argc == 2 && g_strcmp0 (argv[1], "list") == 0)
    return spool_show_list (dir);
  if (argc >= 3 && g_strcmp0 (argv[1], "retry") == 0)
    {
      for (int i = 2; i < argc; i++)
        if (!spool_retry (dir, argv[i], &error))
          return command_fail (error);
      return EX_OK;
    }
  fprintf (stderr, "usage: madoguchi spool run|list|retry ID...\n");
  return EX_USAGE;
}
