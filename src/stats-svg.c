/*
 * stats-svg.c - the monthly reports and notifications of `madoguchi stats
 * --svg` as a standalone SVG chart: one stacked bar per month, a segment
 * per category, the count in every segment tall enough to hold it and
 * the month's total above its bar; beside it a narrow black bar of the
 * notifications to the sites that month (the team's yearly report puts
 * the two side by side); a legend, axis labels and a title.
 *
 * The document is plain SVG 1.1 that browsers, Inkscape and LibreOffice
 * open without fonts or scripts of ours.  Every coordinate is a whole
 * number printed with %d: a decimal comma from the operator's locale
 * (LC_NUMERIC) would otherwise break the numbers.  All text is escaped.
 * Stacked segments are placed from cumulative counts, so that rounding
 * never leaves a gap or an overlap between them.
 */
#include "madoguchi/stats.h"

#include <string.h>

#define TOP 64  /* title and subtitle */
#define LEFT 72 /* tick labels and the y axis label */
#define PLOT_H 280
#define BOTTOM 52         /* month labels and the x axis label */
#define BOTTOM_SLANTED 84 /* ... when the labels are slanted */
#define SLOT 64           /* a month's width */
#define BAR 36
#define NBAR 14          /* the notifications' bar, right of the reports' */
#define NCOLOR "#000000" /* Okabe and Ito's eighth colour */
#define LEGEND_W 170
#define MIN_LABEL_H 14 /* a segment this tall shows its count */

/* Okabe and Ito's palette, which colour-blind readers can tell apart;
 * in report_categories () order: dos ddos spoofing abuse intrusion scan
 * other. */
static const char *const colors[REPORT_CATEGORIES] = {
  "#D55E00", "#E69F00", "#CC79A7", "#F0E442", "#0072B2", "#56B4E9", "#999999",
};

typedef struct
{
  GString *out;
  const Stats *stats;
  gint64 axis_max; /* the top of the y axis, a multiple of step */
  gint64 step;
  int width;
  int height;
} Chart;

/* The notifications of reports' month i: the two tables list the same
 * months (store_stats); 0 for a month the other has not. */
static gint64
notified (const Stats *stats, guint i)
{
  const GPtrArray *months = stats->notifications.months;
  const StatsMonth *r = stats->reports.months->pdata[i];
  const StatsMonth *n;

  if (months == NULL || i >= months->len)
    return 0;
  n = months->pdata[i];
  return strcmp (n->month, r->month) == 0 ? n->total : 0;
}

/* 1, 2 or 5 times a power of ten, so that about five ticks cover max. */
static gint64
nice_step (gint64 max)
{
  gint64 unit = 1;

  while (unit * 10 <= max / 5)
    unit *= 10;
  if (unit * 1 >= (max + 4) / 5)
    return unit;
  if (unit * 2 >= (max + 4) / 5)
    return unit * 2;
  if (unit * 5 >= (max + 4) / 5)
    return unit * 5;
  return unit * 10;
}

/* The y of a count, in whole pixels. */
static int
y_of (const Chart *c, gint64 value)
{
  return TOP + PLOT_H
         - (int) ((value * PLOT_H + c->axis_max / 2) / c->axis_max);
}

static void
text (Chart *c, int x, int y, const char *attrs, const char *content)
{
  g_autofree char *escaped = g_markup_escape_text (content, -1);

  g_string_append_printf (c->out, "<text x=\"%d\" y=\"%d\"%s%s>%s</text>\n", x,
                          y, *attrs ? " " : "", attrs, escaped);
}

