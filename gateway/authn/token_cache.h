/*
 * gateway/authn/token_cache.h — verified bearer tokens, remembered per worker until they expire, and the session ids
 * revoked since (logout, session delete, refresh-token reuse).
 *
 * A hit costs one keyed hash of the token and one comparison of the whole token: no signature check, no store round
 * trip. A token whose session id is revoked is never served from the cache and is refused after verification too.
 * One cache per worker thread (no locks); capacity is fixed at creation (4-way set-associative, the entry closest to
 * expiry is replaced). Tokens longer than CONG_TOKEN_CACHE_MAX_TOKEN are verified every time, never cached.
 *
 * Ownership: the cache copies tokens and claims; cong_token_cache_get returns a pointer into the cache that stays
 * valid until the next insert on the same cache (use it within the request phase that asked).
 */
#ifndef CONG_GATEWAY_TOKEN_CACHE_H
#define CONG_GATEWAY_TOKEN_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"

#define CONG_TOKEN_CACHE_MAX_TOKEN 2048

typedef struct cong_token_cache cong_token_cache_t;

/** A cache of about `entries` tokens (rounded up to a multiple of 4), or NULL when out of memory. */
cong_token_cache_t *cong_token_cache_new(size_t entries);
void cong_token_cache_free(cong_token_cache_t *c);

/** The cached claims of `token` if it was verified, is not expired at `now` and its session is not revoked. */
const cong_jwt_claims_t *cong_token_cache_get(cong_token_cache_t *c, const char *token, size_t len, int64_t now);
/** Remember a verified token until claims->exp. */
void cong_token_cache_put(cong_token_cache_t *c, const char *token, size_t len, const cong_jwt_claims_t *claims);

/** Mark a session id revoked until `until` (seconds since the epoch; past the longest token lifetime). */
void cong_token_cache_revoke_session(cong_token_cache_t *c, const char *sid, int64_t until);
/** 1 if `sid` is revoked at `now`. */
int cong_token_cache_session_revoked(cong_token_cache_t *c, const char *sid, int64_t now);

typedef struct cong_token_cache_stats {
    uint64_t hits, misses, inserts, evictions, revoked_refusals;
} cong_token_cache_stats_t;
cong_token_cache_stats_t cong_token_cache_stats(const cong_token_cache_t *c);

#endif
