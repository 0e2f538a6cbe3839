/*
 * classify-form.c - read a report form: the labels of the formfield
 * rules found in the body, and the value after each, kept as the
 * report's form fields when enough of them are there.
 */
#include <string.h>

#include "classify-private.h"

#define FORM_MIN_FIELDS 3 /* labels that make a report a form */

typedef struct
{
  gsize start;
  gsize end;
  const char *field;
} Label;

static gint
compare_labels (gconstpointer a, gconstpointer b)
{
  const Label *x = a;
  const Label *y = b;

  return x->start < y->start ? -1 : x->start > y->start;
}

/* Every form label in text, in text order. */
static GArray *
find_labels (Classify *c, const char *text)
{
  GArray *labels = g_array_new (FALSE, FALSE, sizeof (Label));
  gsize len = strlen (text);

  for (guint i = 0; i < rules_count (c->rules); i++)
    {
      const Rule *rule = rules_nth (c->rules, i);
      gsize offset = 0;

      if (rules_info (rule)->kind != RULE_KIND_FORMFIELD)
        continue;
      while (offset <= len
             && rules_text_match (classify_rule_text (c, text), rule, offset,
                                  c->md)
                    == RULES_MATCH)
        {
          Label label = { rules_match_start (c->md), rules_match_end (c->md),
                          rules_info (rule)->field };

          g_array_append_val (labels, label);
          offset = label.end > label.start ? label.end : label.start + 1;
        }
    }
  g_array_sort (labels, compare_labels);
  /* Labels of a site's own rules may overlap: the later one is no label
   * (a value runs from one label's end to the next one's start). */
  for (guint i = 1; i < labels->len; i++)
    if (g_array_index (labels, Label, i).start
        < g_array_index (labels, Label, i - 1).end)
      g_array_remove_index (labels, i--);
  return labels;
}

/*
 * The value after a label: the rest of its line, else (for a label
 * alone on its line) what follows up to the next label.  A one-line
 * field keeps its first line, skipping the form's "(...)" hints.
 */
static char *
label_value (const char *text, gsize start, gsize end, const char *field)
{
  g_autofree char *value = g_strstrip (g_strndup (text + start, end - start));
  g_auto (GStrv) lines = NULL;
  gboolean multi_line
      = g_strcmp0 (field, "observed") == 0 || g_strcmp0 (field, "logs") == 0;

  if (multi_line)
    return g_steal_pointer (&value);
  lines = g_strsplit (value, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);

      if (*line != '\0' && *line != '(')
        return g_strdup (line);
    }
  return g_strdup ("");
}

/* The report form's fields, when a body part carries enough labels. */
void
classify_read_form (Classify *c)
{
  for (guint i = 0; i < c->message->parts->len; i++)
    {
      const MessagePart *p = c->message->parts->pdata[i];
      g_autoptr (GArray) labels = NULL;

      if (p->text == NULL || p->forwarded)
        continue;
      labels = find_labels (c, p->text);
      if (labels->len < FORM_MIN_FIELDS)
        continue;
      for (guint j = 0; j < labels->len; j++)
        {
          const Label *l = &g_array_index (labels, Label, j);
          gsize stop = j + 1 < labels->len
                           ? g_array_index (labels, Label, j + 1).start
                           : strlen (p->text);
          FormField *f = g_new0 (FormField, 1);

          f->name = g_strdup (l->field);
          f->value = label_value (p->text, l->end, stop, l->field);
          g_ptr_array_add (c->result->form, f);
        }
      return;
    }
}
