/*
 * keyfile.h - what GKeyFile does not tell: where in the file a key is,
 * so that errors in madoguchi.conf and rules/ can name the line.
 */
#ifndef MADOGUCHI_KEYFILE_H
#define MADOGUCHI_KEYFILE_H

#include <glib.h>

/*
 * The 1-based line of "key =" inside [group] in the file text; with key
 * NULL, the line of the group header.  0 when not found.
 */
int keyfile_line (const char *text, const char *group, const char *key);

#endif
