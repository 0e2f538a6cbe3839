/*
 * intake-notify.c - notify the sites involved in a ticket (issue 21).
 *
 * Part of intake: the one place that strings the stages together and
 * hands records to the store.  The ticket's addresses (not the team's
 * own) and domains (not the reporter's nor the team's) are the targets;
 * each goes to the contact that answers for it, the most specific one;
 * a site gets one notification about all of its targets, built by
 * notify.c from the lines that name them.  What the reporter is known
 * by (addresses, display names, domains) is hidden in those lines, with
 * every other party's address.  A site is told once per ticket and set
 * of addresses: the same notification again takes --again.
 */
#include "madoguchi/intake-notify.h"

#include <string.h>

#include "madoguchi/address.h"
#include "madoguchi/contact.h"
#include "madoguchi/log.h"
#include "madoguchi/notify.h"
#include "madoguchi/outbox.h"
#include "madoguchi/store-notify.h"

typedef struct
{
  char *value; /* as in the ticket */
  gboolean is_ip;
  guint8 first[16];
  guint8 last[16];
  char *domain; /* a domain target's name (or a URL's host) */
  char *ports;
  gint64 first_seen;
  gint64 last_seen;
  gint64 asn; /* the AS a report gave with it, or 0 */
} Target;

static void
target_free (Target *t)
{
  g_free (t->value);
  g_free (t->domain);
  g_free (t->ports);
  g_free (t);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Target, target_free)

/* The sites: a contact (or the --to address) and its targets. */
typedef struct
{
  Contact *contact;
  GPtrArray *targets; /* of Target (transfer none) */
} Site;

static void
site_free (Site *s)
{
  contact_free (s->contact);
  g_ptr_array_unref (s->targets);
  g_free (s);
}

void
notify_report_free (NotifyReport *r)
{
  if (r == NULL)
    return;
  g_free (r->number);
  g_ptr_array_unref (r->outcomes);
  g_ptr_array_unref (r->not_notified);
  g_free (r);
}

static void
outcome_free (NotifyOutcome *o)
{
  g_free (o->contact);
  g_free (o->name);
  g_free (o->email);
  g_free (o->language);
  g_free (o->addresses);
  g_free (o->message_id);
  g_free (o->why);
  g_free (o->text);
  g_free (o);
}

gboolean
intake_notify_wanted (const Config *config, const char *category)
{
  g_auto (GStrv) list = NULL;

  if (!config->auto_notify)
    return FALSE;
  list = g_strsplit_set (config->auto_notify_categories, ", \t", -1);
  for (guint i = 0; list[i] != NULL; i++)
    if (*list[i] != '\0')
      return g_strv_contains ((const char *const *) list, category);
  return TRUE; /* no list: every category */
}

/* Whether name is domain or below it. */
static gboolean
within_domain (const char *name, const char *domain)
{
  gsize n = strlen (name), d = strlen (domain);

  return g_ascii_strcasecmp (name, domain) == 0
         || (n > d && name[n - d - 1] == '.'
             && g_ascii_strcasecmp (name + n - d, domain) == 0);
}

/* What the reporter is known by: addresses, display names, domains. */
typedef struct
{
  GPtrArray *hide;    /* of char *: hidden in every line */
  GPtrArray *domains; /* of char *: theirs and ours, never targets */
} Identity;

static void
identity_add_address (Identity *id, const char *addr)
{
  const char *at = addr ? strrchr (addr, '@') : NULL;

  if (addr == NULL || *addr == '\0')
    return;
  g_ptr_array_add (id->hide, g_strdup (addr));
  if (at != NULL && at[1] != '\0')
    {
      g_ptr_array_add (id->domains, g_ascii_strdown (at + 1, -1));
      g_ptr_array_add (id->hide, g_strdup (at + 1));
    }
}

/* "Taro Yamada <taro@example.org>" -> "Taro Yamada" (and its words). */
static void
identity_add_name (Identity *id, const char *from)
{
  const char *lt = from ? strchr (from, '<') : NULL;
  g_autofree char *name = lt ? g_strndup (from, (gsize) (lt - from)) : NULL;
  g_auto (GStrv) words = NULL;

  if (name == NULL)
    return;
  g_strstrip (g_strdelimit (name, "\"", ' '));
  if (*name == '\0')
    return;
  g_ptr_array_add (id->hide, g_strdup (name));
  words = g_strsplit_set (name, " \t,", -1);
  for (guint i = 0; words[i] != NULL; i++)
    if (g_utf8_strlen (words[i], -1) >= 3 || !g_str_is_ascii (words[i]))
      g_ptr_array_add (id->hide, g_strdup (words[i]));
}

