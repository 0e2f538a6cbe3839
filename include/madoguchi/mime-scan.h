/*
 * mime-scan.h - one cheap pass over a message, before GMime sees it,
 * that bounds what GMime will build.
 *
 * GMime builds a message's whole tree before anyone can walk it: about
 * 1.3 KB per part, 0.7 KB per header field and, for the headers it
 * decodes, some 140 bytes per word.  max_mime_parts, applied by the
 * walk, bounded the walk's work but not that memory: 3 M empty parts
 * (15 MB of mail) took 3.8 GB, 500,000 header fields 334 MB.  This pass
 * counts, from the raw bytes, what GMime would build, and when a limit
 * is crossed says which byte ranges of the message GMime is to be given
 * instead: the message stops before the delimiter line past max_parts,
 * and header lines past the header limits are left out.  A message
 * within every limit is given whole, unchanged.  Only message.c uses it;
 * it knows nothing of GMime itself.
 */
#ifndef MADOGUCHI_MIME_SCAN_H
#define MADOGUCHI_MIME_SCAN_H

#include <glib.h>

#include "madoguchi/raw.h"

/* Words of one header field given to GMime (the rest of the field is
 * left out): its decoder keeps some 140 bytes per word while it works,
 * so 200,000 words cost about 30 MB at worst. */
#define MIME_SCAN_FIELD_WORDS 200000

/* Lines of one field (its folds) given to GMime: its parser grows the
 * field's buffer by a realloc per line, which costs a copy of the whole
 * field each time wherever realloc cannot grow in place (under ASan, 50,000
 * lines took 9 s, 200,000 over a minute). */
#define MIME_SCAN_FIELD_LINES 30000

typedef struct
{
  guint max_parts;       /* delimiter lines GMime may see */
  guint max_fields;      /* header fields, all header blocks together */
  gsize max_header_size; /* bytes of header lines, all blocks together */
  guint max_field_words; /* words of one field */
  guint max_field_lines; /* lines of one field, its first included */
} MimeScanLimits;

typedef struct
{
  gsize from;
  gsize to; /* exclusive */
} MimeScanRange;

typedef struct
{
  GArray *ranges;       /* of MimeScanRange, in order; NULL: all of it */
  gboolean parts_cut;   /* the message stops before a delimiter line */
  gboolean headers_cut; /* header lines or their ends are left out */
  guint delimiters;     /* delimiter-like lines counted */
  guint fields;         /* header fields counted */
} MimeScan;

void mime_scan_free (MimeScan *scan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MimeScan, mime_scan_free)

/*
 * Scans raw from offset from on.  Counts over-approximate (any line
 * starting "--" once a header named a boundary is a delimiter; the lines
 * after it up to a blank line are a header block, as are those after the
 * headers of a message/ or digest part), so that GMime never gets more
 * than the limits, and a message within them is never touched.
 * Returns (transfer full) the scan, or NULL when raw cannot be read.
 */
MimeScan *mime_scan_raw (const Raw *raw, gsize from,
                         const MimeScanLimits *limits, GError **error);

#endif
