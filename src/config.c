/*
 * config.c - load madoguchi.conf into a Config.
 *
 * Every key is described once in config_keys[] (Postfix's parameter
 * tables are the model): its type, its default and its range.  Loading
 * walks the file, rejects what the table does not know, and checks each
 * value; the error names the file and line, because an MTA administrator
 * reads it in a mail log at night.
 */
#include "madoguchi/config.h"

#include "madoguchi/address.h"
#include "madoguchi/keyfile.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK (madoguchi - config - error - quark, config_error)

#define CONFIG_GROUP "madoguchi"

typedef enum
{
  KEY_STRING,
  KEY_INT,
  KEY_SIZE,
  KEY_BOOL,
  KEY_NETWORKS,
} KeyType;

typedef struct
{
  const char *key;
  KeyType type;
  const char *fallback; /* default, as it would be written in the file */
  gint64 min;
  gint64 max;
  gsize offset;
} ConfigKey;

#define FIELD(name) G_STRUCT_OFFSET (Config, name)
#define MiB (G_GINT64_CONSTANT (1024) * 1024)

/* data_dir and rules_dir have no fixed default: see default_dirs(). */
static const ConfigKey config_keys[] = {
  { "data_dir", KEY_STRING, NULL, 0, 0, FIELD (data_dir) },
  { "rules_dir", KEY_STRING, NULL, 0, 0, FIELD (rules_dir) },
  { "database", KEY_STRING, "", 0, 0, FIELD (database) },
  { "tag", KEY_STRING, "IR", 0, 0, FIELD (tag) },
  { "team_name", KEY_STRING, "CSIRT", 0, 0, FIELD (team_name) },
  { "team_address", KEY_STRING, "info@localhost", 0, 0, FIELD (team_address) },
  { "max_message_size", KEY_SIZE, "64M", 64 * 1024, 4096 * MiB,
    FIELD (max_message_size) },
  { "max_mime_depth", KEY_INT, "32", 1, 256, FIELD (max_mime_depth) },
  { "max_mime_parts", KEY_INT, "1000", 1, 100000, FIELD (max_mime_parts) },
  { "max_part_text", KEY_SIZE, "8M", 4096, 1024 * MiB, FIELD (max_part_text) },
  { "max_archive_bytes", KEY_SIZE, "256M", 64 * 1024, 64 * 1024 * MiB,
    FIELD (max_archive_bytes) },
  { "max_archive_members", KEY_INT, "1000", 1, 1000000,
    FIELD (max_archive_members) },
  { "max_archive_ratio", KEY_INT, "200", 0, 1000000,
    FIELD (max_archive_ratio) },
  { "archive_passwords", KEY_STRING, "infected", 0, 0,
    FIELD (archive_passwords) },
  { "deliver_timeout", KEY_INT, "300", 5, 900, FIELD (deliver_timeout) },
  { "busy_timeout", KEY_INT, "60000", 100, 600000, FIELD (busy_timeout) },
  { "min_free_space", KEY_SIZE, "16M", 0, 1024 * 1024 * MiB,
    FIELD (min_free_space) },
  { "keep_spool", KEY_BOOL, "false", 0, 1, FIELD (keep_spool) },
  { "own_networks", KEY_NETWORKS, "", 0, 0, FIELD (own_networks) },
  { "max_indicators", KEY_INT, "10000", 1, 1000000, FIELD (max_indicators) },
  { "max_timestamps", KEY_INT, "10000", 1, 1000000, FIELD (max_timestamps) },
  { "max_scan_text", KEY_SIZE, "32M", 4096, 1024 * MiB, FIELD (max_scan_text) },
  { "classify_min_score", KEY_INT, "3", 1, 1000, FIELD (classify_min_score) },
  { "acknowledge", KEY_BOOL, "true", 0, 1, FIELD (acknowledge) },
  { "ack_language", KEY_STRING, "auto", 0, 0, FIELD (ack_language) },
  { "ack_charset", KEY_STRING, "utf-8", 0, 0, FIELD (ack_charset) },
  { "ack_rate_hour", KEY_INT, "5", 0, 10000, FIELD (ack_rate_hour) },
  { "ack_rate_day", KEY_INT, "20", 0, 100000, FIELD (ack_rate_day) },
  { "ack_rate_sender_hour", KEY_INT, "5", 0, 10000,
    FIELD (ack_rate_sender_hour) },
  { "ack_rate_sender_day", KEY_INT, "20", 0, 100000,
    FIELD (ack_rate_sender_day) },
  { "ack_rate_domain_hour", KEY_INT, "30", 0, 10000,
    FIELD (ack_rate_domain_hour) },
  { "ack_rate_domain_day", KEY_INT, "200", 0, 100000,
    FIELD (ack_rate_domain_day) },
  { "sendmail_command", KEY_STRING, "", 0, 0, FIELD (sendmail_command) },
  { "authserv_id", KEY_STRING, "", 0, 0, FIELD (authserv_id) },
  { "gnupg_home", KEY_STRING, "", 0, 0, FIELD (gnupg_home) },
  { "pgp_sign", KEY_BOOL, "false", 0, 1, FIELD (pgp_sign) },
  { "tlp", KEY_STRING, "AMBER", 0, 0, FIELD (tlp) },
  { "auto_notify", KEY_BOOL, "false", 0, 1, FIELD (auto_notify) },
  { "auto_notify_categories", KEY_STRING, "", 0, 0,
    FIELD (auto_notify_categories) },
};

