/*
 * prefilter-private.h - private to the prefilter (src/prefilter*.c): the
 * reduction of a pattern to its literals, shared by the files that hold
 * its sets of strings (prefilter-set.c), read its characters, escapes and
 * classes (prefilter-atom.c) and walk its groups, quantifiers and
 * alternations (prefilter-parse.c).  The scan is prefilter.c's.
 */
#ifndef MADOGUCHI_PREFILTER_PRIVATE_H
#define MADOGUCHI_PREFILTER_PRIVATE_H

#include "madoguchi/prefilter.h"

#define SET_MAX 256      /* strings in a set, else the set is dropped */
#define PRODUCT_MAX 64   /* strings a sequence multiplies out to */
#define LITERAL_MAX 32   /* bytes in a literal, else the run is cut */
#define CLASS_MAX 16     /* characters of a class taken one by one */
#define ARENA_START 4096 /* bytes of strings first allocated */
#define DEPTH_MAX 250    /* groups within groups, as PCRE2 allows */

/*
 * A set of strings, or NULL for "nothing known".  The strings live in
 * the parser's arena (offsets, since the arena grows), and so do the
 * sets: nothing is freed until the pattern is done.  A set is changed
 * only by the function that made it, before anyone else sees it.
 */
typedef struct
{
  guint n;
  guint32 offset[SET_MAX + 1];
  guint8 len[SET_MAX + 1];
} StrSet;

/* What a piece of pattern matches: exactly one string of exact, or else
 * something containing one string of required. */
typedef struct
{
  StrSet *exact;
  StrSet *required;
} Info;

typedef struct
{
  const char *p;
  const char *end;
  gboolean caseless; /* sticky: once seen, later letters are caseless */
  gboolean dotall;   /* sticky, likewise: . matches a newline */
  gboolean newline;  /* some part (look-arounds too) may match \n */
  gboolean failed;   /* a construct we do not follow */
  char *bytes;       /* the arena of strings */
  gsize bytes_len;
  gsize bytes_size;
  GPtrArray *blocks; /* the arena of sets: blocks of SETS_PER_BLOCK */
  guint used;        /* sets used in the last block */
  guint depth;       /* groups open */
} Parser;

#define SETS_PER_BLOCK 16

/* A string in the arena. */
typedef struct
{
  guint32 offset;
  guint8 len;
} Piece;

StrSet *prefilter_set_new (Parser *ps);

const char *prefilter_set_str (const Parser *ps, const StrSet *set, guint i);

/* Adds s unless there; FALSE when the set is full. */
gboolean prefilter_set_add (Parser *ps, StrSet *set, const char *s, gsize len);

StrSet *prefilter_set_of (Parser *ps, const char *s, gsize len);

Info prefilter_info_empty (Parser *ps);

Info prefilter_info_unknown (void);

/* One string of info's that every match contains, or NULL. */
StrSet *prefilter_info_required (const Info *info);

/* The better of two required sets. */
StrSet *prefilter_set_better (StrSet *a, StrSet *b);

/* Every string of a followed by one of b, or NULL when too many.  Not
 * deduplicated: "a"+"bc" and "ab"+"c" are rare and only cost a slot. */
StrSet *prefilter_set_product (Parser *ps, const StrSet *a, const StrSet *b);

/* Adds every string of from to to; FALSE when to is full.  Duplicates
 * are dropped at the end (prefilter_literals). */
gboolean prefilter_set_add_all (Parser *ps, StrSet *to, const StrSet *from);

/*
 * At most SET_MAX of pieces as a set: when there are more, each is cut
 * to its first bytes (a prefix of a literal is in every text the literal
 * is in) until few enough remain; NULL if even two bytes are too many.
 */
StrSet *prefilter_set_from_pieces (Parser *ps, GArray *pieces);

void prefilter_add_pieces (GArray *pieces, const StrSet *set);

Info prefilter_info_char (Parser *ps, gunichar c);

gboolean prefilter_at (const Parser *ps, const char *s);

/* The next UTF-8 character of the pattern. */
gunichar prefilter_next_char (Parser *ps);

/*
 * An escape outside a class, after the backslash.  Sets *c and returns
 * TRUE for a literal character; otherwise fills info.
 */
gboolean prefilter_parse_escape (Parser *ps, gunichar *c, Info *info);

/* [...], after the [: its characters while few, else unknown. */
Info prefilter_parse_class (Parser *ps);

#endif
