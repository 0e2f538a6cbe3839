/*
 * test-config.c - config_load on files written to a temporary directory.
 *
 * Every error must name the file and the line, because an administrator
 * reads it in a mail log; the cases check the "file:LINE:" prefix, not
 * just the error code.  The environment ($MADOGUCHI_HOME and
 * $MADOGUCHI_CONFIG) is cleared first so that the machine running the
 * tests cannot change their outcome, and no test reads the system file.
 */
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "madoguchi/config.h"

#define MiB (G_GINT64_CONSTANT (1024) * 1024)

static char *test_dir;

/* Writes text to a file named after the running test; (transfer full). */
static char *
write_config (const char *text)
{
  g_autofree char *name
      = g_strdelimit (g_strdup (g_test_get_path ()), "/", '-');
  char *path = g_build_filename (test_dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return path;
}

static Config *
load_text (const char *text, char **path)
{
  g_autofree char *file = write_config (text);
  g_autoptr (GError) error = NULL;
  Config *config = config_load (file, &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  g_assert_cmpstr (config->file, ==, file);
  if (path != NULL)
    *path = g_steal_pointer (&file);
  return config;
}

static void
assert_defaults (const Config *config)
{
  g_assert_nonnull (config->data_dir);
  g_assert_cmpstr (config->data_dir, !=, "");
  g_assert_nonnull (config->rules_dir);
  g_assert_cmpstr (config->tag, ==, "IR");
  g_assert_cmpstr (config->team_name, ==, "CSIRT");
  g_assert_cmpstr (config->team_address, ==, "info@localhost");
  g_assert_cmpint (config->max_message_size, ==, 64 * MiB);
  g_assert_cmpint (config->max_mime_depth, ==, 32);
  g_assert_cmpint (config->max_mime_parts, ==, 1000);
  g_assert_cmpint (config->max_part_text, ==, 8 * MiB);
  g_assert_cmpint (config->deliver_timeout, ==, 300);
  g_assert_cmpint (config->busy_timeout, ==, 60000);
  g_assert_cmpint (config->min_free_space, ==, 16 * MiB);
  g_assert_false (config->keep_spool);
  g_assert_true (config->own_networks == NULL
                 || config->own_networks->len == 0);
  g_assert_cmpint (config->max_indicators, ==, 10000);
  g_assert_cmpint (config->max_timestamps, ==, 10000);
  g_assert_cmpint (config->max_scan_text, ==, 32 * MiB);
}

static void
test_defaults_empty_file (void)
{
  g_autoptr (Config) config = load_text ("", NULL);

  assert_defaults (config);
}

static void
test_defaults_empty_group (void)
{
  g_autoptr (Config) config = load_text ("# nothing set\n[madoguchi]\n", NULL);

  assert_defaults (config);
}

static void
test_defaults_embedded (void)
{
  g_autoptr (Config) config = config_new_defaults ();

  assert_defaults (config);
  g_assert_null (config->file);
}

static const char all_keys[] = "# every key\n"
                               "[madoguchi]\n"
                               "data_dir = /srv/madoguchi\n"
                               "rules_dir = /srv/madoguchi/rules\n"
                               "tag = CSIRT-JP\n"
                               "team_name = Example CSIRT\n"
                               "team_address = csirt@example.jp\n"
                               "max_message_size = 128M\n"
                               "max_mime_depth = 16\n"
                               "max_mime_parts = 500\n"
                               "max_part_text = 1M\n"
                               "deliver_timeout = 120\n"
                               "busy_timeout = 5000\n"
                               "min_free_space = 1G\n"
                               "keep_spool = true\n"
                               "own_networks = 192.0.2.0/24, 2001:db8::/32\n"
                               "max_indicators = 250\n"
                               "max_scan_text = 4M\n";

static void
assert_all_keys (const Config *config)
{
  g_assert_cmpstr (config->data_dir, ==, "/srv/madoguchi");
  g_assert_cmpstr (config->rules_dir, ==, "/srv/madoguchi/rules");
  g_assert_cmpstr (config->tag, ==, "CSIRT-JP");
  g_assert_cmpstr (config->team_name, ==, "Example CSIRT");
  g_assert_cmpstr (config->team_address, ==, "csirt@example.jp");
  g_assert_cmpint (config->max_message_size, ==, 128 * MiB);
  g_assert_cmpint (config->max_mime_depth, ==, 16);
  g_assert_cmpint (config->max_mime_parts, ==, 500);
  g_assert_cmpint (config->max_part_text, ==, MiB);
  g_assert_cmpint (config->deliver_timeout, ==, 120);
  g_assert_cmpint (config->busy_timeout, ==, 5000);
  g_assert_cmpint (config->min_free_space, ==, 1024 * MiB);
  g_assert_true (config->keep_spool);
  g_assert_nonnull (config->own_networks);
  g_assert_cmpuint (config->own_networks->len, ==, 2);
  g_assert_cmpint (config->max_indicators, ==, 250);
  g_assert_cmpint (config->max_scan_text, ==, 4 * MiB);
}

static void
test_all_keys (void)
{
  g_autoptr (Config) config = load_text (all_keys, NULL);
  g_autofree char *db = config_db_path (config);
  g_autofree char *spool = config_spool_dir (config);

  assert_all_keys (config);
  g_assert_cmpstr (db, ==, "/srv/madoguchi/madoguchi.db");
  g_assert_cmpstr (spool, ==, "/srv/madoguchi/spool");
}

typedef struct
{
  const char *path;
  const char *text; /* max_part_text = text */
  gint64 bytes;     /* -1: an error */
} SizeCase;

static const SizeCase size_cases[] = {
  { "/config/size/plain", "4096", 4096 },
  { "/config/size/k", "4K", 4096 },
  { "/config/size/k-lower", "512k", 512 * 1024 },
  { "/config/size/m", "8M", 8 * MiB },
  { "/config/size/m-lower", "3m", 3 * MiB },
  { "/config/size/g", "1G", 1024 * MiB },
  { "/config/size/bad/fraction", "1.5M", -1 },
  { "/config/size/bad/unit-mb", "10MB", -1 },
  { "/config/size/bad/unit-t", "1T", -1 },
  { "/config/size/bad/negative", "-4096", -1 },
  { "/config/size/bad/unit-only", "M", -1 },
  { "/config/size/bad/empty", "", -1 },
  { "/config/size/bad/overflow", "99999999999999999999", -1 },
  { "/config/size/bad/overflow-unit", "9223372036854775807K", -1 },
  { "/config/size/range/below", "4095", -1 },
  { "/config/size/range/above", "2G", -1 },
};

static void
test_size (gconstpointer data)
{
  const SizeCase *c = data;
  g_autofree char *text
      = g_strdup_printf ("[madoguchi]\nmax_part_text = %s\n", c->text);
  g_autofree char *file = write_config (text);
  g_autoptr (GError) error = NULL;
  g_autoptr (Config) config = config_load (file, &error);
  g_autofree char *prefix = g_strdup_printf ("%s:2:", file);

  if (c->bytes >= 0)
    {
      g_assert_no_error (error);
      g_assert_cmpint (config->max_part_text, ==, c->bytes);
      return;
    }
  g_assert_error (error, CONFIG_ERROR, CONFIG_ERROR_VALUE);
  g_assert_null (config);
  g_assert_true (g_str_has_prefix (error->message, prefix));
  g_assert_nonnull (strstr (error->message, "max_part_text"));
}

typedef struct
{
  const char *path;
  const char *text;
  ConfigError code;
  int line;           /* in "file:LINE:"; 0 for none */
  const char *detail; /* also in the message, or NULL */
} ErrorCase;

static const ErrorCase error_cases[] = {
  { "/config/error/unknown-key", "[madoguchi]\ntag = IR\nbogus_key = 1\n",
    CONFIG_ERROR_UNKNOWN_KEY, 3, "bogus_key" },
  { "/config/error/unknown-key-prefix",
    "# comment\n[madoguchi]\ndata_dir = /srv\ndata = /srv\n",
    CONFIG_ERROR_UNKNOWN_KEY, 4, "\"data\"" },
  { "/config/error/unknown-key-case", "[madoguchi]\nTag = IR\n",
    CONFIG_ERROR_UNKNOWN_KEY, 2, "Tag" },
  { "/config/error/unknown-group", "[madoguchi]\ntag = IR\n\n[rules]\nx = 1\n",
    CONFIG_ERROR_UNKNOWN_KEY, 4, "[rules]" },
  { "/config/error/unknown-group-first", "[madoguchi-typo]\ntag = IR\n",
    CONFIG_ERROR_UNKNOWN_KEY, 1, "madoguchi-typo" },
  { "/config/error/range/depth-zero", "[madoguchi]\nmax_mime_depth = 0\n",
    CONFIG_ERROR_VALUE, 2, "max_mime_depth" },
  { "/config/error/range/depth-high",
    "[madoguchi]\ntag = IR\nmax_mime_depth = 257\n", CONFIG_ERROR_VALUE, 3,
    "max_mime_depth" },
  { "/config/error/range/parts", "[madoguchi]\nmax_mime_parts = 100001\n",
    CONFIG_ERROR_VALUE, 2, "max_mime_parts" },
  { "/config/error/range/message-size", "[madoguchi]\nmax_message_size = 1K\n",
    CONFIG_ERROR_VALUE, 2, "max_message_size" },
  { "/config/error/range/timeout", "[madoguchi]\ndeliver_timeout = 901\n",
    CONFIG_ERROR_VALUE, 2, "deliver_timeout" },
  { "/config/error/range/busy", "[madoguchi]\nbusy_timeout = 99\n",
    CONFIG_ERROR_VALUE, 2, "busy_timeout" },
  { "/config/error/int/not-a-number", "[madoguchi]\nmax_mime_parts = many\n",
    CONFIG_ERROR_VALUE, 2, "max_mime_parts" },
  { "/config/error/int/suffix", "[madoguchi]\ndeliver_timeout = 10s\n",
    CONFIG_ERROR_VALUE, 2, "deliver_timeout" },
  { "/config/error/bool/yes", "[madoguchi]\nkeep_spool = yes\n",
    CONFIG_ERROR_VALUE, 2, "true or false" },
  { "/config/error/bool/one", "[madoguchi]\n\nkeep_spool = 1\n",
    CONFIG_ERROR_VALUE, 3, "keep_spool" },
  { "/config/error/string/empty", "[madoguchi]\nteam_name =\n",
    CONFIG_ERROR_VALUE, 2, "team_name" },
  { "/config/error/tag/space", "[madoguchi]\nteam_name = X\ntag = IR #\n",
    CONFIG_ERROR_VALUE, 3, "tag" },
  { "/config/error/tag/bracket", "[madoguchi]\ntag = IR]\n", CONFIG_ERROR_VALUE,
    2, "tag" },
  { "/config/error/tag/long", "[madoguchi]\ntag = ABCDEFGHIJKLMNOPQ\n",
    CONFIG_ERROR_VALUE, 2, "tag" },
  { "/config/error/tag/non-ascii", "[madoguchi]\ntag = 事案\n",
    CONFIG_ERROR_VALUE, 2, "tag" },
  { "/config/error/networks/bad-address",
    "[madoguchi]\nown_networks = 192.0.2.0/24, 300.1.2.3\n", CONFIG_ERROR_VALUE,
    2, "own_networks" },
  { "/config/error/networks/bad-prefix",
    "[madoguchi]\n\nown_networks = 192.0.2.0/33\n", CONFIG_ERROR_VALUE, 3,
    "own_networks" },
  /* GKeyFile takes the last of a repeated key: the line is that one's. */
  { "/config/error/repeated/last-bad",
    "[madoguchi]\nmax_mime_depth = 8\nmax_mime_depth = 0\n", CONFIG_ERROR_VALUE,
    3, "max_mime_depth" },
  { "/config/error/repeated/apart",
    "[madoguchi]\nmax_mime_parts = 50\ntag = IR\nmax_mime_parts = many\n",
    CONFIG_ERROR_VALUE, 4, "max_mime_parts" },
  { "/config/error/repeated/tag",
    "[madoguchi]\ntag = IR\nteam_name = X\ntag = I R\n", CONFIG_ERROR_VALUE, 4,
    "tag" },
  { "/config/error/range/indicators", "[madoguchi]\nmax_indicators = 0\n",
    CONFIG_ERROR_VALUE, 2, "max_indicators" },
  { "/config/error/syntax/no-group", "tag = IR\n", CONFIG_ERROR_SYNTAX, 0,
    NULL },
  { "/config/error/syntax/garbage", "[madoguchi]\nthis is not a key file\n",
    CONFIG_ERROR_SYNTAX, 0, NULL },
};

static void
test_error (gconstpointer data)
{
  const ErrorCase *c = data;
  g_autofree char *file = write_config (c->text);
  g_autoptr (GError) error = NULL;
  g_autoptr (Config) config = config_load (file, &error);
  g_autofree char *prefix = c->line > 0
                                ? g_strdup_printf ("%s:%d:", file, c->line)
                                : g_strdup_printf ("%s:", file);

  g_assert_null (config);
  g_assert_error (error, CONFIG_ERROR, (gint) c->code);
  g_assert_true (g_str_has_prefix (error->message, prefix));
  if (c->detail != NULL)
    g_assert_nonnull (strstr (error->message, c->detail));
}

static void
test_tag_limits (void)
{
  g_autoptr (Config) longest
      = load_text ("[madoguchi]\ntag = ABCDEFGHIJKLMNOP\n", NULL);
  g_autoptr (Config) shortest = load_text ("[madoguchi]\ntag = X\n", NULL);

  g_assert_cmpstr (longest->tag, ==, "ABCDEFGHIJKLMNOP");
  g_assert_cmpstr (shortest->tag, ==, "X");
}

/* A repeated key: the last value is the one that counts. */
static void
test_repeated_key (void)
{
  g_autoptr (Config) config = load_text (
      "[madoguchi]\nmax_mime_depth = 0\nmax_mime_depth = 8\n", NULL);

  g_assert_cmpint (config->max_mime_depth, ==, 8);
}

static void
test_home_overrides (void)
{
  g_autoptr (Config) config = NULL;
  g_autoptr (Config) unset = NULL;
  g_autofree char *db = NULL;

  g_setenv ("MADOGUCHI_HOME", "/tmp/madoguchi-home", TRUE);
  config = load_text (all_keys, NULL);
  g_setenv ("MADOGUCHI_HOME", "", TRUE);
  unset = load_text (all_keys, NULL);
  g_unsetenv ("MADOGUCHI_HOME");
  db = config_db_path (config);
  g_assert_cmpstr (config->data_dir, ==, "/tmp/madoguchi-home");
  g_assert_cmpstr (db, ==, "/tmp/madoguchi-home/madoguchi.db");
  /* Only data_dir moves. */
  g_assert_cmpstr (config->rules_dir, ==, "/srv/madoguchi/rules");
  g_assert_cmpstr (config->tag, ==, "CSIRT-JP");
  /* An empty $MADOGUCHI_HOME is no override. */
  g_assert_cmpstr (unset->data_dir, ==, "/srv/madoguchi");
}

static void
test_env_config (void)
{
  g_autofree char *file = write_config ("[madoguchi]\ntag = ENV\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (Config) config = NULL;

  g_setenv ("MADOGUCHI_CONFIG", file, TRUE);
  config = config_load (NULL, &error);
  g_unsetenv ("MADOGUCHI_CONFIG");
  g_assert_no_error (error);
  g_assert_cmpstr (config->file, ==, file);
  g_assert_cmpstr (config->tag, ==, "ENV");
}

static void
test_missing_file (void)
{
  g_autofree char *file = g_build_filename (test_dir, "no-such.conf", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (Config) config = config_load (file, &error);

  g_assert_null (config);
  g_assert_error (error, CONFIG_ERROR, CONFIG_ERROR_READ);
  g_assert_nonnull (strstr (error->message, file));
}

static char *
print_config (const Config *config)
{
  char *text = NULL;
  size_t size = 0;
  FILE *out = open_memstream (&text, &size);

  g_assert_nonnull (out);
  config_print (config, out);
  g_assert_cmpint (fclose (out), ==, 0);
  return text;
}

static const char *const every_key[] = {
  "data_dir",        "rules_dir",      "tag",
  "team_name",       "team_address",   "max_message_size",
  "max_mime_depth",  "max_mime_parts", "max_part_text",
  "deliver_timeout", "busy_timeout",   "min_free_space",
  "keep_spool",      "own_networks",   "max_indicators",
  "max_timestamps",  "max_scan_text",
};

/* Every key, with its effective value, and loadable as a config file. */
static void
test_print (void)
{
  g_autofree char *path = NULL;
  g_autoptr (Config) config = load_text (all_keys, &path);
  g_autofree char *text = print_config (config);
  g_autoptr (Config) again = NULL;
  g_autofree char *reprinted = NULL;

  g_assert_nonnull (strstr (text, path));
  g_assert_nonnull (strstr (text, "[madoguchi]\n"));
  for (gsize i = 0; i < G_N_ELEMENTS (every_key); i++)
    {
      g_autofree char *line = g_strdup_printf ("\n%s =", every_key[i]);

      g_assert_nonnull (strstr (text, line));
    }
  g_assert_nonnull (strstr (text, "\ntag = CSIRT-JP\n"));
  g_assert_nonnull (strstr (text, "\nteam_name = Example CSIRT\n"));
  g_assert_nonnull (strstr (text, "\nmax_part_text = 1048576\n"));
  g_assert_nonnull (strstr (text, "\nkeep_spool = true\n"));
  g_assert_nonnull (strstr (text, "192.0.2.0/24"));
  g_assert_nonnull (strstr (text, "2001:db8::/32"));
  again = load_text (text, NULL);
  assert_all_keys (again);
  reprinted = print_config (again);
  g_assert_nonnull (strstr (reprinted, "\nmin_free_space = 1073741824\n"));
}

static void
test_print_defaults (void)
{
  g_autoptr (Config) config = config_new_defaults ();
  g_autofree char *text = print_config (config);

  g_assert_nonnull (strstr (text, "embedded defaults"));
  for (gsize i = 0; i < G_N_ELEMENTS (every_key); i++)
    {
      g_autofree char *line = g_strdup_printf ("\n%s =", every_key[i]);

      g_assert_nonnull (strstr (text, line));
    }
  g_assert_nonnull (strstr (text, "\nkeep_spool = false\n"));
}

static void
remove_test_dir (void)
{
  g_autoptr (GDir) dir = g_dir_open (test_dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (test_dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (test_dir);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  g_unsetenv ("MADOGUCHI_HOME");
  g_unsetenv ("MADOGUCHI_CONFIG");
  test_dir = g_dir_make_tmp ("madoguchi-test-config-XXXXXX", &error);
  g_assert_no_error (error);
  g_test_add_func ("/config/defaults/empty-file", test_defaults_empty_file);
  g_test_add_func ("/config/defaults/empty-group", test_defaults_empty_group);
  g_test_add_func ("/config/defaults/embedded", test_defaults_embedded);
  g_test_add_func ("/config/keys/all", test_all_keys);
  g_test_add_func ("/config/keys/tag-limits", test_tag_limits);
  g_test_add_func ("/config/keys/repeated", test_repeated_key);
  for (gsize i = 0; i < G_N_ELEMENTS (size_cases); i++)
    g_test_add_data_func (size_cases[i].path, &size_cases[i], test_size);
  for (gsize i = 0; i < G_N_ELEMENTS (error_cases); i++)
    g_test_add_data_func (error_cases[i].path, &error_cases[i], test_error);
  g_test_add_func ("/config/env/home", test_home_overrides);
  g_test_add_func ("/config/env/config", test_env_config);
  g_test_add_func ("/config/error/missing-file", test_missing_file);
  g_test_add_func ("/config/print/all-keys", test_print);
  g_test_add_func ("/config/print/defaults", test_print_defaults);
  status = g_test_run ();
  remove_test_dir ();
  g_free (test_dir);
  return status;
}