static const ConfigKey *
config_key_find (const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS (config_keys); i++)
    if (strcmp (config_keys[i].key, key) == 0)
      return &config_keys[i];
  return NULL;
}

/* A size is a number with an optional K, M or G suffix (powers of 1024). */
static gboolean
parse_size (const char *text, gint64 *out)
{
  char *end = NULL;
  gint64 value;
  gint64 unit = 1;

  errno = 0;
  value = g_ascii_strtoll (text, &end, 10);
  if (errno != 0 || end == text || value < 0)
    return FALSE;
  switch (g_ascii_toupper (*end))
    {
    case 'K':
      unit = 1024;
      end++;
      break;
    case 'M':
      unit = MiB;
      end++;
      break;
    case 'G':
      unit = 1024 * MiB;
      end++;
      break;
    default:
      break;
    }
  if (*end != '\0' || value > G_MAXINT64 / unit)
    return FALSE;
  *out = value * unit;
  return TRUE;
}

/* "192.0.2.0/24, 2001:db8::/32": separated by commas or spaces. */
static gboolean
parse_networks (const char *text, GArray **out)
{
  g_auto (GStrv) items = g_strsplit_set (text, ", \t", -1);
  g_autoptr (GArray) nets = g_array_new (FALSE, FALSE, sizeof (Network));

  for (gsize i = 0; items[i] != NULL; i++)
    {
      Network net;

      if (*items[i] == '\0')
        continue;
      if (!address_parse_network (items[i], &net))
        return FALSE;
      g_array_append_val (nets, net);
    }
  if (*out != NULL)
    g_array_unref (*out);
  *out = g_steal_pointer (&nets);
  return TRUE;
}

static gboolean
parse_value (const ConfigKey *k, const char *text, Config *config)
{
  gpointer field = G_STRUCT_MEMBER_P (config, k->offset);
  gint64 number = 0;

  switch (k->type)
    {
    case KEY_STRING:
      g_free (*(char **) field);
      *(char **) field = g_strdup (text);
      return TRUE;
    case KEY_BOOL:
      if (g_strcmp0 (text, "true") != 0 && g_strcmp0 (text, "false") != 0)
        return FALSE;
      *(gboolean *) field = g_strcmp0 (text, "true") == 0;
      return TRUE;
    case KEY_NETWORKS:
      return parse_networks (text, (GArray **) field);
    case KEY_INT:
    case KEY_SIZE:
      break;
    }
  if (k->type == KEY_INT
          ? !g_ascii_string_to_signed (text, 10, k->min, k->max, &number, NULL)
          : !parse_size (text, &number) || number < k->min || number > k->max)
    return FALSE;
  *(gint64 *) field = number;
  return TRUE;
}

static const char *
key_type_hint (const ConfigKey *k)
{
  switch (k->type)
    {
    case KEY_BOOL:
      return "true or false";
    case KEY_SIZE:
      return "a size such as 512K, 64M or 1G";
    case KEY_INT:
      return "a whole number";
    case KEY_NETWORKS:
      return "addresses or prefixes like 192.0.2.0/24";
    case KEY_STRING:
      break;
    }
  return "a non-empty string";
}

static void
default_dirs (Config *config)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *exe_dir = exe ? g_path_get_dirname (exe) : NULL;

  /* A binary run from its build tree works on the source tree's spool/
   * and rules/, so that the quick start needs no install and no config. */
  if (g_strcmp0 (exe_dir, MADOGUCHI_BUILD_DIR) == 0)
    {
      config->data_dir = g_strdup (MADOGUCHI_SOURCE_DIR);
      config->rules_dir
          = g_build_filename (MADOGUCHI_SOURCE_DIR, "rules", NULL);
      return;
    }
  config->data_dir = g_strdup (MADOGUCHI_DATA_DIR);
  config->rules_dir = g_strdup (MADOGUCHI_RULES_DIR);
}

