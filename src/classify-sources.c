/*
 * classify-sources.c - the texts a classify rule looks at (its where):
 * the subject, the body cut into the reporter's own words and what they
 * pass on, parts by type or as attachments, headers, the log excerpts,
 * form fields and feed types, each capped to its first bytes.
 */
#include <string.h>

#include "madoguchi/charset.h"

#include "classify-passed.h"
#include "classify-private.h"

#define CLASSIFY_TEXT_MAX (512 * 1024) /* bytes of each text searched */
/* where = header:Madoguchi-Forwarded-From: no header of the mail, but
 * "self" when the reporter passes on a message from their own address. */
#define FORWARDED_FROM "Madoguchi-Forwarded-From"

static gboolean
part_is_attachment (const MessagePart *p)
{
  return p->filename != NULL;
}

/*
 * The first CLASSIFY_TEXT_MAX bytes of text (cut at a character): what a
 * report is about shows at its start, and a 50 MB log attached need not
 * be searched for "flood" from end to end (extraction still reads it
 * whole, and the conditions on addresses, ports and log lines count all
 * of it).  Computed once per text.
 */
const char *
classify_capped (Classify *c, const char *text)
{
  gsize len = strnlen (text, CLASSIFY_TEXT_MAX + 1);
  GString *out;

  if (len <= CLASSIFY_TEXT_MAX)
    return text;
  out = g_hash_table_lookup (c->capped, text);
  if (out != NULL)
    return out->str;
  out = g_string_new_len (
      text, (gssize) charset_utf8_cut (text, len, CLASSIFY_TEXT_MAX));
  g_hash_table_insert (c->capped, (gpointer) text, out);
  return out->str;
}

static void
add_source (Classify *c, GArray *sources, const char *where, const char *text)
{
  Source s = { where, NULL, FALSE };

  if (text == NULL || *text == '\0')
    return;
  s.text = classify_capped (c, text);
  g_array_append_val (sources, s);
}

/* The body's Split, made once per part (NULL: all the reporter's). */
static const Split *
body_split (Classify *c, const char *text)
{
  Split *split;

  if (g_hash_table_lookup_extended (c->own, text, NULL, (gpointer *) &split))
    return split;
  split = classify_split_body (text);
  g_hash_table_insert (c->own, (gpointer) text, split);
  return split;
}

static void
add_passed_on (Classify *c, GArray *sources, const char *where,
               const char *text)
{
  guint n = sources->len;

  add_source (c, sources, where, text);
  if (sources->len > n)
    g_array_index (sources, Source, n).passed_on = TRUE;
}

/* The body part's texts: the reporter's own, then what is passed on. */
static void
add_body_sources (Classify *c, GArray *sources, const char *text)
{
  const Split *split = body_split (c, text);

  if (split == NULL)
    {
      add_source (c, sources, "body", text);
      return;
    }
  add_source (c, sources, "body", split->own->str);
  add_passed_on (c, sources, "quoted", split->passed_on->str);
}

static void
add_part_sources (Classify *c, const Rule *rule, GArray *sources)
{
  const RuleInfo *info = rules_info (rule);
  for (guint i = 0; i < c->message->parts->len; i++)
    {
      const MessagePart *p = c->message->parts->pdata[i];

      if (p->text == NULL)
        continue;
      if ((info->where & RULE_WHERE_PART)
          && g_strcmp0 (p->content_type, info->where_arg) == 0)
        add_source (c, sources, p->content_type, p->text);
      else if (p->forwarded)
        {
          /* Passed on, for a rule that reads the reporter's words too. */
          if ((info->where & RULE_WHERE_FORWARDED)
              && (info->where & RULE_WHERE_BODY))
            add_passed_on (c, sources, "forwarded", p->text);
          else if (info->where & RULE_WHERE_FORWARDED)
            add_source (c, sources, "forwarded", p->text);
        }
      else if (part_is_attachment (p))
        {
          if (info->where & RULE_WHERE_ATTACHMENT)
            add_source (c, sources, "attachment", p->text);
        }
      else if (info->where & RULE_WHERE_BODY)
        add_body_sources (c, sources, p->text);
    }
}

