/*
 * modules/procedures/catalog_counts.c — per-doc counters, several at a time (catalog_rank.h): adding a doc set (bits)
 * to uint16 counters, and which counters reach or equal a value. A search counts each doc's query words and trigrams this way
 * instead of walking long posting lists.
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "catalog_rank.h"

/* Eight counters at once: spread[b] has 1 in lane i when bit i of b is set (a table the compiler writes). */
typedef uint16_t lanes_t __attribute__((vector_size(16)));
#define LANE(b, i) (((b) >> (i)) & 1)
#define LANES(b) {LANE(b, 0), LANE(b, 1), LANE(b, 2), LANE(b, 3), LANE(b, 4), LANE(b, 5), LANE(b, 6), LANE(b, 7)}
#define LANES4(b) LANES(b), LANES((b) + 1), LANES((b) + 2), LANES((b) + 3)
#define LANES16(b) LANES4(b), LANES4((b) + 4), LANES4((b) + 8), LANES4((b) + 12)
#define LANES64(b) LANES16(b), LANES16((b) + 16), LANES16((b) + 32), LANES16((b) + 48)
static const lanes_t spread[256] = {LANES64(0), LANES64(64), LANES64(128), LANES64(192)};

void catalog_counts_add_word(uint16_t *counts, uint64_t bits, uint16_t weight)
{
    for (unsigned at = 0; bits != 0; bits >>= 8, at += 8) {
        if ((bits & 0xFF) == 0)
            continue;
        lanes_t c; /* counts stay below 65,536 */
        memcpy(&c, counts + at, sizeof c);
        c += spread[bits & 0xFF] * weight;
        memcpy(counts + at, &c, sizeof c);
    }
}

void catalog_counts_add(uint16_t *counts, const uint64_t *set, size_t set_words, uint16_t weight)
{
    for (size_t w = 0; w < set_words; w++)
        if (set[w] != 0)
            catalog_counts_add_word(counts + w * 64, set[w], weight);
}

/* Bit i set when counts[i] >= needed, for 64 counters (16-byte aligned). */
uint64_t catalog_counts_at_least(const uint16_t *counts, size_t needed)
{
    if (needed > 32767)
        return 0; /* no count gets there: a word's weight is its trigrams, a query's at most a few thousand */
#ifdef __SSE2__
    uint64_t bits = 0;
    __m128i below = _mm_set1_epi16((short)(needed - 1)); /* counts stay below 32768: signed compares are right */
    for (unsigned i = 0; i < 64; i += 16) {
        __m128i lo = _mm_cmpgt_epi16(_mm_load_si128((const __m128i *)(counts + i)), below);
        __m128i hi = _mm_cmpgt_epi16(_mm_load_si128((const __m128i *)(counts + i + 8)), below);
        bits |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_packs_epi16(lo, hi)) << i;
    }
    return bits;
#else
    uint64_t bits = 0;
    for (unsigned i = 0; i < 64; i++)
        bits |= (uint64_t)(counts[i] >= needed) << i;
    return bits;
#endif
}
