/*
 * log.c - the program's log sink: syslog (LOG_MAIL) or stderr.
 *
 * Messages are one line each.  errno is saved and restored around every
 * call so that logging never changes the error a caller goes on to report.
 */
#include "madoguchi/log.h"

#include <errno.h>
#include <stdio.h>
#include <syslog.h>

static LogSink log_sink = LOG_SINK_STDERR;
static gboolean log_verbose;

static GLogWriterOutput
log_glib_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                 gpointer user_data)
{
  const char *text = NULL;
  const char *domain = "glib";

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
        text = fields[i].value;
      else if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
    }
  if (text == NULL)
    return G_LOG_WRITER_UNHANDLED;
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    log_error ("%s: %s", domain, text);
  else if (level & G_LOG_LEVEL_WARNING)
    log_warn ("%s: %s", domain, text);
  else
    log_debug ("%s: %s", domain, text);
  return G_LOG_WRITER_HANDLED;
}

void
log_open (LogSink sink, gboolean verbose)
{
  log_sink = sink;
  log_verbose = verbose;
  if (sink == LOG_SINK_SYSLOG)
    openlog ("madoguchi", LOG_PID | LOG_NDELAY, LOG_MAIL);
  g_log_set_writer_func (log_glib_writer, NULL, NULL);
}

void
log_close (void)
{
  closelog ();
}

static void G_GNUC_PRINTF (3, 0)
    log_write (int priority, const char *label, const char *fmt, va_list ap)
{
  int saved_errno = errno;
  g_autofree char *text = g_strdup_vprintf (fmt, ap);

  if (log_sink == LOG_SINK_SYSLOG)
    syslog (priority, "%s", text);
  else
    fprintf (stderr, "madoguchi: %s%s\n", label, text);
  errno = saved_errno;
}

#define LOG_FUNCTION(name, priority, label)                                    \
  void name (const char *fmt, ...)                                             \
  {                                                                            \
    va_list ap;                                                                \
    va_start (ap, fmt);                                                        \
    log_write (priority, label, fmt, ap);                                      \
    va_end (ap);                                                               \
  }

LOG_FUNCTION (log_info, LOG_INFO, "")
LOG_FUNCTION (log_warn, LOG_WARNING, "warning: ")
LOG_FUNCTION (log_error, LOG_ERR, "error: ")

void
log_debug (const char *fmt, ...)
{
  va_list ap;

  if (!log_verbose)
    return;
  va_start (ap, fmt);
  log_write (LOG_DEBUG, "debug: ", fmt, ap);
  va_end (ap);
}