Config *
config_new_defaults (void)
{
  Config *config = g_new0 (Config, 1);

  default_dirs (config);
  for (gsize i = 0; i < G_N_ELEMENTS (config_keys); i++)
    if (config_keys[i].fallback != NULL
        && !parse_value (&config_keys[i], config_keys[i].fallback, config))
      g_assert_not_reached ();
  return config;
}

/* Whether text is a list of categories (DESIGN.md's keys). */
static gboolean
config_check_categories (const char *text)
{
  static const char *const known[] = { "dos",       "ddos", "spoofing", "abuse",
                                       "intrusion", "scan", "other",    NULL };
  g_auto (GStrv) items = g_strsplit_set (text, ", \t", -1);

  for (guint i = 0; items[i] != NULL; i++)
    if (*items[i] != '\0' && !g_strv_contains (known, items[i]))
      return FALSE;
  return TRUE;
}

/* Keys whose value is one of a few words. */
static gboolean
config_check_choices (Config *config, const char *file, const char *text,
                      GError **error)
{
  static const char *const languages[]
      = { "auto", "ja", "en", "bilingual", NULL };
  static const char *const charsets[] = { "utf-8", "iso-2022-jp", NULL };
  /* FIRST TLP 2.0 */
  static const char *const tlps[]
      = { "CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED", NULL };
  const char *key = NULL;
  const char *expected = NULL;
  char *up = g_ascii_strup (config->tlp, -1);

  g_free (config->tlp);
  config->tlp = up;
  if (g_str_has_prefix (up, "TLP:"))
    memmove (up, up + 4, strlen (up + 4) + 1);
  if (!g_strv_contains (languages, config->ack_language))
    key = "ack_language", expected = "auto, ja, en or bilingual";
  else if (!g_strv_contains (charsets, config->ack_charset))
    key = "ack_charset", expected = "utf-8 or iso-2022-jp";
  else if (!g_strv_contains (tlps, config->tlp))
    key = "tlp", expected = "CLEAR, GREEN, AMBER, AMBER+STRICT or RED";
  else if (!config_check_categories (config->auto_notify_categories))
    key = "auto_notify_categories",
    expected = "categories (dos, ddos, spoofing, abuse, intrusion, scan, "
               "other) separated by commas";
  if (key == NULL)
    return TRUE;
  g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_VALUE,
               "%s:%d: bad value for %s: expected %s", file,
               keyfile_line (text, CONFIG_GROUP, key), key, expected);
  return FALSE;
}

static gboolean
config_check_tag (const Config *config, const char *file, const char *text,
                  GError **error)
{
  gsize len = strlen (config->tag);

  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (config->tag[i]) && config->tag[i] != '-')
      len = 0;
  if (len > 0 && len <= 16)
    return TRUE;
  g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_VALUE,
               "%s:%d: tag must be 1 to 16 letters, digits or '-'", file,
               keyfile_line (text, CONFIG_GROUP, "tag"));
  return FALSE;
}

static gboolean
config_read_group (Config *config, GKeyFile *kf, const char *file,
                   const char *text, GError **error)
{
  g_auto (GStrv) keys = g_key_file_get_keys (kf, CONFIG_GROUP, NULL, NULL);

  for (gsize i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      const ConfigKey *k = config_key_find (keys[i]);
      g_autofree char *value = NULL;
      int line = keyfile_line (text, CONFIG_GROUP, keys[i]);

      if (k == NULL)
        {
          g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_UNKNOWN_KEY,
                       "%s:%d: unknown key \"%s\" in [%s]", file, line, keys[i],
                       CONFIG_GROUP);
          return FALSE;
        }
      value = g_key_file_get_string (kf, CONFIG_GROUP, keys[i], NULL);
      if (value == NULL || !parse_value (k, g_strstrip (value), config)
          || (k->type == KEY_STRING && *value == '\0'
              && g_strcmp0 (k->fallback, "") != 0))
        {
          g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_VALUE,
                       "%s:%d: bad value for %s: expected %s%s", file, line,
                       keys[i], key_type_hint (k),
                       k->type == KEY_INT || k->type == KEY_SIZE
                           ? " within the allowed range"
                           : "");
          return FALSE;
        }
    }
  return config_check_tag (config, file, text, error)
         && config_check_choices (config, file, text, error);
}

