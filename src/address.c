/*
 * address.c - IP addresses: parse, normalise, classify.
 *
 * IPv4 lives in the IPv4-mapped IPv6 range (::ffff:0:0/96), so one
 * 16-byte big-endian column orders and prefix-searches both families.
 */
#include "madoguchi/address.h"

#include <arpa/inet.h>
#include <string.h>

static const guint8 v4_prefix[12]
    = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

char *
address_refang (const char *text, gsize len)
{
  static const struct
  {
    const char *from;
    const char *to;
  } fangs[] = {
    { "[.]", "." },     { "(.)", "." },     { "{.}", "." },
    { "[dot]", "." },   { "(dot)", "." },   { "[:]", ":" },
    { "[://]", "://" }, { "[:/]", ":/" },   { " [at] ", "@" },
    { " (at) ", "@" },  { "[at]", "@" },    { "(at)", "@" },
    { "hxxp", "http" }, { "hXXp", "http" }, { "h**p", "http" },
    { "fxp", "ftp" },   { "HXXP", "HTTP" },
  };
  GString *out;
  gsize i = 0;

  /* Nearly every match is not defanged: a quick look saves the work. */
  for (i = 0; i < len && strchr ("[({ xX*", text[i]) == NULL; i++)
    ;
  if (i == len || text[i] == '\0')
    return g_strndup (text, len);
  out = g_string_sized_new (len);
  i = 0;
  while (i < len)
    {
      gsize j = 0;

      /* A fang starts with one of these (compared caselessly): the other
       * bytes, most of a defanged text, need not try each. */
      if (strchr ("[({ hf", g_ascii_tolower (text[i])) == NULL)
        j = G_N_ELEMENTS (fangs);
      for (; j < G_N_ELEMENTS (fangs); j++)
        {
          gsize n = strlen (fangs[j].from);

          if (n <= len - i
              && g_ascii_strncasecmp (text + i, fangs[j].from, n) == 0)
            {
              g_string_append (out, fangs[j].to);
              i += n;
              break;
            }
        }
      if (j == G_N_ELEMENTS (fangs))
        g_string_append_c (out, text[i++]);
    }
  return g_string_free (out, FALSE);
}

/* A dotted quad of len bytes, decimal even with leading zeros
 * ("192.000.002.010", as some firewalls print), which inet_pton would
 * refuse: four runs of one to three digits, each at most 255, read in
 * place (this runs for every address candidate of a log). */
static gboolean
parse_dotted_quad (const char *text, gsize len, guint8 *out)
{
  gsize i = 0;

  for (int octet = 0; octet < 4; octet++)
    {
      guint value = 0;
      gsize digits = 0;

      if (octet > 0 && (i >= len || text[i++] != '.'))
        return FALSE;
      for (; i < len && g_ascii_isdigit (text[i]) && digits <= 3; digits++)
        value = value * 10 + (guint) (text[i++] - '0');
      if (digits == 0 || digits > 3 || value > 255)
        return FALSE;
      out[octet] = (guint8) value;
    }
  return i == len;
}

gboolean
address_parse (const char *text, guint8 ip[16], gboolean *mapped)
{
  const char *zone = strchr (text, '%');
  gsize len = zone != NULL ? (gsize) (zone - text) : strlen (text);
  char copy[INET6_ADDRSTRLEN];

  *mapped = FALSE;
  if (memchr (text, ':', len) == NULL)
    {
      memcpy (ip, v4_prefix, 12);
      return parse_dotted_quad (text, len, ip + 12);
    }
  /* inet_pton reads no text this long: at most eight groups of four
   * digits, or six and a dotted quad (45 bytes). */
  if (len >= sizeof copy)
    return FALSE;
  memcpy (copy, text, len);
  copy[len] = '\0';
  if (inet_pton (AF_INET6, copy, ip) != 1)
    return FALSE;
  *mapped = address_is_v4 (ip);
  return TRUE;
}

gboolean
address_is_v4 (const guint8 ip[16])
{
  return memcmp (ip, v4_prefix, 12) == 0;
}