static void
chart_titles (Chart *c)
{
  const GPtrArray *months = c->stats->reports.months;
  const char *first
      = months->len ? ((StatsMonth *) months->pdata[0])->month : "-";
  const char *last
      = months->len ? ((StatsMonth *) months->pdata[months->len - 1])->month
                    : "-";
  g_autofree char *title = g_markup_printf_escaped (
      "<title>Reports and notifications per month, %s to %s</title>\n", first,
      last);
  g_autofree char *sub = g_strdup_printf (
      "%s to %s (local time): %" G_GINT64_FORMAT " reports, %" G_GINT64_FORMAT
      " incidents, %" G_GINT64_FORMAT " notifications",
      first, last, c->stats->reports.totals.total,
      c->stats->incidents.totals.total, c->stats->notifications.totals.total);
  /* x = 0 inside the rotated frame: the transform places it. */
  g_autofree char *rotated = g_strdup_printf (
      "transform=\"translate(20,%d) rotate(-90)\" text-anchor=\"middle\"",
      TOP + PLOT_H / 2);

  g_string_append (c->out, title);
  g_string_append_printf (c->out,
                          "<rect width=\"%d\" height=\"%d\" "
                          "fill=\"#fff\"/>\n",
                          c->width, c->height);
  text (c, LEFT, 26, "font-size=\"16\" font-weight=\"bold\"",
        "Reports per month and category, and notifications");
  text (c, LEFT, 46, "fill=\"#444\"", sub);
  text (c, 0, 0, rotated, "Reports, notifications");
  text (c, LEFT + (int) MAX (months->len, 1) * SLOT / 2, c->height - 12,
        "text-anchor=\"middle\"", "Month (local time)");
}

static void
chart_axes (Chart *c)
{
  int right = LEFT + (int) MAX (c->stats->reports.months->len, 1) * SLOT;

  for (gint64 v = 0; v <= c->axis_max; v += c->step)
    {
      g_autofree char *label = g_strdup_printf ("%" G_GINT64_FORMAT, v);
      int y = y_of (c, v);

      g_string_append_printf (c->out,
                              "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
                              "y2=\"%d\" stroke=\"#ddd\"/>\n",
                              LEFT, y, right, y);
      text (c, LEFT - 6, y + 4, "text-anchor=\"end\"", label);
    }
  g_string_append_printf (c->out,
                          "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
                          "y2=\"%d\" stroke=\"#000\"/>\n",
                          LEFT, TOP, LEFT, TOP + PLOT_H);
  g_string_append_printf (c->out,
                          "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
                          "y2=\"%d\" stroke=\"#000\"/>\n",
                          LEFT, TOP + PLOT_H, right, TOP + PLOT_H);
}

/* One category's part of a month's bar, from count `below` up. */
static void
chart_segment (Chart *c, const StatsMonth *m, int cat, int x, gint64 below)
{
  const char *name = report_categories ()[cat];
  int y0 = y_of (c, below);
  int y1 = y_of (c, below + m->counts[cat]);
  g_autofree char *count
      = g_strdup_printf ("%" G_GINT64_FORMAT, m->counts[cat]);
  g_autofree char *tip
      = g_markup_printf_escaped ("%s %s: %s", m->month, name, count);

  g_string_append_printf (c->out,
                          "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
                          "height=\"%d\" fill=\"%s\"><title>%s</title>"
                          "</rect>\n",
                          x, y1, BAR, y0 - y1, colors[cat], tip);
  if (y0 - y1 >= MIN_LABEL_H)
    text (c, x + BAR / 2, (y0 + y1) / 2 + 4,
          "text-anchor=\"middle\" font-size=\"11\" class=\"count\" "
          "stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\"",
          count);
}

/* Month i's notifications, a bar right of its reports' at x. */
static void
chart_notified (Chart *c, const StatsMonth *m, guint i, int x)
{
  gint64 n = notified (c->stats, i);
  int y = y_of (c, n);
  g_autofree char *count = g_strdup_printf ("%" G_GINT64_FORMAT, n);
  g_autofree char *tip
      = g_markup_printf_escaped ("%s notifications: %s", m->month, count);

  if (n == 0)
    return;
  g_string_append_printf (c->out,
                          "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
                          "height=\"%d\" fill=\"%s\" class=\"notified\">"
                          "<title>%s</title></rect>\n",
                          x, y, NBAR, TOP + PLOT_H - y, NCOLOR, tip);
  text (c, x + NBAR / 2, y - 5,
        "text-anchor=\"middle\" font-size=\"10\" class=\"notified\"", count);
}

