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
 * Immutable inputs, no state: any thread.
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

#endif