char *
address_format (const guint8 ip[16], gboolean as_ipv6)
{
  char buf[INET6_ADDRSTRLEN];
  char *p = buf;

  if (!address_is_v4 (ip) || as_ipv6)
    return g_strdup (inet_ntop (AF_INET6, ip, buf, sizeof buf));
  /* As inet_ntop writes it ("%u.%u.%u.%u"), without printf: this runs
   * for every address of a log. */
  for (int i = 12; i < 16; i++)
    {
      if (i > 12)
        *p++ = '.';
      if (ip[i] >= 100)
        *p++ = (char) ('0' + ip[i] / 100);
      if (ip[i] >= 10)
        *p++ = (char) ('0' + ip[i] / 10 % 10);
      *p++ = (char) ('0' + ip[i] % 10);
    }
  return g_strndup (buf, (gsize) (p - buf));
}

typedef struct
{
  const char *network;
  const char *scope;
} ScopeRange;

/* Most specific first; the first containing range names the scope. */
static const ScopeRange scope_ranges[] = {
  { "192.0.2.0/24", "documentation" },   { "198.51.100.0/24", "documentation" },
  { "203.0.113.0/24", "documentation" }, { "2001:db8::/32", "documentation" },
  { "10.0.0.0/8", "private" },           { "172.16.0.0/12", "private" },
  { "192.168.0.0/16", "private" },       { "fc00::/7", "private" },
  { "127.0.0.0/8", "loopback" },         { "::1/128", "loopback" },
  { "169.254.0.0/16", "link-local" },    { "fe80::/10", "link-local" },
  { "224.0.0.0/4", "multicast" },        { "ff00::/8", "multicast" },
  { "0.0.0.0/8", "reserved" },           { "100.64.0.0/10", "reserved" },
  { "192.0.0.0/24", "reserved" },        { "198.18.0.0/15", "reserved" },
  { "240.0.0.0/4", "reserved" },         { "::/128", "reserved" },
  { "::ffff:0:0/96", "global" },         { "2000::/3", "global" },
};

const char *
address_scope (const guint8 ip[16])
{
  static Network networks[G_N_ELEMENTS (scope_ranges)];
  static gsize parsed;

  /* Parsed once per process: this runs for every address extracted. */
  if (g_once_init_enter (&parsed))
    {
      for (gsize i = 0; i < G_N_ELEMENTS (scope_ranges); i++)
        if (!address_parse_network (scope_ranges[i].network, &networks[i]))
          g_assert_not_reached ();
      g_once_init_leave (&parsed, 1);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (scope_ranges); i++)
    if (address_network_contains (&networks[i], ip))
      return scope_ranges[i].scope;
  return "reserved";
}

gboolean
address_parse_network (const char *text, Network *network)
{
  g_auto (GStrv) parts = g_strsplit (text, "/", 2);
  gboolean mapped;
  gint64 bits;
  guint max;

  if (!address_parse (g_strstrip (parts[0]), network->net, &mapped))
    return FALSE;
  max = address_is_v4 (network->net) && !mapped ? 32 : 128;
  if (parts[1] == NULL)
    bits = max;
  else if (!g_ascii_string_to_signed (g_strstrip (parts[1]), 10, 0, max, &bits,
                                      NULL))
    return FALSE;
  network->prefix = (guint) bits + (128 - max);
  return TRUE;
}

void
address_network_bounds (const Network *network, guint8 first[16],
                        guint8 last[16])
{
  for (guint i = 0; i < 16; i++)
    {
      guint bits = network->prefix > i * 8 ? network->prefix - i * 8 : 0;
      guint8 mask = bits >= 8 ? 0xff : (guint8) (0xff << (8 - bits));

      first[i] = network->net[i] & mask;
      last[i] = network->net[i] | (guint8) ~mask;
    }
}

gboolean
address_network_contains (const Network *network, const guint8 ip[16])
{
  guint8 first[16], last[16];

  address_network_bounds (network, first, last);
  return memcmp (ip, first, 16) >= 0 && memcmp (ip, last, 16) <= 0;
}