static void
identity_read (Identity *id, const Config *config, const StoreTicket *t,
               GPtrArray *messages)
{
  id->hide = g_ptr_array_new_with_free_func (g_free);
  id->domains = g_ptr_array_new_with_free_func (g_free);
  identity_add_address (id, config->team_address);
  identity_add_address (id, t->reporter);
  if (t->reporter_name != NULL)
    g_ptr_array_add (id->hide, g_strdup (t->reporter_name));
  for (guint i = 0; i < messages->len; i++)
    {
      const StoreMessage *m = messages->pdata[i];

      if (strcmp (m->direction, "in") != 0)
        continue;
      identity_add_address (id, m->from_addr);
      identity_add_address (id, m->envelope_from);
      identity_add_name (id, m->from);
    }
}

static void
identity_clear (Identity *id)
{
  g_clear_pointer (&id->hide, g_ptr_array_unref);
  g_clear_pointer (&id->domains, g_ptr_array_unref);
}

static gboolean
reporter_domain (const Identity *id, const char *name)
{
  for (guint i = 0; i < id->domains->len; i++)
    if (within_domain (name, id->domains->pdata[i]))
      return TRUE;
  return FALSE;
}

/* The address range of an indicator value: an address, a prefix, A-B. */
static gboolean
parse_ip_value (const char *kind, const char *value, Target *t)
{
  g_autoptr (Contact) c = contact_new ();
  const char *why;
  Network net;

  if (strcmp (kind, "ipv4") == 0 || strcmp (kind, "ipv6") == 0)
    {
      if (!address_parse_network (value, &net))
        return FALSE;
      address_network_bounds (&net, t->first, t->last);
      return TRUE;
    }
  if (!contact_parse_match (value, c, &why) || c->kind != CONTACT_NETWORK)
    return FALSE;
  memcpy (t->first, c->first, 16);
  memcpy (t->last, c->last, 16);
  return TRUE;
}

/* A URL's host, lower case, without port or brackets. */
static char *
url_host (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NON_DNS, NULL);

  return uri && g_uri_get_host (uri)
             ? g_ascii_strdown (g_uri_get_host (uri), -1)
             : NULL;
}

/* The target of an indicator, or NULL when it is none of a site's. */
static Target *
target_of (const StoreIndicator *ind, const Identity *id)
{
  g_autoptr (Target) t = g_new0 (Target, 1);
  const char *kind = ind->kind;
  gboolean mapped;

  if (ind->own)
    return NULL;
  t->value = g_strdup (ind->value);
  t->ports = g_strdup (ind->ports);
  t->first_seen = ind->first_seen;
  t->last_seen = ind->last_seen;
  t->asn = ind->asn;
  if (strcmp (kind, "url") == 0)
    {
      t->domain = url_host (ind->value);
      if (t->domain == NULL)
        return NULL;
      t->is_ip = address_parse (t->domain, t->first, &mapped);
      memcpy (t->last, t->first, 16);
    }
  else if (strcmp (kind, "domain") == 0)
    t->domain = g_ascii_strdown (ind->value, -1);
  else if (!(t->is_ip = parse_ip_value (kind, ind->value, t)))
    return NULL;
  if (!t->is_ip && (t->domain == NULL || reporter_domain (id, t->domain)))
    return NULL;
  return g_steal_pointer (&t);
}

typedef struct
{
  const Config *config;
  Store *store;
  const NotifyOptions *opt;
  StoreTicket *ticket;
  char *tag;
  GPtrArray *messages;   /* of StoreMessage */
  GPtrArray *indicators; /* of StoreIndicator */
  Identity identity;
  GPtrArray *targets; /* of Target */
  GPtrArray *sites;   /* of Site */
  GPtrArray *texts;   /* of char * (transfer none): inbound texts */
} Job;

