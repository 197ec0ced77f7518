/*
 * auth/auth.h — token verification and signing for cong.
 *
 * JWTs (RFC 7519) in JWS compact form. Verification is done here with OpenSSL EVP over keys loaded once — never with a
 * key parsed per token. The algorithm is pinned by the key: an ES256 key verifies only "alg":"ES256" tokens, an RSA
 * key only the one of RS256/PS256 it was pinned to, so "none", HS* (there is no HMAC here at all) and algorithm
 * confusion are refused by construction. ES256 signatures are JOSE R||S (64 bytes); anything else (DER, truncated) is
 * a bad signature. RSA signatures are exactly the modulus size.
 *
 * Two ways to verify: cong_jwt_verify against one key (cong's own tokens), and cong_jwt_verify_keyset against a JWKS
 * (an OpenID provider's ID tokens), where the header's "kid" picks the key. Both run the same checks in the same order.
 *
 * Ownership: keys are created by the load functions and freed with cong_jwt_key_free; a key is immutable after load and
 * may be shared between threads. A keyset (cong_jwks_t) is immutable and reference-counted. Claims are copied into the
 * caller's cong_jwt_claims_t (fixed buffers; a claim that does not fit makes the token malformed). Nothing here logs a
 * token.
 */
#ifndef CONG_AUTH_H
#define CONG_AUTH_H

#include <stddef.h>
#include <stdint.h>

typedef struct cong_jwt_key cong_jwt_key_t;

/** The JWS algorithms cong knows. There is deliberately no "none" and no HS*. */
typedef enum cong_jwt_alg {
    CONG_JWT_ALG_ES256 = 1, /* ECDSA P-256, SHA-256, JOSE R||S signature */
    CONG_JWT_ALG_RS256,     /* RSASSA-PKCS1-v1_5, SHA-256 */
    CONG_JWT_ALG_PS256,     /* RSASSA-PSS, SHA-256, MGF1-SHA-256, salt length 32 */
} cong_jwt_alg_t;

typedef enum cong_jwt_key_kind {
    CONG_JWT_KEY_EC_P256 = 1, /* signs/verifies ES256 */
    CONG_JWT_KEY_RSA,         /* 2048..8192 bits; signs RS256 or PS256, verifies the one it is pinned to */
} cong_jwt_key_kind_t;

/** "ES256", "RS256", "PS256"; NULL for anything else. */
const char *cong_jwt_alg_name(cong_jwt_alg_t alg);
/** Exact (case-sensitive) name → algorithm. Returns 0, or CONG_EINVAL for any other name ("none", "HS256"...). */
int cong_jwt_alg_parse(const char *name, cong_jwt_alg_t *out);

/** Load an EC P-256 public key (PEM "PUBLIC KEY") for ES256. Returns 0, CONG_EINVAL (not a P-256 key), CONG_EIO. */
int cong_jwt_key_load_public_pem(const char *pem, size_t len, cong_jwt_key_t **out);
int cong_jwt_key_load_public_file(const char *path, cong_jwt_key_t **out);
/** Load a private key (PEM, unencrypted) for signing: EC P-256, or RSA of 2048..8192 bits. Returns 0, CONG_EINVAL
 *  (another kind of key, an RSA key out of range, an encrypted key), CONG_EIO. Ask the kind with cong_jwt_key_kind.
 *  A private key also verifies, with the algorithm cong_jwt_key_alg reports (ES256; RS256 for RSA). */
int cong_jwt_key_load_private_pem(const char *pem, size_t len, cong_jwt_key_t **out);
int cong_jwt_key_load_private_file(const char *path, cong_jwt_key_t **out);
void cong_jwt_key_free(cong_jwt_key_t *key);
/** Builds now the key's ES256 verification table (see cong_jwks_prepare); a no-op for other keys. NULL-safe. */
void cong_jwt_key_prepare(const cong_jwt_key_t *key);
/** The key's kind; 0 for NULL. */
cong_jwt_key_kind_t cong_jwt_key_kind(const cong_jwt_key_t *key);
/** The one algorithm this key verifies (its pin); 0 for NULL. */
cong_jwt_alg_t cong_jwt_key_alg(const cong_jwt_key_t *key);
/** 1 when the key holds a private part (may sign), else 0. */
int cong_jwt_key_is_private(const cong_jwt_key_t *key);

/** A bit for cong_jwt_policy_t.accepted_algs. */
#define CONG_JWT_ALG_BIT(alg) (1u << (unsigned)(alg))

