/* auth/upstream_token_cache.c — a worker's minted upstream tokens, reused for part of their lifetime (contract in
 * upstream_token.h). A fixed table of 4-way sets indexed by a hash of the grant's key: bounded, no list to keep in
 * order, the oldest token of a full set replaced. One thread owns it: no locks. */
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"
#include "upstream_token.h"

#define WAYS 4
#define KEY_CAP 1024 /* a grant whose key is longer is minted and not kept */

typedef struct token_entry {
    uint64_t hash;
    char *key;      /* owned: the grant's fields, each followed by a NUL */
    size_t key_len;
    char *token;    /* owned: the signed token */
    int64_t minted; /* its iat */
} token_entry_t;

struct cong_upstream_token_cache {
    size_t sets;
    token_entry_t *entries; /* sets * WAYS; key NULL: free */
    char *uncached;         /* owned: the last token minted for a grant too large for a key */
    cong_upstream_token_cache_stats_t stats;
};

cong_upstream_token_cache_t *cong_upstream_token_cache_new(size_t capacity)
{
    cong_upstream_token_cache_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->sets = capacity / WAYS + (capacity % WAYS != 0);
    if (c->sets == 0)
        c->sets = 1;
    c->entries = calloc(c->sets * WAYS, sizeof *c->entries);
    if (c->entries == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

static void entry_clear(token_entry_t *e)
{
    free(e->key);
    free(e->token);
    memset(e, 0, sizeof *e);
}

void cong_upstream_token_cache_free(cong_upstream_token_cache_t *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->sets * WAYS; i++)
        entry_clear(&c->entries[i]);
    free(c->entries);
    free(c->uncached);
    free(c);
}

cong_upstream_token_cache_stats_t cong_upstream_token_cache_stats(const cong_upstream_token_cache_t *c)
{
    return c->stats;
}

static int put(char *key, size_t *at, const char *field)
{
    size_t n = field != NULL ? strlen(field) : 0;
    if (*at + n + 1 > KEY_CAP)
        return CONG_ETOOBIG;
    memcpy(key + *at, field != NULL ? field : "", n);
    key[*at + n] = '\0';
    *at += n + 1;
    return 0;
}

/* Everything the token says, and what it is signed with: two grants with the same key get the same claims (but
 * jti, iat, exp). Fields are C strings, so NUL separators make the key unambiguous. */
static int grant_key(const cong_identity_t *id, const cong_upstream_grant_t *g, const char *session, char *key,
                     size_t *len)
{
    size_t at = 0;
    char acr[2] = {(char)('0' + (g->loa >= 0 && g->loa <= 2 ? g->loa : 0)), '\0'};
    int rc = put(key, &at, id->kid);
    if (rc == 0)
        rc = put(key, &at, id->issuer);
    if (rc == 0)
        rc = put(key, &at, g->partner);
    if (rc == 0)
        rc = put(key, &at, g->subject);
    if (rc == 0)
        rc = put(key, &at, g->actor);
    if (rc == 0)
        rc = put(key, &at, g->client_id);
    if (rc == 0)
        rc = put(key, &at, acr);
    if (rc == 0)
        rc = put(key, &at, session);
    if (rc == 0)
        rc = cong_upstream_granted_scopes(g, key + at, KEY_CAP - at);
    if (rc == 0)
        at += strlen(key + at) + 1;
    *len = at;
    return rc;
}

static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
    return h;
}

/* Reused for at most half its lifetime, never within the margin before exp, and not when the clock went back. */
static int reusable(const token_entry_t *e, int64_t now)
{
    return now >= e->minted && now - e->minted < CONG_UPSTREAM_TOKEN_REUSE_S &&
           now < e->minted + CONG_UPSTREAM_TOKEN_TTL_S - CONG_UPSTREAM_TOKEN_MARGIN_S;
}

/* The entry of `key` in its set, or the one to replace: a free way, else the oldest token. */
static token_entry_t *slot_of(cong_upstream_token_cache_t *c, uint64_t hash, const char *key, size_t len, int *found)
{
    token_entry_t *set = &c->entries[(hash % c->sets) * WAYS], *victim = NULL;
    for (int i = 0; i < WAYS; i++) {
        token_entry_t *e = &set[i];
        if (e->key != NULL && e->hash == hash && e->key_len == len && memcmp(e->key, key, len) == 0) {
            *found = 1;
            return e;
        }
        if (victim == NULL || (victim->key != NULL && (e->key == NULL || e->minted < victim->minted)))
            victim = e;
    }
    *found = 0;
    return victim;
}

static int mint_uncached(cong_upstream_token_cache_t *c, const cong_identity_t *id, const cong_upstream_grant_t *g,
                         int64_t now, const char **token)
{
    free(c->uncached);
    c->uncached = NULL;
    int rc = cong_upstream_token_issue(id, g, now, &c->uncached);
    *token = c->uncached;
    c->stats.mints += rc == 0;
    return rc;
}

int cong_upstream_token_cached(cong_upstream_token_cache_t *c, const cong_identity_t *id, const cong_upstream_grant_t *g,
                               const char *session, int64_t now, const char **token)
{
    *token = NULL;
    if (c == NULL || id == NULL || g == NULL)
        return CONG_EINVAL;
    char key[KEY_CAP];
    size_t len = 0;
    if (grant_key(id, g, session, key, &len) != 0)
        return mint_uncached(c, id, g, now, token);
    uint64_t hash = fnv1a(key, len);
    int found = 0;
    token_entry_t *e = slot_of(c, hash, key, len, &found);
    if (found && reusable(e, now)) {
        c->stats.hits++;
        *token = e->token;
        return 0;
    }
    char *minted = NULL;
    int rc = cong_upstream_token_issue(id, g, now, &minted);
    if (rc != 0)
        return rc;
    c->stats.mints++;
    char *copy = found ? e->key : malloc(len);
    if (copy == NULL) { /* out of memory for the key: this request still gets its token */
        free(c->uncached);
        *token = c->uncached = minted;
        return 0;
    }
    if (!found) {
        memcpy(copy, key, len);
        c->stats.evictions += e->key != NULL;
        entry_clear(e);
        e->key = copy;
        e->key_len = len;
        e->hash = hash;
    }
    free(e->token);
    e->token = minted;
    e->minted = now;
    *token = minted;
    return 0;
}
