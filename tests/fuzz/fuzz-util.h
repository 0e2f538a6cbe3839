/*
 * fuzz-util.h - what every libFuzzer target of madoguchi shares: quiet
 * GLib logging with criticals made fatal, and a private temporary
 * directory removed at exit.
 */
#ifndef MADOGUCHI_FUZZ_UTIL_H
#define MADOGUCHI_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

/* libFuzzer's entry points (it has no header for C). */
int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/*
 * Drops GLib and GMime messages below critical (a hostile mail makes
 * many warnings, and printing them would slow the fuzzer to a crawl) and
 * makes a critical abort: a failed g_return_if_fail is a bug that the
 * fuzzer must report, not a line on stderr.
 */
void fuzz_glib_setup (void);

/*
 * A new private directory under $TMPDIR, removed with its files at
 * exit (not after a crash, which libFuzzer ends with _exit).
 * Returns (transfer none) its path.
 */
const char *fuzz_temp_dir (const char *prefix);

/* Writes size bytes of data to path, replacing it; aborts on failure. */
void fuzz_write_file (const char *path, const uint8_t *data, size_t size);

#endif
