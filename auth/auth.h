/*
 * auth/auth.h — token verification and signing for cong.
 *
 * JWTs (RFC 7519) in JWS compact form. Verification is done here with OpenSSL EVP over keys loaded once — never with a
 * key parsed per token. The algorithm is pinned by the key: an ES256 key verifies only "alg":"ES256" tokens, so "none",
 * HS* and algorithm confusion are refused by construction. ES256 signatures are JOSE R||S (64 bytes); anything else
 * (DER, truncated) is a bad signature.
 *
 * Ownership: keys are created by the load functions and freed with cong_jwt_key_free; a key is immutable after load and
 * may be shared between threads. Claims are copied into the caller's cong_jwt_claims_t (fixed buffers; a claim that
 * does not fit makes the token malformed). Nothing here logs a token.
 */
#ifndef CONG_AUTH_H
#define CONG_AUTH_H

#include <stddef.h>
#include <stdint.h>

typedef struct cong_jwt_key cong_jwt_key_t;

/** Load an EC P-256 public key (PEM "PUBLIC KEY") for ES256. Returns 0, CONG_EINVAL (not a P-256 key), CONG_EIO. */
int cong_jwt_key_load_public_pem(const char *pem, size_t len, cong_jwt_key_t **out);
int cong_jwt_key_load_public_file(const char *path, cong_jwt_key_t **out);
/** Load an EC P-256 private key (PEM) for signing. */
int cong_jwt_key_load_private_pem(const char *pem, size_t len, cong_jwt_key_t **out);
int cong_jwt_key_load_private_file(const char *path, cong_jwt_key_t **out);
void cong_jwt_key_free(cong_jwt_key_t *key);

typedef struct cong_jwt_policy {
    const cong_jwt_key_t *key; /* pins the algorithm (ES256) */
    const char *issuer;        /* required exact "iss" */
    const char *audience;      /* required in "aud" (a string, or an array containing it) */
    int64_t clock_skew_s;      /* leeway for exp/nbf/iat */
    size_t max_token_bytes;    /* 0 = 8192 */
} cong_jwt_policy_t;

typedef struct cong_jwt_claims {
    char sub[128];
    char sid[64];
    char client_id[64];
    char act[128];     /* "act": {"sub": ...} (RFC 8693) — acting on behalf of, or "" */
    char scope[512];   /* space-separated */
    char jti[64];
    int loa;           /* from "acr": "1"/"2" or ".../loa/1|2" ending digit; 0 when absent */
    int64_t exp, nbf, iat; /* 0 when absent (exp is required) */
} cong_jwt_claims_t;

typedef enum cong_jwt_result {
    CONG_JWT_OK = 0,
    CONG_JWT_MALFORMED,        /* not three base64url parts, bad JSON, wrong claim types, claim too long */
    CONG_JWT_TOO_LARGE,        /* over max_token_bytes */
    CONG_JWT_BAD_ALGORITHM,    /* alg is not the key's (ES256) */
    CONG_JWT_UNSUPPORTED,      /* a "crit" header */
    CONG_JWT_BAD_SIGNATURE,
    CONG_JWT_EXPIRED,          /* exp missing or exp + skew <= now */
    CONG_JWT_NOT_YET_VALID,    /* nbf - skew > now, or iat - skew > now */
    CONG_JWT_BAD_ISSUER,
    CONG_JWT_BAD_AUDIENCE,
} cong_jwt_result_t;

/** Verify a compact JWS and its claims at time `now` (seconds since the epoch). `out` may be NULL. */
cong_jwt_result_t cong_jwt_verify(const cong_jwt_policy_t *policy, const char *token, size_t len, int64_t now,
                                  cong_jwt_claims_t *out);
/** "expired", "bad-signature"... static strings, safe to log. */
const char *cong_jwt_result_name(cong_jwt_result_t r);

/** Sign `claims_json` (a JSON object text) with ES256 under `kid` (may be NULL). Returns a malloc'd NUL-terminated
 *  token in *out (caller frees), 0 or CONG_EINVAL / CONG_ENOMEM / CONG_EIO. */
int cong_jwt_sign_es256(const cong_jwt_key_t *private_key, const char *kid, const char *claims_json, char **out);

/** base64url without padding. Encode: out must hold cong_b64url_encoded_len(n)+1 bytes; returns the length written.
 *  Decode: returns the decoded length, or -1 on a character outside the alphabet, '=' padding, or a length of 4k+1;
 *  out must hold (len*3)/4 + 1 bytes. */
size_t cong_b64url_encoded_len(size_t n);
size_t cong_b64url_encode(const unsigned char *in, size_t n, char *out);
long cong_b64url_decode(const char *in, size_t len, unsigned char *out);

#endif