typedef struct cong_jwt_policy {
    const cong_jwt_key_t *key; /* cong_jwt_verify: the key, which pins the algorithm (ignored by verify_keyset) */
    const char *issuer;        /* required exact "iss" */
    const char *audience;      /* required in "aud" (a string, or an array containing it) */
    int64_t clock_skew_s;      /* leeway for exp/nbf/iat */
    size_t max_token_bytes;    /* 0 = 8192 */
    unsigned accepted_algs;    /* CONG_JWT_ALG_BIT()s the deployment accepts (e.g. from config); 0 = any a key may
                                  be pinned to. A header "alg" outside it is BAD_ALGORITHM, before any key lookup */
    int require_at_jwt;        /* access tokens (RFC 9068 §4): the header's "typ" must be at+jwt (any case, with or
                                  without "application/"); absent or "JWT" is BAD_TYPE. 0: JWT or at+jwt when present */
    int key_unprivileged;      /* a token verified with policy->key, not with a keyset's key by "kid" (kid-less
                                  service tokens), may not carry "act", acr 2 or the scope "admin": PRIVILEGED */
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
    char nonce[129];   /* OpenID Connect "nonce" (at most 128 bytes), or "" */
    int64_t auth_time; /* "auth_time" (OpenID Connect; cong's access tokens carry the login's), 0 when absent; not
                          checked against now here: the gateway bounds a level-2 login's age with it */
    /* The "mandate" claim of a token acting for "sub" ("act" names the actor, RFC 8693): all empty or 0 otherwise.
     * A token with "act" and no valid "mandate" is MALFORMED; so is a "mandate" without "act". */
    char mandate_id[40];            /* "id": a UUID */
    unsigned mandate_actions;       /* "actions": CONG_MANDATE_* bits */
    char mandate_procedures[704];   /* "procedures": procedure codes, space-separated (at most 32) */
    char mandate_domains[272];      /* "domains": procedure domains, space-separated (at most 16) */
    int64_t mandate_until;          /* "until": the mandate's last second (inclusive); 0 when open-ended */
} cong_jwt_claims_t;

/** What a mandate lets its grantee do (cong_jwt_claims_t.mandate_actions). */
enum cong_mandate_action_bits {
    CONG_MANDATE_VIEW = 1u << 0,
    CONG_MANDATE_SUBMIT = 1u << 1,
    CONG_MANDATE_PAY = 1u << 2,
    CONG_MANDATE_RECEIVE_RESULT = 1u << 3,
    CONG_MANDATE_RATE = 1u << 4,
};
/** The bit of action `name` ("view", "submit", "pay", "receive_result", "rate"; exact bytes), or 0. */
unsigned cong_mandate_action_bit(const char *name, size_t len);
/** The name of one action bit, or NULL. */
const char *cong_mandate_action_name(unsigned bit);
/** 1 when `word` (len bytes) is one of the space-separated words of `list`. */
int cong_word_in_list(const char *list, const char *word, size_t len);

typedef enum cong_jwt_result {
    CONG_JWT_OK = 0,
    CONG_JWT_MALFORMED,        /* not three base64url parts, bad JSON, wrong claim types, claim too long */
    CONG_JWT_TOO_LARGE,        /* over max_token_bytes */
    CONG_JWT_BAD_ALGORITHM,    /* alg unknown ("none", HS*...), not accepted, or not the key's pinned one */
    CONG_JWT_UNSUPPORTED,      /* a "crit" header */
    CONG_JWT_BAD_SIGNATURE,
    CONG_JWT_EXPIRED,          /* exp missing or exp + skew <= now */
    CONG_JWT_NOT_YET_VALID,    /* nbf - skew > now, or iat - skew > now */
    CONG_JWT_BAD_ISSUER,
    CONG_JWT_BAD_AUDIENCE,
    CONG_JWT_UNKNOWN_KEY,      /* keyset verification: no key with the header's "kid" (refresh the keyset) */
    CONG_JWT_BAD_TYPE,         /* require_at_jwt and the header's "typ" is not at+jwt */
    CONG_JWT_PRIVILEGED,       /* key_unprivileged and the single key's token claims act, acr 2 or scope admin */
} cong_jwt_result_t;