static void
job_clear (Job *j)
{
  g_clear_pointer (&j->ticket, store_ticket_free);
  g_clear_pointer (&j->tag, g_free);
  g_clear_pointer (&j->messages, g_ptr_array_unref);
  g_clear_pointer (&j->indicators, g_ptr_array_unref);
  identity_clear (&j->identity);
  g_clear_pointer (&j->sites, g_ptr_array_unref);
  g_clear_pointer (&j->targets, g_ptr_array_unref);
  g_clear_pointer (&j->texts, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Job, job_clear)

static gboolean
job_read (Job *j, const char *number, GError **error)
{
  g_autofree char *live = store_resolve_number (j->store, number, error);

  if (live == NULL
      || (j->ticket = store_get_ticket (j->store, live, error)) == NULL
      || (j->tag = store_tag (j->store, j->config->tag, live, error)) == NULL
      || (j->messages = store_ticket_messages (j->store, j->ticket->id, error))
             == NULL
      || (j->indicators
          = store_ticket_indicators (j->store, j->ticket->id, error))
             == NULL)
    return FALSE;
  identity_read (&j->identity, j->config, j->ticket, j->messages);
  j->targets = g_ptr_array_new_with_free_func ((GDestroyNotify) target_free);
  j->texts = g_ptr_array_new ();
  for (guint i = 0; i < j->messages->len; i++)
    {
      const StoreMessage *m = j->messages->pdata[i];

      if (strcmp (m->direction, "in") == 0 && m->text != NULL)
        g_ptr_array_add (j->texts, m->text);
    }
  for (guint i = 0; i < j->indicators->len; i++)
    {
      Target *t = target_of (j->indicators->pdata[i], &j->identity);

      if (t != NULL)
        g_ptr_array_add (j->targets, t);
    }
  if (j->targets->len > 0)
    return TRUE;
  g_set_error (error, NOTIFY_ERROR, NOTIFY_ERROR_NO_ADDRESSES,
               "ticket %s names no address or domain to notify about (the "
               "team's own networks and the reporter's domains are left "
               "out)",
               j->ticket->number);
  return FALSE;
}

/* The contact for one target, or NULL (error unset) when none. */
static Contact *
contact_for (Job *j, const Target *t, GError **error)
{
  if (j->opt->to != NULL)
    {
      Contact *c = contact_new ();

      c->match = NULL;
      c->name = g_strdup ("");
      c->email = g_strdup (j->opt->to);
      c->language = g_strdup (j->opt->language ? j->opt->language : "en");
      return c;
    }
  if (t->is_ip)
    return store_contact_for_addresses (j->store, t->first, t->last, t->asn,
                                        error);
  return store_contact_lookup (j->store, t->domain, error);
}

static Site *
site_find (GPtrArray *sites, const Contact *c)
{
  for (guint i = 0; i < sites->len; i++)
    {
      Site *s = sites->pdata[i];

      if (g_strcmp0 (s->contact->match, c->match) == 0)
        return s;
    }
  return NULL;
}

/* Each target to its site; those without one to not_notified. */
static gboolean
job_group (Job *j, GPtrArray *not_notified, GError **error)
{
  j->sites = g_ptr_array_new_with_free_func ((GDestroyNotify) site_free);
  for (guint i = 0; i < j->targets->len; i++)
    {
      Target *t = j->targets->pdata[i];
      g_autoptr (GError) local = NULL;
      g_autoptr (Contact) c = contact_for (j, t, &local);
      Site *s;

      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (c == NULL)
        {
          g_ptr_array_add (not_notified, g_strdup (t->value));
          continue;
        }
      s = site_find (j->sites, c);
      if (s == NULL)
        {
          s = g_new0 (Site, 1);
          s->contact = g_steal_pointer (&c);
          s->targets = g_ptr_array_new ();
          g_ptr_array_add (j->sites, s);
        }
      g_ptr_array_add (s->targets, t);
    }
  return TRUE;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* "a,b,c" of a site's targets, sorted: what "the same addresses" is. */
static char *
site_key (const Site *s)
{
  g_autoptr (GPtrArray) values = g_ptr_array_new ();

  for (guint i = 0; i < s->targets->len; i++)
    g_ptr_array_add (values, ((Target *) s->targets->pdata[i])->value);
  g_ptr_array_sort (values, compare_strings);
  g_ptr_array_add (values, NULL);
  return g_strjoinv (",", (char **) values->pdata);
}

/* What a site's lines may show (its own targets) and must hide (the
 * reporter, and every other address, domain and e-mail address). */
static void
site_words (const Job *j, const Site *s, GPtrArray *mine, GPtrArray *hide)
{
  for (guint i = 0; i < s->targets->len; i++)
    {
      const Target *t = s->targets->pdata[i];

      g_ptr_array_add (mine, g_strdup (t->value));
      if (t->domain != NULL)
        g_ptr_array_add (mine, g_strdup (t->domain));
    }
  for (guint i = 0; i < j->identity.hide->len; i++)
    g_ptr_array_add (hide, g_strdup (j->identity.hide->pdata[i]));
  for (guint i = 0; i < j->indicators->len; i++)
    {
      const StoreIndicator *ind = j->indicators->pdata[i];

      if (!g_ptr_array_find_with_equal_func (mine, ind->value, g_str_equal,
                                             NULL))
        g_ptr_array_add (hide, g_strdup (ind->value));
    }
}

static GPtrArray *
site_addresses (const Site *s)
{
  GPtrArray *out
      = g_ptr_array_new_with_free_func ((GDestroyNotify) notify_address_free);

  for (guint i = 0; i < s->targets->len; i++)
    {
      const Target *t = s->targets->pdata[i];
      NotifyAddress *a = g_new0 (NotifyAddress, 1);

      a->value = g_strdup (t->value);
      a->ports = g_strdup (t->ports);
      a->first_seen = t->first_seen;
      a->last_seen = t->last_seen;
      g_ptr_array_add (out, a);
    }
  return out;
}

/* Builds the site's notification into o (text, Message-ID). */
static GBytes *
site_build (Job *j, const Site *s, NotifyOutcome *o, GError **error)
{
  g_autoptr (GPtrArray) mine = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) hide = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) lines = NULL;
  g_autoptr (GPtrArray) addresses = site_addresses (s);
  NotifyLetter letter = { 0 };

  site_words (j, s, mine, hide);
  lines = notify_evidence_lines (j->texts, mine, hide, NOTIFY_LINES_MAX);
  letter.number = j->ticket->number;
  letter.tag = j->tag;
  letter.category = j->ticket->category;
  letter.language = o->language;
  letter.zone = contact_zone (s->contact);
  letter.name = o->name;
  letter.recipient = o->email;
  letter.addresses = addresses;
  letter.lines = lines;
  letter.automatic = j->opt->automatic;
  letter.pgp = s->contact ? s->contact->pgp : NULL;
  return notify_build (j->config, &letter, &o->message_id, &o->text, error);
}

