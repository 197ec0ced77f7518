/*
 * auth/upstream_token.h — the token cong sends a partner's upstream service in place of the citizen's own, so the
 * partner can trust who is asking without ever seeing a cong token (gateway/upstream/proxy.c sends it).
 *
 * ES256 under cong's current signing key and its kid (auth/identity.h), so a partner verifies it with cong's
 * published JWKS and any JWT library. Claims: iss = cong's issuer, aud = the partner's name, sub = the citizen's
 * pseudonym FOR THAT PARTNER (HMAC-SHA256 of cong's subject under a key derived from cong's subject secret and the
 * partner's name: two partners holding their users' `sub` cannot join them, and neither learns cong's own subject),
 * acr, scope = the token's scopes that the partner was granted, act {"sub": the actor's pseudonym for that partner}
 * when acting for someone, client_id of an API client, jti, iat, exp = iat + CONG_UPSTREAM_TOKEN_TTL_S (≤ 60 s). An
 * anonymous caller (a public partner route) gets a token without sub.
 *
 * Reuse (cong_upstream_token_cache_*): signing is an ECDSA signature, the largest cost of a proxied request, so the
 * proxy keeps each minted token in a per-worker cache and sends it again for the same grant — same signing key (kid),
 * partner, subject, actor, API client, granted scopes, acr and cong session — for at most CONG_UPSTREAM_TOKEN_REUSE_S
 * (half its lifetime) and never later than exp - CONG_UPSTREAM_TOKEN_MARGIN_S, so a partner always receives a token
 * with at least 30 s to live. Hence `jti` names the TOKEN, not the request: several requests of one caller within
 * those seconds carry the same jti. A partner must not use it as a replay guard per request (x-request-id names the
 * request). A revoked session never gets its cached token: the authenticate phase refuses its requests before any
 * handler, hence before the proxy (gateway/authn/token_cache.h), and the session id is part of the key, so a new
 * login never shares a token with an ended one.
 *
 * Issue and pseudonym: immutable inputs, no state, any thread. A cache: one thread (its worker's), no locks.
 */
#ifndef CONG_AUTH_UPSTREAM_TOKEN_H
#define CONG_AUTH_UPSTREAM_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "identity.h"
#include "subject.h"

#define CONG_UPSTREAM_TOKEN_TTL_S 60

typedef struct cong_upstream_grant {
    const char *partner;          /* the partner's name: aud, and the pseudonyms' key */
    const char *subject;          /* cong's subject, or NULL/"" for an anonymous caller */
    const char *actor;            /* cong's subject of who acts for `subject`, or NULL */
    const char *client_id;        /* an API client's id, or NULL */
    const char *scopes;           /* the caller's token's scopes (space-separated), or NULL */
    const char *const *granted;   /* the partner's granted scopes */
    size_t granted_count;
    int loa;
} cong_upstream_grant_t;

/** The pseudonym of `subject` for `partner` (out: CONG_SUBJECT_LEN + 1 bytes). 0, CONG_EINVAL, CONG_EIO. */
int cong_upstream_pseudonym(const cong_identity_t *id, const char *partner, const char *subject, char *out);

/** Mints the token at `now` (a malloc'd string in *token; the caller frees). 0, CONG_EINVAL, CONG_ENOMEM, CONG_EIO. */
int cong_upstream_token_issue(const cong_identity_t *id, const cong_upstream_grant_t *g, int64_t now, char **token);

/* ---- reuse of minted tokens: a per-worker cache (upstream_token_cache.c) ------------------------------------------ */

#define CONG_UPSTREAM_TOKEN_REUSE_S (CONG_UPSTREAM_TOKEN_TTL_S / 2)
#define CONG_UPSTREAM_TOKEN_MARGIN_S 10

typedef struct cong_upstream_token_cache cong_upstream_token_cache_t;

/** A cache of at most `capacity` tokens (rounded up to a multiple of 4; 4-way sets, the oldest of a set replaced);
 *  NULL when out of memory. Owned by one thread; freed with cong_upstream_token_cache_free (NULL is fine). */
cong_upstream_token_cache_t *cong_upstream_token_cache_new(size_t capacity);
void cong_upstream_token_cache_free(cong_upstream_token_cache_t *c);
/**
 * The token for `g` within cong session `session` (NULL/"" when none) at `now`: the cached one while it may still be
 * reused (see above), else a new one minted with cong_upstream_token_issue and kept. *token points into the cache,
 * valid until the next call on it. A grant too large for a key is minted and not kept (*token then valid as well
 * until the next call). 0, or cong_upstream_token_issue's errors.
 */
int cong_upstream_token_cached(cong_upstream_token_cache_t *c, const cong_identity_t *id, const cong_upstream_grant_t *g,
                               const char *session, int64_t now, const char **token);

typedef struct cong_upstream_token_cache_stats {
    uint64_t hits, mints, evictions;
} cong_upstream_token_cache_stats_t;
cong_upstream_token_cache_stats_t cong_upstream_token_cache_stats(const cong_upstream_token_cache_t *c);

/** The scopes of `g->scopes` that the partner was granted, in the caller's order, into `out` (`cap` bytes; at least
 *  strlen(g->scopes) + 1 suffices). 0, or CONG_ETOOBIG. */
int cong_upstream_granted_scopes(const cong_upstream_grant_t *g, char *out, size_t cap);

#endif