/** Verify a compact JWS and its claims at time `now` (seconds since the epoch) with policy->key. `out` may be NULL;
 *  it is zeroed unless the result is CONG_JWT_OK. The header's "kid" is ignored: the policy's key is the only key.
 *
 *  Checks, in this order (the first failure is the result): size (max_token_bytes, default 8192) → three strict
 *  base64url parts → header JSON (duplicate members refused) → "alg" one of ES256/RS256/PS256, and in accepted_algs
 *  when that is set (else BAD_ALGORITHM) → no "crit" → "typ" JWT or at+jwt when present (else MALFORMED), at+jwt
 *  when require_at_jwt (else BAD_TYPE) → the key (here policy->key; NULL gives BAD_SIGNATURE) and its pinned
 *  algorithm equal to "alg" (else BAD_ALGORITHM) → signature → claims JSON → exp/nbf/iat with clock_skew_s → iss →
 *  aud → claim types and sizes → with key_unprivileged, no privileged claim from policy->key (else PRIVILEGED).
 *  "jku", "jwk", "x5u", "x5c" are ignored. */
cong_jwt_result_t cong_jwt_verify(const cong_jwt_policy_t *policy, const char *token, size_t len, int64_t now,
                                  cong_jwt_claims_t *out);

/* ---- JWKS keysets (RFC 7517) ---- */

/** An immutable set of public verification keys, each with its "kid" and pinned algorithm. Reference-counted with an
 *  atomic count: retain/release from any thread; the keys it lends stay valid while the caller holds a reference. */
typedef struct cong_jwks cong_jwks_t;

#define CONG_JWKS_MAX_BYTES (256 * 1024) /* largest JWKS document parsed or fetched */
#define CONG_JWKS_MAX_KEYS 64            /* largest "keys" array */
#define CONG_JWK_KID_MAX 128             /* a kid is 1..128 of [A-Za-z0-9._-] */

/** Parse a JWKS document {"keys":[...]}; every usable key is built once here (OpenSSL EVP_PKEY_fromdata).
 *
 *  A key is used when: it is an object; "kid" matches [A-Za-z0-9._-]{1,128}; "use" is absent or "sig"; "key_ops", when
 *  present, contains "verify"; it carries no private member (d, p, q, dp, dq, qi, oth, k); and it is either
 *  kty "EC" + crv "P-256" + x, y (32 bytes each, on the curve) with "alg" absent or "ES256", or kty "RSA" + n, e with
 *  2048..8192 bits, an odd e, and "alg" "RS256", "PS256" or absent (pinned to RS256). Any other key is skipped and
 *  counted (cong_jwks_skipped); a skipped key's kid is never found, so a token naming it gets CONG_JWT_UNKNOWN_KEY.
 *
 *  Returns 0 with *out holding one reference, or: CONG_ETOOBIG (over CONG_JWKS_MAX_BYTES or CONG_JWKS_MAX_KEYS keys),
 *  CONG_EPARSE (not JSON, duplicate JSON members, not an object with a "keys" array), CONG_EEXIST (two keys with the
 *  same kid: the whole set is refused), CONG_ENOTFOUND (no usable key), CONG_EINVAL, CONG_ENOMEM. */
int cong_jwks_parse(const char *json, size_t len, cong_jwks_t **out);
/** Adds a reference and returns `set` (NULL-safe). */
cong_jwks_t *cong_jwks_retain(cong_jwks_t *set);
/** Drops a reference; the last one frees the set (NULL-safe). */
void cong_jwks_release(cong_jwks_t *set);
/** Builds now the ES256 verification table of every P-256 key in `set` (auth/es256_verify.c: ~20 ms and ~150 KB per
 *  key), so that no request pays for it; without this a key's table is built on its first verification. Meant for
 *  the thread that loads a keyset, before it is installed. NULL-safe. */
void cong_jwks_prepare(const cong_jwks_t *set);
/** Number of usable keys, and of keys skipped at parse. */
size_t cong_jwks_count(const cong_jwks_t *set);
size_t cong_jwks_skipped(const cong_jwks_t *set);
/** The key with this kid (exact bytes), or NULL. Borrowed: valid while a reference to `set` is held; never free it. */
const cong_jwt_key_t *cong_jwks_find(const cong_jwks_t *set, const char *kid, size_t kid_len);
/** The i-th usable key's kid / key (document order), NULL when i is out of range. Borrowed like cong_jwks_find. */
const char *cong_jwks_kid(const cong_jwks_t *set, size_t i);
const cong_jwt_key_t *cong_jwks_key(const cong_jwks_t *set, size_t i);

