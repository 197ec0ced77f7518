/*
 * modules/procedures/catalog_rank.c — ranking one search's hits (catalog_rank.h): a hit's score is the best word
 * window of its search_text (catalog_index.h), computed only for hits that could still be among the first `want`.
 *
 * A hit's score is at most shared / nq (a window holds no more of the query's trigrams than the whole text), so the
 * hits are taken by shared, most first, and within one shared count in tie order (class, then doc number, which is
 * length and code); once the want-th best so far beats what a hit could reach at its place, no later hit of that count
 * can, and once it beats shared / nq itself no hit of a lower count can either.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog_rank.h"

/* A new slot, its mask and count cleared; UINT32_MAX (and s->failed) when out of memory. */
static uint32_t new_slot(catalog_scratch_t *s, size_t mw)
{
    if ((s->slots + 1) * mw > s->mask_cap) {
        size_t cap = (s->slots + 1) * mw * 2 + 64;
        uint64_t *masks = realloc(s->masks, cap * sizeof *masks);
        if (masks == NULL) {
            s->failed = 1;
            return UINT32_MAX;
        }
        s->masks = masks, s->mask_cap = cap;
    }
    if (s->slots >= s->slot_cap) {
        size_t cap = s->slots * 2 + 64;
        uint16_t *found = realloc(s->found, cap * sizeof *found);
        uint32_t *token = found != NULL ? realloc(s->slot_token, cap * sizeof *token) : NULL;
        if (found != NULL)
            s->found = found;
        if (token == NULL) {
            s->failed = 1;
            return UINT32_MAX;
        }
        s->slot_token = token, s->slot_cap = cap;
    }
    uint32_t slot = (uint32_t)s->slots++;
    memset(s->masks + (size_t)slot * mw, 0, mw * sizeof *s->masks);
    s->found[slot] = 0;
    return slot;
}

void catalog_rank_prepare(const catalog_index_t *ix, catalog_scratch_t *s, const catalog_query_t *qy,
                          const size_t *keys, size_t nkeys)
{
    const catalog_vocab_t *vocab = &ix->vocab;
    s->slots = 1; /* slot 0: a token that holds none of the query's trigrams */
    if (s->slot_cap == 0 && new_slot(s, qy->mw) == UINT32_MAX)
        return;
    s->slots = 1, s->found[0] = 0;
    for (size_t i = 0; i < nkeys && !s->failed; i++) {
        uint16_t number = s->in_query[keys[i]];
        for (uint32_t p = vocab->by_trigram_offs[keys[i]]; p < vocab->by_trigram_offs[keys[i] + 1]; p++) {
            uint32_t v = vocab->by_trigram[p], slot = (uint32_t)s->slot_of[v];
            if (slot == 0) {
                if ((slot = new_slot(s, qy->mw)) == UINT32_MAX)
                    return;
                s->slot_of[v] = slot, s->slot_token[slot] = v;
            }
            s->masks[(size_t)slot * qy->mw + (number - 1) / 64] |= 1ULL << ((number - 1) % 64);
            s->found[slot]++; /* a token's trigrams are distinct */
            s->slot_of[v] += 1ULL << 32;
        }
    }
}

void catalog_rank_finish(catalog_scratch_t *s)
{
    for (size_t slot = 1; slot < s->slots; slot++)
        s->slot_of[s->slot_token[slot]] = 0;
    s->slots = 1;
}

