/*
 * modules/identity/client_assertion.h — private_key_jwt client authentication (RFC 7523 §2.2, OpenID Connect Core
 * §9): instead of a secret, a client signs a short-lived JWT with its own key, whose public half it registered with
 * `cong client set-key`. Pure (jansson and OpenSSL, no module API): unit-tested, and the parser is fuzzed.
 *
 * Accepted: a compact JWS, header alg ES256 (P-256, the only algorithm: no "none", no HMAC, no RSA), at most
 * CONG_IDM_ASSERTION_MAX bytes; claims iss = sub = the client id, aud the issuer or its token endpoint (a string or an
 * array holding one of them), exp in the future and at most CONG_IDM_ASSERTION_MAX_LIFETIME_S ahead, nbf/iat (when
 * present) not in the future beyond CONG_IDM_ASSERTION_SKEW_S, jti of 1..128 characters. The caller makes the jti
 * single-use (Redis SET NX until exp) after the signature and the claims pass.
 */
#ifndef CONG_MODULES_IDENTITY_CLIENT_ASSERTION_H
#define CONG_MODULES_IDENTITY_CLIENT_ASSERTION_H

#include <stddef.h>
#include <stdint.h>

#define CONG_IDM_ASSERTION_MAX 4096
#define CONG_IDM_ASSERTION_MAX_LIFETIME_S 300
#define CONG_IDM_ASSERTION_SKEW_S 30
#define CONG_IDM_ASSERTION_TYPE "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

/** What a parsed assertion says (its signature not yet checked). */
typedef struct cong_idm_assertion {
    char iss[64], sub[64], jti[129];
    char aud[2][256];  /* up to two audiences; "" for none */
    int64_t exp, nbf, iat; /* 0 when absent */
    size_t signed_len;  /* bytes of "header.payload", what the signature covers */
    unsigned char sig[64]; /* r || s */
} cong_idm_assertion_t;

/** Parses `jwt` (len bytes, not necessarily NUL-terminated). 0, or -1 when it is not an ES256 compact JWS with the
 *  claims' types right (then `out` is meaningless). */
int cong_idm_assertion_parse(const char *jwt, size_t len, cong_idm_assertion_t *out);

/** NULL when the claims are acceptable for `client_id` at `now`, with the token endpoint `endpoint` and issuer
 *  `issuer` as audiences; else why not (a short English phrase, for the log only: never shown to the client). */
const char *cong_idm_assertion_check(const cong_idm_assertion_t *a, const char *client_id, const char *issuer,
                                     const char *endpoint, int64_t now);

/** 1 when the signature of `jwt` (as parsed into `a`) verifies under `public_pem` (a PEM SubjectPublicKeyInfo, EC
 *  P-256); 0 otherwise. */
int cong_idm_assertion_verify(const char *jwt, const cong_idm_assertion_t *a, const char *public_pem);

/** 1 when `pem` is a PEM public key on P-256 (what `cong client set-key` accepts). */
int cong_idm_assertion_key_usable(const char *pem);

#endif
