/*
 * tools/apns_standin/apns_jwt.h — the provider authentication token (Apple's "Establishing a token-based connection
 * to APNs"): `authorization: bearer <JWT>`, ES256 over the header {"alg":"ES256","kid":<key id>} and the claims
 * {"iss":<team id>,"iat":<seconds>}, signed with the team's .p8 key, whose PUBLIC half the stand-in holds.
 *
 * A pure function of its inputs (the clock is an argument; no state): which connection refreshed its token when is
 * the server's business (conns.h). Written here on OpenSSL alone, independently of cong's auth/ (which signs what
 * this checks). Every byte it reads comes from the network: fuzzed by tests/fuzz/fuzz_apns_standin.c.
 */
#ifndef APNS_JWT_H
#define APNS_JWT_H

#include "apns_check.h"

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#define APNS_JWT_MAX 4096          /* a longer token is invalid */
#define APNS_JWT_MAX_AGE_S 3600    /* Apple refuses a token whose iat is an hour old or more */
#define APNS_JWT_FUTURE_SKEW_S 60  /* an iat further in the future than this is invalid (the stand-in's choice) */

typedef struct apns_jwt_expect {
    EVP_PKEY *key;       /* the P-256 public key (apns_jwt_load_public_key) */
    const char *key_id;  /* the header's "kid", exactly */
    const char *team_id; /* the claims' "iss", exactly */
} apns_jwt_expect_t;

typedef struct apns_jwt_info {
    int64_t iat;
    unsigned char digest[32]; /* SHA-256 of the token: what makes it "the same token" on a connection */
} apns_jwt_info_t;

/** Checks an authorization header value (NULL when absent) at time `now` (seconds). In this order: absent, or
 *  "bearer" with nothing after it → MISSING_PROVIDER_TOKEN; not "bearer <token>" (scheme in any case), over
 *  APNS_JWT_MAX, not three strict base64url parts, a header that is not a JSON object with "alg" "ES256" and "kid"
 *  the key id, a signature that is not 64 bytes R||S valid for the key, claims that are not a JSON object with "iss"
 *  the team id and an integer "iat", an iat more than APNS_JWT_FUTURE_SKEW_S ahead → INVALID_PROVIDER_TOKEN; an iat
 *  APNS_JWT_MAX_AGE_S or more behind → EXPIRED_PROVIDER_TOKEN. On OK, *info is filled. */
apns_reason_t apns_jwt_check(const apns_jwt_expect_t *expect, const char *authorization, size_t len, int64_t now,
                             apns_jwt_info_t *info);

/** The EC P-256 public key of a PEM file ("PUBLIC KEY"), or NULL (not readable, not P-256). */
EVP_PKEY *apns_jwt_load_public_key(const char *path);
/** The same from PEM text. */
EVP_PKEY *apns_jwt_public_key_from_pem(const char *pem, size_t len);

#endif
