/*
 * template.h - the message templates of rules/ (ack-LANG.txt,
 * notify-LANG.txt): UTF-8 text with {placeholders}, shared by the
 * acknowledgements and the notifications.
 */
#ifndef MADOGUCHI_TEMPLATE_H
#define MADOGUCHI_TEMPLATE_H

#include <glib.h>

/*
 * (transfer full) the text of rules_dir/KIND-LANGUAGE.txt, or NULL with
 * error (unreadable, or not UTF-8).
 */
char *template_read (const char *rules_dir, const char *kind,
                     const char *language, GError **error);

/*
 * (transfer full) text with every names[i] replaced by values[i], for
 * the n pairs; a NULL value reads as "".
 */
char *template_fill (const char *text, const char *const *names,
                     const char *const *values, gsize n);

#endif