static void
chart_bar (Chart *c, const StatsMonth *m, guint i)
{
  int x = LEFT + (int) i * SLOT + (SLOT - BAR - NBAR - 2) / 2;
  int label_y = TOP + PLOT_H + 16;
  g_autofree char *total = g_strdup_printf ("%" G_GINT64_FORMAT, m->total);
  g_autofree char *rotate
      = g_strdup_printf ("text-anchor=\"end\" transform=\"rotate(-45 %d %d)\"",
                         x + BAR / 2, label_y);
  gint64 below = 0;

  for (int cat = 0; cat < REPORT_CATEGORIES; cat++)
    {
      if (m->counts[cat] == 0)
        continue;
      chart_segment (c, m, cat, x, below);
      below += m->counts[cat];
    }
  text (c, x + BAR / 2, y_of (c, m->total) - 5,
        "text-anchor=\"middle\" font-weight=\"bold\" class=\"total\"", total);
  chart_notified (c, m, i, x + BAR + 2);
  /* Beyond a year the month labels would touch: slant them. */
  text (c, x + BAR / 2, label_y,
        c->stats->reports.months->len > 12 ? rotate : "text-anchor=\"middle\"",
        m->month);
}

static void
chart_legend_notified (Chart *c, int x, int y)
{
  g_autofree char *label
      = g_strdup_printf ("notifications (%" G_GINT64_FORMAT ")",
                         c->stats->notifications.totals.total);

  g_string_append_printf (c->out,
                          "<rect x=\"%d\" y=\"%d\" width=\"14\" "
                          "height=\"14\" fill=\"%s\"/>\n",
                          x, y, NCOLOR);
  text (c, x + 20, y + 12, "", label);
}

static void
chart_legend (Chart *c)
{
  int x = LEFT + (int) MAX (c->stats->reports.months->len, 1) * SLOT + 24;

  for (int cat = REPORT_CATEGORIES - 1; cat >= 0; cat--)
    {
      /* Top to bottom as the segments are stacked. */
      int y = TOP + (REPORT_CATEGORIES - 1 - cat) * 22;
      g_autofree char *label = g_strdup_printf (
          "%s (%" G_GINT64_FORMAT ")", report_categories ()[cat],
          c->stats->reports.totals.counts[cat]);

      g_string_append_printf (c->out,
                              "<rect x=\"%d\" y=\"%d\" width=\"14\" "
                              "height=\"14\" fill=\"%s\"/>\n",
                              x, y, colors[cat]);
      text (c, x + 20, y + 12, "", label);
    }
  chart_legend_notified (c, x, TOP + REPORT_CATEGORIES * 22 + 8);
}

char *
stats_svg (const Stats *stats)
{
  Chart c = { g_string_new (NULL), stats, 0, 1, 0, 0 };
  const GPtrArray *months = stats->reports.months;
  gint64 max = 0;

  for (guint i = 0; i < months->len; i++)
    max = MAX (max, MAX (((StatsMonth *) months->pdata[i])->total,
                         notified (stats, i)));
  c.step = nice_step (MAX (max, 1));
  c.axis_max = MAX ((max + c.step - 1) / c.step * c.step, c.step);
  if (y_of (&c, max) - TOP < 20)
    c.axis_max += c.step; /* room for the total above the tallest bar */
  c.width = LEFT + (int) MAX (months->len, 1) * SLOT + 24 + LEGEND_W;
  c.height = TOP + PLOT_H + (months->len > 12 ? BOTTOM_SLANTED : BOTTOM);
  g_string_append_printf (c.out,
                          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                          "\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
                          "version=\"1.1\" width=\"%d\" height=\"%d\" "
                          "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
                          "font-size=\"12\">\n",
                          c.width, c.height, c.width, c.height);
  chart_titles (&c);
  chart_axes (&c);
  for (guint i = 0; i < months->len; i++)
    chart_bar (&c, months->pdata[i], i);
  chart_legend (&c);
  g_string_append (c.out, "</svg>\n");
  return g_string_free (c.out, FALSE);
}