/** Publish public keys as a JWKS document (for /.well-known/jwks.json or a stand-in provider). keys[i] may be a
 *  private or a public key: only its public part is written. kids[i] must match [A-Za-z0-9._-]{1,128} and be unique;
 *  algs may be NULL (each key's own cong_jwt_key_alg) or give each key's algorithm (ES256 for EC; RS256 or PS256 for
 *  RSA). Output: a malloc'd NUL-terminated compact JSON text in *out (caller frees), every key with "use":"sig" and
 *  its "alg". Returns 0, CONG_EINVAL, CONG_EEXIST (duplicate kid), CONG_ENOMEM. n may be 0 ({"keys":[]}). */
int cong_jwks_public_json(const cong_jwt_key_t *const keys[], size_t n, const char *const kids[],
                          const cong_jwt_alg_t algs[], char **out);

/** Verify like cong_jwt_verify, but the key is the keyset's key named by the header's "kid" (policy->key is ignored):
 *  a missing "kid" or one outside [A-Za-z0-9._-]{1,128} is MALFORMED; a well-formed kid not in `keyset` (or a NULL
 *  keyset) is CONG_JWT_UNKNOWN_KEY, checked before the signature; the header "alg" must equal that key's pinned
 *  algorithm (else BAD_ALGORITHM). The caller holds a reference to `keyset` for the duration of the call. */
cong_jwt_result_t cong_jwt_verify_keyset(const cong_jwt_policy_t *policy, const cong_jwks_t *keyset, const char *token,
                                         size_t len, int64_t now, cong_jwt_claims_t *out);
/** One pass over the token for a gateway that has both: the keyset's key when the header names a known, well-formed
 *  "kid"; otherwise policy->key (kid ignored), if set — else what cong_jwt_verify_keyset answers. The pinned
 *  algorithm of whichever key is used must equal the header's "alg". Same result as cong_jwt_verify_keyset followed,
 *  on MALFORMED or UNKNOWN_KEY, by cong_jwt_verify, except that the token is decoded and parsed only once. */
cong_jwt_result_t cong_jwt_verify_keyset_or_key(const cong_jwt_policy_t *policy, const cong_jwks_t *keyset,
                                                const char *token, size_t len, int64_t now, cong_jwt_claims_t *out);
/** "expired", "bad-signature"... static strings, safe to log. */
const char *cong_jwt_result_name(cong_jwt_result_t r);

/** Sign `claims_json` (a JSON object text) with ES256 under `kid` (may be NULL). Returns a malloc'd NUL-terminated
 *  token in *out (caller frees), 0 or CONG_EINVAL / CONG_ENOMEM / CONG_EIO. Same as cong_jwt_sign(key, ES256, ...):
 *  an RSA key is CONG_EINVAL. */
int cong_jwt_sign_es256(const cong_jwt_key_t *private_key, const char *kid, const char *claims_json, char **out);
/** Sign `claims_json` with `alg`, which must suit the private key: ES256 for an EC P-256 key, RS256 or PS256 for an
 *  RSA key (else CONG_EINVAL). Header {"alg":...,"typ":"JWT","kid":...} ("kid" only when non-NULL); the payload is
 *  the object re-serialised compactly (duplicate members refused). Returns 0 with a malloc'd NUL-terminated token in
 *  *out (caller frees), or CONG_EINVAL / CONG_ENOMEM / CONG_EIO with *out NULL. */
int cong_jwt_sign(const cong_jwt_key_t *private_key, cong_jwt_alg_t alg, const char *kid, const char *claims_json,
                  char **out);
/** The same with the header's "typ" given (cong's access tokens: "at+jwt", RFC 9068). CONG_EINVAL for a NULL or
 *  empty typ. */
int cong_jwt_sign_typed(const cong_jwt_key_t *private_key, cong_jwt_alg_t alg, const char *typ, const char *kid,
                        const char *claims_json, char **out);

/** base64url without padding. Encode: out must hold cong_b64url_encoded_len(n)+1 bytes; returns the length written.
 *  Decode: returns the decoded length, or -1 on a character outside the alphabet, '=' padding, or a length of 4k+1;
 *  out must hold (len*3)/4 + 1 bytes. */
size_t cong_b64url_encoded_len(size_t n);
size_t cong_b64url_encode(const unsigned char *in, size_t n, char *out);
long cong_b64url_decode(const char *in, size_t len, unsigned char *out);

/** SHA-256 of `len` bytes into `digest` (auth/sha256.c: the algorithm fetched once, one context per thread, so it is
 *  cheap enough for every request). Returns 0, or CONG_EIO. */
#define CONG_SHA256_BYTES 32
int cong_sha256(const void *data, size_t len, unsigned char digest[CONG_SHA256_BYTES]);

#endif