/*
 * The pseudo-header FORWARDED_FROM: "self" when a message the reporter
 * passes on (attached, or inline after a forward marker) says it is from
 * the reporter's own address: a forgery in their name, sent to them or
 * bounced back.  NULL otherwise.
 */
static const char *
forwarded_from (Classify *c)
{
  g_autofree char *addr = NULL;

  if (c->message->from_addr == NULL
      || strchr (c->message->from_addr, '@') == NULL)
    return NULL;
  addr = g_ascii_strdown (c->message->from_addr, -1);
  for (guint i = 0; i < c->message->parts->len; i++)
    {
      const MessagePart *part = c->message->parts->pdata[i];
      const Split *split;
      const char *text = part->text;

      if (text == NULL || part_is_attachment (part))
        continue;
      if (!part->forwarded)
        {
          split = body_split (c, text);
          text = split != NULL ? split->passed_on->str : "";
        }
      for (const char *p = text; *p != '\0';)
        {
          const char *nl = strchrnul (p, '\n');

          if (classify_from_line_is (p, (gsize) (nl - p), addr))
            return "self\n";
          p = *nl ? nl + 1 : nl;
        }
    }
  return NULL;
}

/* A log excerpt: passed on when quoted ("> ...") or in a forwarded
 * message, for a rule that reads the reporter's words too. */
static void
add_log_source (Classify *c, const Rule *rule, GArray *sources,
                const Excerpt *e)
{
  const MessagePart *part = e->part < c->message->parts->len
                                ? c->message->parts->pdata[e->part]
                                : NULL;
  const char *p = e->text + strspn (e->text, " \t");

  if ((rules_info (rule)->where & RULE_WHERE_BODY)
      && (*p == '>' || (part != NULL && part->forwarded)))
    add_passed_on (c, sources, "log", e->text);
  else
    add_source (c, sources, "log", e->text);
}

/* The sources, the reporter's own first: a rule's first match, which
 * sets its weight, is then in the reporter's words when it can be. */
static GArray *
own_first (GArray *sources)
{
  GArray *sorted
      = g_array_sized_new (FALSE, FALSE, sizeof (Source), sources->len);

  for (int passed_on = 0; passed_on <= 1; passed_on++)
    for (guint i = 0; i < sources->len; i++)
      if (g_array_index (sources, Source, i).passed_on == passed_on)
        g_array_append_val (sorted, g_array_index (sources, Source, i));
  g_array_unref (sources);
  return sorted;
}

/* The texts a rule looks at, each with the name of where it comes from. */
GArray *
classify_rule_sources (Classify *c, const Rule *rule)
{
  const RuleInfo *info = rules_info (rule);
  GArray *sources = g_array_new (FALSE, FALSE, sizeof (Source));

  if ((info->where & RULE_WHERE_SUBJECT)
      && classify_subject_passed_on (c->message->subject)
      && (info->where & RULE_WHERE_BODY))
    add_passed_on (c, sources, "subject", c->message->subject);
  else if (info->where & RULE_WHERE_SUBJECT)
    add_source (c, sources, "subject", c->message->subject);
  add_part_sources (c, rule, sources);
  for (guint i = 0;
       (info->where & RULE_WHERE_LOG) && i < c->extraction->excerpts->len; i++)
    add_log_source (c, rule, sources, c->extraction->excerpts->pdata[i]);
  if ((info->where & RULE_WHERE_HEADER)
      && g_ascii_strcasecmp (info->where_arg, FORWARDED_FROM) == 0)
    add_source (c, sources, "forwarded", forwarded_from (c));
  else if (info->where & RULE_WHERE_HEADER)
    add_source (c, sources, "header",
                message_header (c->message, info->where_arg));
  if ((info->where & RULE_WHERE_FEED) && c->feed_types != NULL)
    add_source (c, sources, "feed", c->feed_types);
  for (guint i = 0; (info->where & RULE_WHERE_FORM) && i < c->result->form->len;
       i++)
    {
      const FormField *f = c->result->form->pdata[i];

      if (strcmp (f->name, info->where_arg) == 0)
        add_source (c, sources, "form", f->value);
    }
  return own_first (sources);
}
