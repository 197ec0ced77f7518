/*
 * tools/vneid_standin/keys.h — the provider's ES256 signing keys: the current one and the one before the last
 * rotation, both published in the JWKS so that tokens signed before a rotation keep verifying.
 *
 * Keys are EC P-256, generated with OpenSSL EVP. The kid is the RFC 7638 JWK thumbprint, so a key keeps its kid across
 * restarts when the keys are persisted (state_dir/current.pem and previous.pem, mode 0600).
 */
#ifndef VS_KEYS_H
#define VS_KEYS_H

#include <jansson.h>

typedef struct vs_key vs_key_t;

typedef struct vs_keyring {
    vs_key_t *current;
    vs_key_t *previous; /* NULL until the first rotation */
    const char *state_dir; /* NULL: in memory only */
} vs_keyring_t;

/** Loads the keys from state_dir (when set and present), else generates a current key. 0 or a CONG_E* code. */
int vs_keyring_open(vs_keyring_t *kr, const char *state_dir);
void vs_keyring_close(vs_keyring_t *kr);
/** A new current key; the current one becomes the previous one, the previous one is dropped. */
int vs_keyring_rotate(vs_keyring_t *kr);
/** {"keys": [current, previous]} as public JWKs. NULL when out of memory. */
json_t *vs_keyring_jwks(const vs_keyring_t *kr);

const char *vs_key_kid(const vs_key_t *key);

/** Signs claims_json (a JSON object) as a compact JWS under kid (NULL: no kid). With alg and extra_header NULL this
 *  is a plain ES256 token made by auth/ (what the provider issues). Otherwise (a test's deliberate mistake) the header
 *  is extra_header plus alg (default "ES256") and kid, and the signature follows alg: "none" gives an empty
 *  signature, "HS256" an HMAC keyed with this key's public PEM (the algorithm-confusion attack), anything else an
 *  ES256 signature. Returns 0 and a malloc'd token in *out, or a CONG_E* code. */
int vs_key_sign(const vs_key_t *key, const char *alg, const char *kid, const json_t *extra_header,
                const char *claims_json, char **out);

#endif
