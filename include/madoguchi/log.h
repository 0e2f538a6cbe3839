/*
 * log.h - one log sink for the whole program.
 *
 * `deliver` logs to syslog (facility mail, with the PID), because an MTA
 * copies a pipe command's stderr into the notice the sender receives.
 * Operator commands log to stderr.  GLib and GMime warnings go to the same
 * sink through a GLib log writer.
 */
#ifndef MADOGUCHI_LOG_H
#define MADOGUCHI_LOG_H

#include <glib.h>

typedef enum
{
  LOG_SINK_STDERR,
  LOG_SINK_SYSLOG,
} LogSink;

/* Choose the sink; call once, early.  verbose enables log_debug. */
void log_open (LogSink sink, gboolean verbose);

/* Closes the syslog connection, if open: for a child about to close its
 * descriptors, which must not close syslog's behind glibc's back. */
void log_close (void);

/* Each keeps errno unchanged, so a caller may log and then use it. */
void log_info (const char *fmt, ...) G_GNUC_PRINTF (1, 2);
void log_warn (const char *fmt, ...) G_GNUC_PRINTF (1, 2);
void log_error (const char *fmt, ...) G_GNUC_PRINTF (1, 2);
void log_debug (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

#endif
