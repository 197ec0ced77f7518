#include "token_cache.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WAYS 4
#define REVOKED_SLOTS_MIN 1024

typedef struct cached_token {
    uint64_t hash;
    int64_t exp;
    size_t len;
    char *token; /* NULL when the slot is free */
    cong_jwt_claims_t claims;
} cached_token_t;

typedef struct revoked_session {
    uint64_t hash;
    int64_t until;
    char sid[sizeof(((cong_jwt_claims_t *)0)->sid)];
} revoked_session_t;

struct cong_token_cache {
    uint64_t seed;
    size_t sets;
    cached_token_t *slots; /* sets * WAYS */
    revoked_session_t *revoked;
    size_t revoked_cap, revoked_count;
    cong_token_cache_stats_t stats;
};

/* A keyed 64-bit hash (multiply-xorshift over 8-byte words): the seed is random per cache, so a client cannot aim
 * collisions at one set. Lookups still compare the whole token. */
static uint64_t keyed_hash(uint64_t seed, const char *s, size_t len)
{
    uint64_t h = seed ^ (len * 0x9E3779B97F4A7C15ull);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h ^= w * 0xFF51AFD7ED558CCDull;
        h = (h << 31 | h >> 33) * 0xC4CEB9FE1A85EC53ull;
    }
    uint64_t tail = 0;
    memcpy(&tail, s + i, len - i);
    h ^= tail * 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    return h ^ (h >> 29);
}

cong_token_cache_t *cong_token_cache_new(size_t entries)
{
    cong_token_cache_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->sets = entries / WAYS + 1;
    c->slots = calloc(c->sets * WAYS, sizeof *c->slots);
    c->revoked_cap = REVOKED_SLOTS_MIN;
    c->revoked = calloc(c->revoked_cap, sizeof *c->revoked);
    if (c->slots == NULL || c->revoked == NULL || RAND_bytes((unsigned char *)&c->seed, sizeof c->seed) != 1) {
        cong_token_cache_free(c);
        return NULL;
    }
    return c;
}

void cong_token_cache_free(cong_token_cache_t *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; c->slots != NULL && i < c->sets * WAYS; i++)
        free(c->slots[i].token);
    free(c->slots);
    free(c->revoked);
    free(c);
}

/* ---- revoked sessions: open addressing, linear probing, grows at half full ---- */

static revoked_session_t *find_revoked(const cong_token_cache_t *c, const char *sid, uint64_t h)
{
    for (size_t i = h % c->revoked_cap, n = 0; n < c->revoked_cap; i = (i + 1) % c->revoked_cap, n++) {
        revoked_session_t *r = &c->revoked[i];
        if (r->sid[0] == '\0' || (r->hash == h && strcmp(r->sid, sid) == 0))
            return r;
    }
    return NULL;
}

static int grow_revoked(cong_token_cache_t *c, int64_t now)
{
    revoked_session_t *old = c->revoked;
    size_t old_cap = c->revoked_cap;
    size_t cap = old_cap * 2;
    revoked_session_t *fresh = calloc(cap, sizeof *fresh);
    if (fresh == NULL)
        return -1;
    c->revoked = fresh;
    c->revoked_cap = cap;
    c->revoked_count = 0;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].sid[0] == '\0' || old[i].until <= now)
            continue; /* expired revocations are dropped while rehashing */
        *find_revoked(c, old[i].sid, old[i].hash) = old[i];
        c->revoked_count++;
    }
    free(old);
    return 0;
}

void cong_token_cache_revoke_session(cong_token_cache_t *c, const char *sid, int64_t until)
{
    size_t len = strlen(sid);
    if (len == 0 || len >= sizeof(((revoked_session_t *)0)->sid))
        return;
    if ((c->revoked_count + 1) * 2 > c->revoked_cap && grow_revoked(c, (int64_t)time(NULL)) != 0)
        return;
    uint64_t h = keyed_hash(c->seed, sid, len);
    revoked_session_t *r = find_revoked(c, sid, h);
    if (r == NULL)
        return;
    if (r->sid[0] == '\0') {
        memcpy(r->sid, sid, len + 1);
        r->hash = h;
        c->revoked_count++;
    }
    if (until > r->until)
        r->until = until;
}

int cong_token_cache_session_revoked(cong_token_cache_t *c, const char *sid, int64_t now)
{
    if (sid == NULL || sid[0] == '\0' || c->revoked_count == 0)
        return 0;
    revoked_session_t *r = find_revoked(c, sid, keyed_hash(c->seed, sid, strlen(sid)));
    return r != NULL && r->sid[0] != '\0' && r->until > now;
}

/* ---- tokens ---- */

const cong_jwt_claims_t *cong_token_cache_get(cong_token_cache_t *c, const char *token, size_t len, int64_t now)
{
    if (len > CONG_TOKEN_CACHE_MAX_TOKEN)
        return NULL;
    uint64_t h = keyed_hash(c->seed, token, len);
    cached_token_t *set = &c->slots[(h % c->sets) * WAYS];
    for (int w = 0; w < WAYS; w++) {
        cached_token_t *e = &set[w];
        if (e->token == NULL || e->hash != h || e->len != len || memcmp(e->token, token, len) != 0)
            continue;
        if (e->exp <= now)
            break;
        if (cong_token_cache_session_revoked(c, e->claims.sid, now)) {
            c->stats.revoked_refusals++;
            return NULL;
        }
        c->stats.hits++;
        return &e->claims;
    }
    c->stats.misses++;
    return NULL;
}

void cong_token_cache_put(cong_token_cache_t *c, const char *token, size_t len, const cong_jwt_claims_t *claims)
{
    if (len > CONG_TOKEN_CACHE_MAX_TOKEN || claims->exp <= 0)
        return;
    uint64_t h = keyed_hash(c->seed, token, len);
    cached_token_t *set = &c->slots[(h % c->sets) * WAYS], *victim = &set[0];
    for (int w = 0; w < WAYS; w++) {
        if (set[w].token == NULL) {
            victim = &set[w];
            break;
        }
        if (set[w].exp < victim->exp)
            victim = &set[w];
    }
    char *copy = malloc(len);
    if (copy == NULL)
        return;
    memcpy(copy, token, len);
    if (victim->token != NULL) {
        free(victim->token);
        c->stats.evictions++;
    }
    *victim = (cached_token_t){.hash = h, .exp = claims->exp, .len = len, .token = copy, .claims = *claims};
    c->stats.inserts++;
}

cong_token_cache_stats_t cong_token_cache_stats(const cong_token_cache_t *c)
{
    return c->stats;
}
