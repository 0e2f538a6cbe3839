/*
 * cmd-show.c - `madoguchi show NUMBER`: one ticket, its messages with
 * their decoded headers, parts and text; --raw prints the original bytes
 * of a message exactly as received (the evidence), --json one object.
 */
#include <stdio.h>

#include "madoguchi/command.h"
#include "madoguchi/store-notify.h"
#include "madoguchi/json.h"
#include "madoguchi/output.h"
#include "madoguchi/print.h"

static void
show_field (const char *label, const char *value)
{
  g_autoptr (GString) line = g_string_new (NULL);

  if (value == NULL || *value == '\0')
    return;
  output_cell (line, value, 200, FALSE);
  printf ("%-11s %s\n", label, line->str);
}

/* ` "NAME"`, with NAME safe for the terminal and its quotes escaped, so
 * that a name cannot close the quotes and write the rest of the line. */
static void
show_part_name (GString *line, const char *filename)
{
  g_autofree char *safe = output_safe (filename);

  g_string_append (line, " \"");
  for (const char *p = safe; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (line, '\\');
      g_string_append_c (line, *p);
    }
  g_string_append_c (line, '"');
}

static void
show_parts (const StoreMessage *m)
{
  g_autoptr (GString) line = g_string_new (NULL);

  for (guint i = 0; i < m->parts->len; i++)
    {
      const MessagePart *p = m->parts->pdata[i];

      g_string_printf (line, "  %*s", (int) p->depth * 2, "");
      output_append_safe (line, p->content_type, -1, OUTPUT_ONE_LINE);
      if (p->charset != NULL)
        {
          g_string_append (line, "; charset=");
          output_append_safe (line, p->charset, -1, OUTPUT_ONE_LINE);
        }
      if (p->filename != NULL)
        show_part_name (line, p->filename);
      printf ("%s, %" G_GINT64_FORMAT " bytes%s\n", line->str, p->size,
              p->forwarded ? " (forwarded)" : "");
    }
}

/* The message's text, lines kept, made safe for the terminal. */
static void
show_body (const char *text)
{
  g_autoptr (GString) safe = g_string_new (NULL);

  output_append_safe (safe, text, -1, OUTPUT_LINES);
  printf ("\n%s\n", safe->str);
}

/* "PGP: encrypted, decrypted, signature good by FINGERPRINT", and why
 * what failed failed. */
static void
show_pgp (const StoreMessage *m)
{
  g_autoptr (GString) line = g_string_new (NULL);

  if (m->encryption != NULL)
    g_string_append_printf (line, "encrypted, %s", m->encryption);
  if (m->signature != NULL)
    g_string_append_printf (line, "%ssignature %s%s%s", line->len ? ", " : "",
                            m->signature, m->signer ? " by " : "",
                            m->signer ? m->signer : "");
  if (m->pgp_problem != NULL)
    g_string_append_printf (line, "%s%s", line->len ? "; " : "",
                            m->pgp_problem);
  show_field ("PGP:", line->str);
}

static void
show_message (const StoreMessage *m, guint index)
{
  g_autofree char *received = output_time (m->received);

  printf ("\n--- message %u, %s, received %s, %" G_GINT64_FORMAT " bytes%s%s\n",
          index, m->direction, received, m->size, *m->flags ? ", flags: " : "",
          m->flags);
  show_field ("From:", m->from);
  show_field ("To:", m->to);
  show_field ("Subject:", m->subject);
  show_field ("Date:", m->date);
  show_field ("Message-ID:", m->message_id);
  show_field ("Thread:", m->thread);
  show_field ("Reply:", m->ack);
  show_pgp (m);
  if (m->envelope_from != NULL)
    show_field ("Envelope:",
                *m->envelope_from ? m->envelope_from : "<> (a bounce)");
  if (m->indicators_dropped > 0 || m->timestamps_dropped > 0)
    {
      g_autofree char *dropped = g_strdup_printf (
          "%" G_GINT64_FORMAT " indicators, %" G_GINT64_FORMAT " event times "
          "(max_indicators, max_timestamps)",
          m->indicators_dropped, m->timestamps_dropped);

      show_field ("Not kept:", dropped);
    }
  if (m->parts->len > 0)
    {
      printf ("Parts:\n");
      show_parts (m);
    }
  show_body (m->text);
}

