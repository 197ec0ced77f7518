/*
 * auth/identity.h — cong as a token issuer: its signing keys (current + previous, for rotation with overlap), the
 * JWKS it publishes and verifies its own tokens with, the secret that makes subjects pseudonymous (subject.h), and the
 * VNeID keys it trusts for ID tokens. Sessions and refresh tokens are the identity module's (modules/identity/).
 *
 * Built once at start (blocking: it reads files and loads VNeID's JWKS once), then immutable and shared by every
 * worker, except the VNeID source, which refreshes itself (auth/jwks_source.h).
 *
 * Access tokens (RFC 9068): ES256, header typ "at+jwt" and kid = the current key's id, claims iss, aud, sub, sid, acr,
 * scope, iat, exp, jti, auth_time for a citizen's session (the VNeID login's time, which bounds level 2's age) and
 * client_id for API clients. A key id is the first 16 characters of base64url(SHA-256(DER public key)).
 */
#ifndef CONG_AUTH_IDENTITY_H
#define CONG_AUTH_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "jwks_source.h"

#define CONG_KID_LEN 16

typedef struct cong_identity_settings {
    const char *issuer, *audience;     /* of cong's own tokens */
    const char *signing_key_file;      /* current P-256 private key (PEM) */
    const char *previous_key_file;     /* previous one, still trusted until its tokens expire; "" = none */
    const char *subject_secret_file;   /* ≥ 32 bytes of secret */
    int access_ttl_s;
    const char *vneid_issuer, *vneid_client_id, *vneid_jwks; /* jwks: https URI or file; "" = no VNeID */
    int vneid_clock_skew_s;
    int64_t vneid_refresh_ms, vneid_cooldown_ms;
} cong_identity_settings_t;

typedef struct cong_identity {
    char *issuer, *audience, *vneid_issuer, *vneid_client_id;
    cong_jwt_key_t *signing, *previous;
    char kid[CONG_KID_LEN + 1], previous_kid[CONG_KID_LEN + 1];
    cong_jwks_t *own_keys;          /* current + previous public keys, by kid */
    char *jwks_json;                /* the same, as published at /.well-known/jwks.json */
    unsigned char secret[64];
    size_t secret_len;
    int access_ttl_s, vneid_clock_skew_s;
    cong_jwks_source_t *vneid;      /* NULL when no VNeID is configured */
} cong_identity_t;

/** Loads everything. Returns 0, or CONG_E* with a one-line reason in err (never a secret). */
int cong_identity_init(cong_identity_t *id, const cong_identity_settings_t *s, char *err, size_t errlen);
void cong_identity_free(cong_identity_t *id);

/** The key id of a key (CONG_KID_LEN + 1 bytes). 0 or CONG_EIO. */
int cong_jwt_key_id(const cong_jwt_key_t *key, char *out);

/** What an access token says. sid and client_id may be NULL; auth_time 0 leaves the claim out. */
typedef struct cong_access_grant {
    const char *sub, *sid, *scope, *client_id;
    int loa;
    int64_t auth_time; /* the VNeID login behind the session */
    int64_t not_after; /* 0, or a time the token may not outlive (its session's end) */
    /* acting for `sub` (RFC 8693): "act" {"sub": actor} and the "mandate" claim (mandate_claim.h); NULL: neither */
    const char *actor, *mandate_id, *mandate_actions, *mandate_procedures, *mandate_domains;
    int64_t mandate_until; /* 0: open-ended */
} cong_access_grant_t;

/** Issues an access token (malloc'd, caller frees) at `now`, valid until min(now + access_ttl_s, not_after), which is
 *  written to *exp when exp is not NULL. 0, CONG_EINVAL (not_after not after now), CONG_ENOMEM, CONG_EIO. */
int cong_identity_issue(const cong_identity_t *id, const cong_access_grant_t *grant, int64_t now, char **token,
                        int64_t *exp);

#endif