/* Bits set in w: SWAR, as the baseline x86-64 target has no popcount instruction (the builtin is a library call). */
static unsigned bits_in(uint64_t w)
{
    w -= (w >> 1) & 0x5555555555555555ULL;
    w = (w & 0x3333333333333333ULL) + ((w >> 2) & 0x3333333333333333ULL);
    w = (w + (w >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (unsigned)((w * 0x0101010101010101ULL) >> 56);
}

/* The doc's tokens that hold one of the query's trigrams, with the other trigrams' count before and after each
 * (u_before / u_after, counted over every token from the text's start). Returns how many. */
static size_t touched_tokens(const catalog_index_t *ix, catalog_scratch_t *s, size_t d)
{
    const catalog_doc_t *doc = &ix->docs[d];
    size_t touched = 0;
    uint32_t u = 0;
    for (uint32_t j = 0; j < doc->ntokens; j++) { /* no branch on the token: an untouched one's info is 0 */
        uint64_t info = s->slot_of[doc->tokens[j]];
        uint32_t slot = (uint32_t)info;
        s->touch_slot[touched] = slot, s->u_before[touched] = u;
        u += doc->token_sizes[j] - (uint32_t)(info >> 32);
        s->u_after[touched] = u;
        touched += slot != 0;
    }
    return touched;
}

/* The doc's score: over the windows of its tokens that start and end on a token holding one of the query's
 * trigrams, the greatest c / (nq + u) (c: the query's trigrams the window holds, u: the other trigrams of its tokens,
 * counted per token). Compared as fractions; the double is computed once, as PostgreSQL's float8 division does.
 * Windows that cannot beat the best so far are skipped: from start a, c is at most what the tokens from a on hold
 * together (reach[a], a suffix union), and u only grows with the window's end. */
/* reach[a]: how many of the query's trigrams the touched tokens a.. hold together (a suffix union). */
static void suffix_reach(catalog_scratch_t *s, size_t touched, size_t mw)
{
    uint64_t *acc = s->acc;
    memset(acc, 0, mw * sizeof *acc);
    for (size_t a = touched; a-- > 0;) {
        const uint64_t *mask = s->masks + (size_t)s->touch_slot[a] * mw;
        unsigned added = 0;
        for (size_t w = 0; w < mw; w++)
            added += bits_in(mask[w] & ~acc[w]), acc[w] |= mask[w];
        s->reach[a] = (a + 1 < touched ? s->reach[a + 1] : 0) + added;
    }
}

/* The best window's fraction (*best_c / *best_den), masks of any width. A window that cannot beat the best so far is
 * skipped: from start a, c is at most reach[a], and u only grows with the window's end. */
static void best_window(catalog_scratch_t *s, size_t touched, size_t nq, size_t mw, uint64_t *best_c,
                        uint64_t *best_den)
{
    uint64_t *acc = s->acc;
    suffix_reach(s, touched, mw);
    for (size_t a = 0; a < touched && *best_c != *best_den; a++) {
        memset(acc, 0, mw * sizeof *acc);
        uint64_t c = 0;
        for (size_t b = a; b < touched; b++) {
            uint64_t den = nq + (s->u_after[b] - s->u_before[a]);
            if ((uint64_t)s->reach[a] * *best_den <= *best_c * den)
                break; /* a later end only adds to u */
            const uint64_t *mask = s->masks + (size_t)s->touch_slot[b] * mw;
            for (size_t w = 0; w < mw; w++)
                c += bits_in(mask[w] & ~acc[w]), acc[w] |= mask[w];
            if (c * *best_den > *best_c * den)
                *best_c = c, *best_den = den;
        }
    }
}

/* The same for a query of at most 64 trigrams (nearly every one): one word a mask; a window end that adds none of
 * the query's trigrams is passed over (same c, more u). */
static void best_window_one_word(catalog_scratch_t *s, size_t touched, size_t nq, uint64_t *best_c,
                                 uint64_t *best_den)
{
    uint64_t all = 0;
    for (size_t a = touched; a-- > 0;) { /* reach[a]: the suffix union's count */
        uint64_t added = s->masks[s->touch_slot[a]] & ~all;
        all |= added;
        s->reach[a] = (a + 1 < touched ? s->reach[a + 1] : 0) + (added != 0 ? bits_in(added) : 0);
    }
    uint64_t bc = 0, bd = 1;
    for (size_t a = 0; a < touched && bc != bd; a++) {
        uint64_t acc = 0, c = 0, reach = s->reach[a];
        for (size_t b = a; b < touched; b++) {
            uint64_t den = nq + (s->u_after[b] - s->u_before[a]);
            if (reach * bd <= bc * den)
                break; /* a later end only adds to u */
            uint64_t added = s->masks[s->touch_slot[b]] & ~acc;
            if (added == 0)
                continue;
            acc |= added;
            c += bits_in(added);
            if (c * bd > bc * den)
                bc = c, bd = den;
        }
    }
    *best_c = bc, *best_den = bd;
}

/* Whether some window could reach the fraction c_w / den_w: c <= the sum of its tokens' counts (a union is no
 * larger), so c / (nq + u) >= c_w / den_w needs sum * den_w - c_w * u >= c_w * nq for some window; the best such sum
 * is a Kadane walk over the touched tokens and the gaps between them. `strict`: the doc comes after that hit in tie
 * order, so only a greater score would be kept. */
static int may_reach(const catalog_scratch_t *s, size_t touched, size_t nq, uint64_t c_w, uint64_t den_w, int strict)
{
    int64_t best = INT64_MIN, run = 0, goal = (int64_t)(c_w * nq);
    for (size_t j = 0; j < touched; j++) {
        int64_t gap = j > 0 ? (int64_t)(s->u_before[j] - s->u_after[j - 1]) : 0;
        int64_t own = (int64_t)(s->found[s->touch_slot[j]] * den_w) -
                      (int64_t)((s->u_after[j] - s->u_before[j]) * c_w);
        run = j > 0 && run - gap * (int64_t)c_w > 0 ? run - gap * (int64_t)c_w + own : own;
        if (run > best)
            best = run;
    }
    return strict ? best > goal : best >= goal;
}

/* Doc d's score (and as a fraction in *out_c / *out_den); 0 without its windows when `worst` (the want-th best so
 * far, or NULL while fewer are kept) is out of its reach. */
static double doc_score(const catalog_index_t *ix, catalog_scratch_t *s, const catalog_query_t *qy, size_t d,
                        uint32_t tie, const catalog_hit_t *worst, uint32_t *out_c, uint32_t *out_den)
{
    size_t touched = touched_tokens(ix, s, d), mw = qy->mw;
    *out_c = 0, *out_den = 1;
    if (touched == 0 ||
        (worst != NULL && !may_reach(s, touched, qy->nq, worst->c, worst->den, tie > worst->tie)))
        return 0.0;
    uint64_t best_c = 0, best_den = 1;
    if (mw == 1)
        best_window_one_word(s, touched, qy->nq, &best_c, &best_den);
    else
        best_window(s, touched, qy->nq, mw, &best_c, &best_den);
    *out_c = (uint32_t)best_c, *out_den = (uint32_t)best_den;
    return best_c == 0 ? 0.0 : (double)best_c / (double)best_den;
}

static int better(catalog_hit_t a, catalog_hit_t b)
{
    return a.score > b.score || (a.score == b.score && a.tie < b.tie);
}

/* The kept hits as a heap whose root is the worst of them. */
static void keep(catalog_hit_t *h, size_t *n, size_t want, catalog_hit_t hit)
{
    size_t i;
    if (*n == want) {
        if (!better(hit, h[0]))
            return;
        h[0] = hit; /* replace the worst, sift down */
        for (i = 0;;) {
            size_t l = 2 * i + 1, r = l + 1, m = i;
            if (l < *n && better(h[m], h[l]))
                m = l;
            if (r < *n && better(h[m], h[r]))
                m = r;
            if (m == i)
                return;
            catalog_hit_t x = h[i];
            h[i] = h[m], h[m] = x, i = m;
        }
    }
    i = (*n)++; /* append, sift up */
    h[i] = hit;
    while (i > 0 && better(h[(i - 1) / 2], h[i])) {
        catalog_hit_t x = h[i];
        h[i] = h[(i - 1) / 2], h[(i - 1) / 2] = x, i = (i - 1) / 2;
    }
}

static int compare_hits(const void *a, const void *b)
{
    catalog_hit_t x = *(const catalog_hit_t *)a, y = *(const catalog_hit_t *)b;
    return better(x, y) ? -1 : better(y, x);
}

/* Best first: an insertion sort for a page's worth (no calls), qsort for deep pages. */
static void sort_hits(catalog_hit_t *h, size_t n)
{
    if (n > 64) {
        qsort(h, n, sizeof *h, compare_hits);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        catalog_hit_t x = h[i];
        size_t j = i;
        for (; j > 0 && better(x, h[j - 1]); j--)
            h[j] = h[j - 1];
        h[j] = x;
    }
}

/* The hits of one shared count (s->level), class by class in doc order (tie order), until none of the rest can be
 * kept. */
static void rank_level(const catalog_index_t *ix, catalog_scratch_t *s, const catalog_query_t *qy, size_t want,
                       size_t *n, double bound)
{
    for (uint32_t cls = 0; cls < 3; cls++) {
        for (size_t i = 0; i < s->nmatch_words; i++) { /* a level is part of match */
            size_t w = s->match_words[i];
            uint64_t in_class = cls == 0 ? s->equal[w] : cls == 1 ? s->starts[w] & ~s->equal[w] : ~s->starts[w];
            uint64_t x = s->level[w] & in_class;
            for (; x != 0; x &= x - 1) {
                size_t d = w * 64 + (size_t)__builtin_ctzll(x);
                catalog_hit_t reach = {bound, cls << 16 | (uint32_t)d, 0, 0}, hit = reach;
                if (*n == want && !better(reach, s->hits[0]))
                    return; /* the rest come later in tie order and reach no more */
                hit.score = doc_score(ix, s, qy, d, hit.tie, *n == want ? &s->hits[0] : NULL, &hit.c, &hit.den);
                keep(s->hits, n, want, hit);
            }
        }
    }
}

/* s->level = the hits that hold exactly `count` of the query's trigrams; 0 when there are none. */
static int level_set(const catalog_index_t *ix, catalog_scratch_t *s, size_t count)
{
    uint64_t any = 0;
    memset(s->level, 0, ix->set_words * sizeof *s->level);
    for (size_t i = 0; i < s->nmatch_words; i++) {
        size_t w = s->match_words[i];
        uint64_t x = s->match[w];
        for (size_t k = 0; k < s->planes && x != 0; k++) {
            uint64_t plane = s->shared[k * ix->set_words + w];
            x &= (count >> k & 1) ? plane : ~plane;
        }
        s->level[w] = x;
        any |= x;
    }
    return any != 0;
}

size_t catalog_rank(const catalog_index_t *ix, catalog_scratch_t *s, const catalog_query_t *qy, size_t want)
{
    size_t n = 0;
    for (size_t level = qy->nq + 1; level-- > 0 && !s->failed;) {
        double bound = qy->nq > 0 ? (double)level / (double)qy->nq : 0.0;
        if (n == want && bound < s->hits[0].score)
            break;
        if (level_set(ix, s, level))
            rank_level(ix, s, qy, want, &n, bound);
    }
    sort_hits(s->hits, n);
    return n;
}