typedef struct
{
  StoreTicket *ticket;
  GPtrArray *messages;
  GPtrArray *indicators;
  GPtrArray *timestamps;
  GPtrArray *excerpts;
  GPtrArray *reasons;
  GPtrArray *form;
  GPtrArray *events;
  GPtrArray *outbox;
  GPtrArray *related;
  GPtrArray *notifications;
  char *tag;
} Story;

static void
story_clear (Story *story)
{
  g_clear_pointer (&story->ticket, store_ticket_free);
  g_clear_pointer (&story->messages, g_ptr_array_unref);
  g_clear_pointer (&story->indicators, g_ptr_array_unref);
  g_clear_pointer (&story->timestamps, g_ptr_array_unref);
  g_clear_pointer (&story->excerpts, g_ptr_array_unref);
  g_clear_pointer (&story->reasons, g_ptr_array_unref);
  g_clear_pointer (&story->form, g_ptr_array_unref);
  g_clear_pointer (&story->events, g_ptr_array_unref);
  g_clear_pointer (&story->outbox, g_ptr_array_unref);
  g_clear_pointer (&story->related, g_ptr_array_unref);
  g_clear_pointer (&story->notifications, g_ptr_array_unref);
  g_clear_pointer (&story->tag, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Story, story_clear)

static gboolean
story_read (Store *store, const Config *config, const char *number,
            Story *story, GError **error)
{
  story->ticket = store_get_ticket (store, number, error);
  if (story->ticket == NULL)
    return FALSE;
  story->tag = store_tag (store, config->tag, story->ticket->number, error);
  if (story->tag == NULL)
    return FALSE;
  story->messages = store_ticket_messages (store, story->ticket->id, error);
  if (story->messages == NULL)
    return FALSE;
  story->indicators = store_ticket_indicators (store, story->ticket->id, error);
  if (story->indicators == NULL)
    return FALSE;
  story->timestamps = store_ticket_timestamps (store, story->ticket->id, error);
  if (story->timestamps == NULL)
    return FALSE;
  story->excerpts = store_ticket_excerpts (store, story->ticket->id, error);
  if (story->excerpts == NULL)
    return FALSE;
  story->reasons = store_ticket_reasons (store, story->ticket->id, error);
  if (story->reasons == NULL)
    return FALSE;
  story->form = store_ticket_form (store, story->ticket->id, error);
  if (story->form == NULL)
    return FALSE;
  story->events = store_ticket_events (store, story->ticket->id, error);
  if (story->events == NULL)
    return FALSE;
  story->outbox = store_ticket_outbox (store, story->ticket->id, error);
  if (story->outbox == NULL)
    return FALSE;
  story->related = store_ticket_related (store, story->ticket->id, error);
  if (story->related == NULL)
    return FALSE;
  story->notifications
      = store_ticket_notifications (store, story->ticket->id, error);
  return story->notifications != NULL;
}

static void
show_outgoing (const Story *story)
{
  for (guint i = 0; i < story->outbox->len; i++)
    {
      const StoreOutbox *o = story->outbox->pdata[i];
      g_autofree char *when = output_time (o->created);
      g_autofree char *to = output_safe (o->recipient);
      g_autofree char *why = output_safe (o->last_error);

      printf ("\n--- reply, out, %s, to %s: %s%s%s\n", when, to,
              print_outbox_state (o), o->last_error ? " - " : "", why);
    }
}

static void
show_notifications (const Story *story)
{
  for (guint i = 0; i < story->notifications->len; i++)
    {
      const StoreNotification *n = story->notifications->pdata[i];
      g_autofree char *when = output_time (n->created);
      g_autofree char *to = output_safe (n->email);

      printf ("\n--- notified %s, %s, about %s: %s\n", to, when, n->addresses,
              n->status);
    }
}

static void
show_json_notifications (JsonWriter *w, GPtrArray *list)
{
  json_key (w, "notifications");
  json_begin_array (w);
  for (guint i = 0; i < list->len; i++)
    print_notification_json (w, list->pdata[i]);
  json_end_array (w);
}

static void
show_related (const Story *story)
{
  const char *suggest = NULL;

  if (story->related->len == 0)
    return;
  printf ("\nRelated tickets (%u):\n", story->related->len);
  for (guint i = 0; i < story->related->len; i++)
    {
      const StoreRelated *r = story->related->pdata[i];
      g_autoptr (GString) subject = g_string_new (NULL);
      g_autofree char *theirs = output_safe (r->theirs);
      g_autofree char *mine = output_safe (r->mine);

      output_cell (subject, r->subject, 50, FALSE);
      if (r->exact)
        printf ("  %-11s  shares %s (%" G_GINT64_FORMAT " reports)", r->number,
                theirs, r->mentions);
      else
        printf ("  %-11s  %s, near %s", r->number, theirs, mine);
      printf ("%s%s  %s\n", r->incident ? "  in " : "",
              r->incident ? r->incident : "", subject->str);
      if (suggest == NULL && r->incident != NULL)
        suggest = r->incident;
    }
  if (suggest != NULL && story->ticket->incident == NULL)
    printf ("  A related ticket belongs to %s: madoguchi incident add %s %s\n",
            suggest, suggest, story->ticket->number);
}

static void
show_history (const Story *story)
{
  printf ("\nHistory:\n");
  for (guint i = 0; i < story->events->len; i++)
    {
      const StoreEvent *e = story->events->pdata[i];
      g_autofree char *when = output_time (e->at);
      g_autofree char *who = output_safe (e->who);
      g_autofree char *old = output_safe (e->old_value);
      g_autoptr (GString) change = g_string_new (NULL);

      output_cell (change, e->new_value ? e->new_value : "", 70, FALSE);
      printf ("  %s  %-10s %-10s %s%s%s\n", when, who, e->what, old,
              e->old_value ? " -> " : "", change->str);
    }
}

static void
show_text (const Config *config, const Story *story)
{
  const StoreTicket *t = story->ticket;
  GPtrArray *messages = story->messages;
  g_autofree char *created = output_time (t->created);

  show_field ("Ticket", story->tag);
  show_field ("Subject", t->subject);
  show_field ("Created", created);
  show_field ("Status", t->status);
  show_field ("Owner", t->owner ? t->owner : "(nobody)");
  show_field ("Incident", t->incident);
  show_field ("Reporter", t->reporter_name ? t->reporter_name : t->reporter);
  print_classification (t->category, t->category_by, t->auto_category,
                        story->reasons, story->form);
  print_evidence (story->indicators, story->timestamps, story->excerpts);
  show_related (story);
  for (guint i = 0; i < messages->len; i++)
    show_message (messages->pdata[i], i + 1);
  show_outgoing (story);
  show_notifications (story);
  show_history (story);
}

static void
json_message (JsonWriter *w, const StoreMessage *m)
{
  g_autofree char *received = output_time_iso (m->received);

  json_begin_object (w);
  json_member_string (w, "direction", m->direction);
  json_member_string (w, "received", received);
  json_member_string (w, "message_id", m->message_id);
  json_member_string (w, "envelope_from", m->envelope_from);
  json_member_string (w, "from", m->from);
  json_member_string (w, "to", m->to);
  json_member_string (w, "subject", m->subject);
  json_member_string (w, "date", m->date);
  json_member_int (w, "size", m->size);
  json_member_string (w, "flags", m->flags);
  json_member_string (w, "thread", m->thread);
  json_member_string (w, "ack", m->ack);
  json_member_int (w, "indicators_dropped", m->indicators_dropped);
  json_member_int (w, "timestamps_dropped", m->timestamps_dropped);
  json_member_string (w, "encryption", m->encryption);
  json_member_string (w, "signature", m->signature);
  json_member_string (w, "signer", m->signer);
  json_member_string (w, "pgp_problem", m->pgp_problem);
  json_key (w, "parts");
  json_begin_array (w);
  for (guint i = 0; i < m->parts->len; i++)
    {
      const MessagePart *p = m->parts->pdata[i];

      json_begin_object (w);
      json_member_int (w, "depth", p->depth);
      json_member_string (w, "content_type", p->content_type);
      json_member_string (w, "filename", p->filename);
      json_member_string (w, "charset", p->charset);
      json_member_int (w, "size", p->size);
      json_end_object (w);
    }
  json_end_array (w);
  json_member_string (w, "text", m->text);
  json_end_object (w);
}

static void
show_json_related (JsonWriter *w, GPtrArray *related)
{
  json_key (w, "related");
  json_begin_array (w);
  for (guint i = 0; i < related->len; i++)
    {
      const StoreRelated *r = related->pdata[i];

      json_begin_object (w);
      json_member_string (w, "number", r->number);
      json_member_string (w, "address", r->theirs);
      json_member_string (w, "near", r->mine);
      json_member_bool (w, "same_address", r->exact);
      json_member_int (w, "reports", r->mentions);
      json_member_string (w, "incident", r->incident);
      json_end_object (w);
    }
  json_end_array (w);
}

static void
show_json_history (JsonWriter *w, GPtrArray *events)
{
  json_key (w, "history");
  json_begin_array (w);
  for (guint i = 0; i < events->len; i++)
    {
      const StoreEvent *e = events->pdata[i];
      g_autofree char *at = output_time_iso (e->at);

      json_begin_object (w);
      json_member_string (w, "at", at);
      json_member_string (w, "who", e->who);
      json_member_string (w, "what", e->what);
      json_member_string (w, "old", e->old_value);
      json_member_string (w, "new", e->new_value);
      json_end_object (w);
    }
  json_end_array (w);
}

static void
show_json (const Story *story)
{
  const StoreTicket *t = story->ticket;
  GPtrArray *messages = story->messages;
  JsonWriter w;
  g_autofree char *created = output_time_iso (t->created);
  g_autofree char *text = NULL;

  json_init (&w);
  json_begin_object (&w);
  print_ticket_json (&w, t);
  json_member_string (&w, "tag", story->tag);
  json_member_string (&w, "category_by", t->category_by);
  json_member_string (&w, "auto_category", t->auto_category);
  print_classification_json (&w, story->reasons, story->form);
  print_evidence_json (&w, story->indicators, story->timestamps,
                       story->excerpts);
  show_json_related (&w, story->related);
  show_json_notifications (&w, story->notifications);
  show_json_history (&w, story->events);
  json_key (&w, "messages");
  json_begin_array (&w);
  for (guint i = 0; i < messages->len; i++)
    json_message (&w, messages->pdata[i]);
  json_end_array (&w);
  json_end_object (&w);
  text = json_finish (&w);
  printf ("%s\n", text);
}

static int
show_raw (Store *store, GPtrArray *messages, gint index)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) raw = NULL;
  const StoreMessage *m;
  gsize len;
  gconstpointer data;

  if (index < 1 || (guint) index > messages->len)
    {
      fprintf (stderr, "madoguchi show: no message %d in this ticket\n", index);
      return EX_USAGE;
    }
  m = messages->pdata[index - 1];
  raw = store_message_raw (store, m->id, &error);
  if (raw == NULL)
    return command_fail (error);
  data = g_bytes_get_data (raw, &len);
  if (len > 0 && fwrite (data, 1, len, stdout) != len)
    return EX_IOERR;
  return fflush (stdout) == 0 ? EX_OK : EX_IOERR;
}

int
cmd_show (Context *ctx, int argc, char **argv)
{
  gboolean raw = FALSE;
  gint which = 1;
  const GOptionEntry entries[] = {
    { "raw", 0, 0, G_OPTION_ARG_NONE, &raw,
      "print the message exactly as received", NULL },
    { "message", 'm', 0, G_OPTION_ARG_INT, &which,
      "with --raw: the Nth message of the ticket (default 1)", "N" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GError) error = NULL;
  g_auto (Story) story = { 0 };

  if (!context_parse (ctx, entries, &argc, &argv))
    return EX_USAGE;
  if (argc != 2)
    {
      fprintf (stderr, "usage: madoguchi show [--format table|json|csv | --raw "
                       "[-m N]] NUMBER\n");
      return EX_USAGE;
    }
  if (!story_read (ctx->store, ctx->config, argv[1], &story, &error))
    return command_fail (error);
  if (raw)
    return show_raw (ctx->store, story.messages, which);
  if (ctx->format == OUTPUT_FORMAT_JSON)
    show_json (&story);
  else if (ctx->format == OUTPUT_FORMAT_CSV)
    print_ticket_evidence_csv (story.ticket, story.indicators);
  else
    show_text (ctx->config, &story);
  return EX_OK;
}
