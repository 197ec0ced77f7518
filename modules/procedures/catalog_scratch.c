/*
 * modules/procedures/catalog_scratch.c — the working memory of a search (catalog_rank.h), sized for one index and
 * owned by it: a search borrows one from the index's spare list (or makes one), gives it back after, and the index
 * frees them all with itself. Worker threads search at once, each with its own; none is shared while in use.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog_rank.h"

static void scratch_free(catalog_scratch_t *s)
{
    if (s == NULL)
        return;
    free(s->in_query), free(s->shared), free(s->weight), free(s->every), free(s->match), free(s->word);
    free(s->equal), free(s->starts), free(s->level), free(s->match_words), free(s->page), free(s->slot_of);
    free(s->slot_token), free(s->masks), free(s->found), free(s->touch_slot), free(s->u_before), free(s->u_after);
    free(s->reach), free(s->acc), free(s->hits), free(s->q), free(s->tri);
    free(s);
}

static void *zeroed(size_t n, size_t size)
{
    return calloc(n + 1, size);
}

/* Per doc counters are read 8 at a time (catalog_search.c): rounded up to whole doc sets, 16-byte aligned. */
static uint16_t *doc_counters(const catalog_index_t *ix)
{
    return aligned_alloc(16, (ix->set_words * 64 + 8) * sizeof(uint16_t));
}

static catalog_scratch_t *scratch_new(const catalog_index_t *ix)
{
    catalog_scratch_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    size_t max_tokens = 0;
    for (size_t d = 0; d < ix->count; d++)
        if (ix->docs[d].ntokens > max_tokens)
            max_tokens = ix->docs[d].ntokens;
    s->in_query = zeroed(ix->trigrams.nkeys, sizeof *s->in_query);
    s->shared = zeroed(CATALOG_SHARED_PLANES * ix->set_words, sizeof *s->shared);
    s->weight = doc_counters(ix);
    s->every = zeroed(ix->set_words, sizeof *s->every);
    s->match = zeroed(ix->set_words, sizeof *s->match);
    s->word = zeroed(ix->set_words, sizeof *s->word);
    s->equal = zeroed(ix->set_words, sizeof *s->equal);
    s->starts = zeroed(ix->set_words, sizeof *s->starts);
    s->level = zeroed(ix->set_words, sizeof *s->level);
    s->match_words = zeroed(ix->set_words, sizeof *s->match_words);
    s->page = zeroed(ix->count, sizeof *s->page);
    s->slot_of = zeroed(ix->vocab.count, sizeof *s->slot_of);
    s->touch_slot = zeroed(max_tokens, sizeof *s->touch_slot);
    s->u_before = zeroed(max_tokens, sizeof *s->u_before);
    s->u_after = zeroed(max_tokens, sizeof *s->u_after);
    s->reach = zeroed(max_tokens, sizeof *s->reach);
    s->hits = zeroed(ix->count, sizeof *s->hits);
    if (s->in_query == NULL || s->shared == NULL || s->weight == NULL || s->every == NULL || s->match == NULL ||
        s->word == NULL || s->equal == NULL || s->starts == NULL || s->level == NULL || s->match_words == NULL ||
        s->page == NULL || s->slot_of == NULL || s->touch_slot == NULL || s->u_before == NULL || s->u_after == NULL ||
        s->reach == NULL || s->hits == NULL) {
        scratch_free(s);
        return NULL;
    }
    return s;
}

catalog_scratch_t *catalog_scratch_borrow(catalog_index_t *ix)
{
    pthread_mutex_lock(&ix->scratch_lock);
    catalog_scratch_t *s = ix->spare_scratch;
    if (s != NULL)
        ix->spare_scratch = s->next;
    pthread_mutex_unlock(&ix->scratch_lock);
    return s != NULL ? s : scratch_new(ix);
}

void catalog_scratch_give_back(catalog_index_t *ix, catalog_scratch_t *s)
{
    pthread_mutex_lock(&ix->scratch_lock);
    s->next = ix->spare_scratch;
    ix->spare_scratch = s;
    pthread_mutex_unlock(&ix->scratch_lock);
}

void catalog_scratch_free_all(catalog_index_t *ix)
{
    while (ix->spare_scratch != NULL) {
        catalog_scratch_t *s = ix->spare_scratch;
        ix->spare_scratch = s->next;
        scratch_free(s);
    }
}

int catalog_scratch_fit(catalog_scratch_t *s, size_t q_cap, size_t nq_cap, size_t mw)
{
    if (q_cap > s->q_cap) {
        char *q = realloc(s->q, q_cap);
        if (q == NULL)
            return -1;
        s->q = q, s->q_cap = q_cap;
    }
    if (nq_cap > s->tri_cap) {
        catalog_trgm_t *tri = realloc(s->tri, nq_cap * sizeof *tri);
        if (tri == NULL)
            return -1;
        s->tri = tri, s->tri_cap = nq_cap;
    }
    uint64_t *acc = realloc(s->acc, (mw + 1) * sizeof *acc);
    if (acc == NULL)
        return -1;
    s->acc = acc;
    return 0;
}

void catalog_scratch_next_search(catalog_scratch_t *s)
{
    s->slots = 1;
    s->failed = 0;
}
