/*
 * sha256.c - SHA-256 (FIPS 180-4) with the x86 SHA extensions, or GLib's.
 *
 * The accelerated path keeps the state in the order the instructions
 * want it (ABEF and CDGH halves) only within blocks_ni; between calls it
 * is the standard H0..H7.  Every other step (buffering, padding, the
 * length, the digest's byte order) is plain C.
 */
#include "madoguchi/sha256.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SHA256_NI 1
#include <cpuid.h>
#include <immintrin.h>
#endif

struct Sha256
{
  GChecksum *portable; /* GLib's, or NULL: ours */
  guint32 state[8];
  guint8 block[64];
  gsize held;    /* bytes waiting in block */
  guint64 total; /* bytes hashed in all */
};

#ifdef SHA256_NI
static const guint32 K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
  0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
  0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/*
 * Hashes whole 64-byte blocks.  Each step does four rounds: the message
 * words W[t] for them (the schedule's recurrence, four at a time, with
 * sha256msg1/msg2), plus K[t], through two sha256rnds2 of two rounds.
 */
__attribute__ ((target ("sha,sse4.1,ssse3"))) static void
blocks_ni (guint32 state[8], const guint8 *data, gsize blocks)
{
  const __m128i big_endian
      = _mm_set_epi64x (0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i dcba = _mm_loadu_si128 ((const __m128i *) &state[0]);
  __m128i hgfe = _mm_loadu_si128 ((const __m128i *) &state[4]);
  __m128i cdab = _mm_shuffle_epi32 (dcba, 0xB1);
  __m128i efgh = _mm_shuffle_epi32 (hgfe, 0x1B);
  __m128i abef = _mm_alignr_epi8 (cdab, efgh, 8);
  __m128i cdgh = _mm_blend_epi16 (efgh, cdab, 0xF0);

  for (; blocks > 0; blocks--, data += 64)
    {
      __m128i saved_abef = abef, saved_cdgh = cdgh;
      __m128i w[4]; /* w[i % 4]: W[4i .. 4i+3] */

      for (int i = 0; i < 16; i++)
        {
          __m128i wk;

          if (i < 4)
            w[i] = _mm_shuffle_epi8 (
                _mm_loadu_si128 ((const __m128i *) (data + 16 * i)),
                big_endian);
          else
            w[i % 4] = _mm_sha256msg2_epu32 (
                _mm_add_epi32 (
                    _mm_sha256msg1_epu32 (w[i % 4], w[(i + 1) % 4]),
                    _mm_alignr_epi8 (w[(i + 3) % 4], w[(i + 2) % 4], 4)),
                w[(i + 3) % 4]);
          wk = _mm_add_epi32 (w[i % 4],
                              _mm_loadu_si128 ((const __m128i *) &K[4 * i]));
          cdgh = _mm_sha256rnds2_epu32 (cdgh, abef, wk);
          abef = _mm_sha256rnds2_epu32 (abef, cdgh,
                                        _mm_shuffle_epi32 (wk, 0x0E));
        }
      abef = _mm_add_epi32 (abef, saved_abef);
      cdgh = _mm_add_epi32 (cdgh, saved_cdgh);
    }
  {
    __m128i feba = _mm_shuffle_epi32 (abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32 (cdgh, 0xB1);

    _mm_storeu_si128 ((__m128i *) &state[0],
                      _mm_blend_epi16 (feba, dchg, 0xF0));
    _mm_storeu_si128 ((__m128i *) &state[4], _mm_alignr_epi8 (dchg, feba, 8));
  }
}

gboolean
sha256_accelerated (void)
{
  unsigned int a, b, c, d;

  return __get_cpuid_count (7, 0, &a, &b, &c, &d) && (b & 1u << 29)
         && __get_cpuid (1, &a, &b, &c, &d) && (c & 1u << 19) && (c & 1u << 9);
}
#else
gboolean
sha256_accelerated (void)
{
  return FALSE;
}
#endif

Sha256 *
sha256_new (gboolean force_portable)
{
  static const guint32 h0[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  };
  Sha256 *sha = g_new0 (Sha256, 1);

  if (force_portable || !sha256_accelerated ())
    sha->portable = g_checksum_new (G_CHECKSUM_SHA256);
  memcpy (sha->state, h0, sizeof h0);
  return sha;
}

#ifdef SHA256_NI
void
sha256_update (Sha256 *sha, const void *data, gsize len)
{
  const guint8 *p = data;

  if (len == 0)
    return;
  if (sha->portable != NULL)
    {
      g_checksum_update (sha->portable, p, (gssize) len);
      return;
    }
  sha->total += len;
  if (sha->held > 0)
    {
      gsize n = MIN (len, 64 - sha->held);

      memcpy (sha->block + sha->held, p, n);
      sha->held += n;
      p += n;
      len -= n;
      if (sha->held < 64)
        return;
      blocks_ni (sha->state, sha->block, 1);
      sha->held = 0;
    }
  blocks_ni (sha->state, p, len / 64);
  memcpy (sha->block, p + len / 64 * 64, len % 64);
  sha->held = len % 64;
}

/* The padding: 0x80, zeros, and the length in bits, big-endian, to end
 * on a whole block. */
static void
finish_ni (Sha256 *sha)
{
  guint64 bits = sha->total * 8;

  sha->block[sha->held++] = 0x80;
  if (sha->held > 56)
    {
      memset (sha->block + sha->held, 0, 64 - sha->held);
      blocks_ni (sha->state, sha->block, 1);
      sha->held = 0;
    }
  memset (sha->block + sha->held, 0, 56 - sha->held);
  for (int i = 0; i < 8; i++)
    sha->block[63 - i] = (guint8) (bits >> (8 * i));
  blocks_ni (sha->state, sha->block, 1);
}
#else
void
sha256_update (Sha256 *sha, const void *data, gsize len)
{
  g_checksum_update (sha->portable, data, (gssize) len);
}
#endif

char *
sha256_hex (Sha256 *sha)
{
  char *hex;

  if (sha->portable != NULL)
    return g_strdup (g_checksum_get_string (sha->portable));
#ifdef SHA256_NI
  finish_ni (sha);
#endif
  hex = g_malloc (65);
  for (int i = 0; i < 8; i++)
    g_snprintf (hex + 8 * i, 9, "%08x", sha->state[i]);
  return hex;
}

void
sha256_free (Sha256 *sha)
{
  if (sha == NULL)
    return;
  if (sha->portable != NULL)
    g_checksum_free (sha->portable);
  g_free (sha);
}