static gboolean
config_read_file (Config *config, const char *file, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) local = NULL;
  g_auto (GStrv) groups = NULL;

  if (!g_file_get_contents (file, &text, NULL, &local))
    {
      g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_READ, "%s: %s", file,
                   local->message);
      return FALSE;
    }
  if (!g_key_file_load_from_data (kf, text, -1, G_KEY_FILE_NONE, &local))
    {
      g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_SYNTAX, "%s: %s", file,
                   local->message);
      return FALSE;
    }
  groups = g_key_file_get_groups (kf, NULL);
  for (gsize i = 0; groups[i] != NULL; i++)
    if (strcmp (groups[i], CONFIG_GROUP) != 0)
      {
        g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_UNKNOWN_KEY,
                     "%s:%d: unknown group [%s]", file,
                     keyfile_line (text, groups[i], NULL), groups[i]);
        return FALSE;
      }
  config->file = g_strdup (file);
  return config_read_group (config, kf, file, text, error);
}

Config *
config_load (const char *path, GError **error)
{
  g_autoptr (Config) config = config_new_defaults ();
  const char *file = path;
  const char *home = g_getenv ("MADOGUCHI_HOME");
  const char *database = g_getenv ("MADOGUCHI_DATABASE");

  if (file == NULL)
    file = g_getenv ("MADOGUCHI_CONFIG");
  if (file == NULL && access (MADOGUCHI_SYSCONF_FILE, F_OK) == 0)
    file = MADOGUCHI_SYSCONF_FILE;
  if (file != NULL && !config_read_file (config, file, error))
    return NULL;
  if (home != NULL && *home != '\0')
    {
      g_free (config->data_dir);
      config->data_dir = g_strdup (home);
    }
  if (database != NULL && *database != '\0')
    {
      g_free (config->database);
      config->database = g_strdup (database);
    }
  return g_steal_pointer (&config);
}

void
config_free (Config *config)
{
  if (config == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (config_keys); i++)
    if (config_keys[i].type == KEY_STRING)
      g_free (G_STRUCT_MEMBER (char *, config, config_keys[i].offset));
  if (config->own_networks != NULL)
    g_array_unref (config->own_networks);
  g_free (config->file);
  g_free (config);
}

char *
config_rules_cache_path (const Config *config)
{
  return g_build_filename (config->data_dir, "rules.cache", NULL);
}

char *
config_db_path (const Config *config)
{
  if (config->database != NULL && config->database[0] != '\0')
    return g_strdup (config->database);
  return g_build_filename (config->data_dir, "madoguchi.db", NULL);
}

char *
config_spool_dir (const Config *config)
{
  return g_build_filename (config->data_dir, "spool", NULL);
}

static void
config_print_networks (FILE *out, const char *key, const GArray *nets)
{
  fprintf (out, "%s =", key);
  for (guint i = 0; nets != NULL && i < nets->len; i++)
    {
      const Network *net = &g_array_index (nets, Network, i);
      gboolean v4 = address_is_v4 (net->net);
      g_autofree char *addr = address_format (net->net, FALSE);

      fprintf (out, "%s %s/%u", i ? "," : "", addr,
               v4 ? net->prefix - 96 : net->prefix);
    }
  fputc ('\n', out);
}

void
config_print (const Config *config, FILE *out)
{
  const char *home = g_getenv ("MADOGUCHI_HOME");

  /* Name the file read, or the one looked for: a file in the wrong
   * place must not pass for one read (issue 24, item 1). */
  if (config->file != NULL)
    fprintf (out, "# effective configuration, from %s\n", config->file);
  else
    fprintf (out,
             "# effective configuration, from the embedded defaults: no "
             "-c FILE, no MADOGUCHI_CONFIG, and no %s\n",
             MADOGUCHI_SYSCONF_FILE);
  if (home != NULL && *home != '\0')
    fprintf (out, "# data_dir from MADOGUCHI_HOME\n");
  fprintf (out, "[%s]\n", CONFIG_GROUP);
  for (gsize i = 0; i < G_N_ELEMENTS (config_keys); i++)
    {
      const ConfigKey *k = &config_keys[i];
      gconstpointer field = G_STRUCT_MEMBER_P (config, k->offset);

      switch (k->type)
        {
        case KEY_STRING:
          fprintf (out, "%s = %s\n", k->key, *(char *const *) field);
          break;
        case KEY_BOOL:
          fprintf (out, "%s = %s\n", k->key,
                   *(const gboolean *) field ? "true" : "false");
          break;
        case KEY_INT:
        case KEY_SIZE:
          fprintf (out, "%s = %" G_GINT64_FORMAT "\n", k->key,
                   *(const gint64 *) field);
          break;
        case KEY_NETWORKS:
          config_print_networks (out, k->key, *(GArray *const *) field);
          break;
        }
    }
}