static NotifyOutcome *
outcome_new (const Site *s)
{
  NotifyOutcome *o = g_new0 (NotifyOutcome, 1);

  o->contact = g_strdup (s->contact->match);
  o->name = g_strdup (s->contact->name ? s->contact->name : "");
  o->email = g_strdup (s->contact->email ? s->contact->email : "");
  o->language = g_strdup (s->contact->language);
  o->addresses = site_key (s);
  return o;
}

/* Queues o's notification and sends it; a failed send stays queued. */
static void
site_queue (Job *j, NotifyOutcome *o, GBytes *raw)
{
  StoreNotificationNew n
      = { j->ticket->id, o->contact,    o->email,
          o->addresses,  o->message_id, j->config->team_address,
          raw,           j->opt->who };
  g_autoptr (GError) error = NULL;
  gint64 outbox = 0;

  if (!store_notification_queue (j->store, &n, &outbox, &error))
    {
      o->status = "failed";
      o->why = g_strdup (error->message);
      return;
    }
  o->status = "queued";
  if (outbox_send (j->config, j->store, outbox, FALSE, &error))
    o->status = "sent";
  else if (error != NULL)
    o->why = g_strdup_printf ("queued, not sent: %s", error->message);
}

static NotifyOutcome *
site_notify (Job *j, const Site *s, GError **error)
{
  g_autoptr (StoreNotification) before = NULL;
  g_autoptr (GBytes) raw = NULL;
  NotifyOutcome *o = outcome_new (s);

  if (*o->email == '\0')
    {
      o->status = "no email";
      return o;
    }
  before = store_notification_find (j->store, j->ticket->id, o->email,
                                    o->addresses, error);
  if (before == NULL && error != NULL && *error != NULL)
    return (outcome_free (o), NULL);
  if (before != NULL && !j->opt->again)
    {
      o->status = "already notified";
      o->message_id = g_strdup (before->message_id);
      return o;
    }
  raw = site_build (j, s, o, error);
  if (raw == NULL)
    return (outcome_free (o), NULL);
  if (j->opt->dry_run)
    o->status = "would queue";
  else
    site_queue (j, o, raw);
  return o;
}

NotifyReport *
intake_notify (const Config *config, Store *store, const char *number,
               const NotifyOptions *opt, GError **error)
{
  g_auto (Job) j = { .config = config, .store = store, .opt = opt };
  g_autoptr (NotifyReport) r = g_new0 (NotifyReport, 1);

  r->outcomes = g_ptr_array_new_with_free_func ((GDestroyNotify) outcome_free);
  r->not_notified = g_ptr_array_new_with_free_func (g_free);
  if (!job_read (&j, number, error) || !job_group (&j, r->not_notified, error))
    return NULL;
  r->number = g_strdup (j.ticket->number);
  for (guint i = 0; i < j.sites->len; i++)
    {
      NotifyOutcome *o = site_notify (&j, j.sites->pdata[i], error);

      if (o == NULL)
        return NULL;
      g_ptr_array_add (r->outcomes, o);
    }
  return g_steal_pointer (&r);
}
