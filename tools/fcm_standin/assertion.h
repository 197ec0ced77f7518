/*
 * tools/fcm_standin/assertion.h — what Google's token endpoint checks of a service account's JWT assertion
 * (OAuth 2.0 for Server to Server Applications; RFC 7523 grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer).
 * Pure: no I/O, the time is given. Verification is auth/'s cong_jwt_verify with the account's public key (pinned to
 * RS256), so "none", HS256, ES256, PS256 and algorithm confusion are refused by construction.
 *
 * Checked, the first failure being the result: three base64url parts, JSON header and claims (duplicate members
 * refused) → alg RS256 → signature → exp (present, not passed beyond FCM_ASSERTION_SKEW_S), iat (not ahead beyond it)
 * → iss = client_email → aud = token_uri → a header "kid", when present, = private_key_id → iat present and
 * 0 < exp - iat <= 3600 → scope (space-separated) holds https://www.googleapis.com/auth/firebase.messaging or
 * https://www.googleapis.com/auth/cloud-platform.
 */
#ifndef FCM_ASSERTION_H
#define FCM_ASSERTION_H

#include "account.h"

#include <stddef.h>
#include <stdint.h>

#define FCM_ASSERTION_SKEW_S 60     /* the clock difference tolerated on exp and iat */
#define FCM_ASSERTION_MAX_LIFE_S 3600 /* Google: exp at most one hour after iat */
#define FCM_SCOPE_MESSAGING "https://www.googleapis.com/auth/firebase.messaging"
#define FCM_SCOPE_CLOUD_PLATFORM "https://www.googleapis.com/auth/cloud-platform"

typedef enum fcm_grant_result {
    FCM_GRANT_OK = 0,
    FCM_GRANT_MALFORMED,     /* not a JWS, bad JSON, claims of the wrong type or too long */
    FCM_GRANT_BAD_ALGORITHM, /* anything but RS256 */
    FCM_GRANT_BAD_SIGNATURE, /* not signed by the account's key, or a "kid" that is not its private_key_id */
    FCM_GRANT_BAD_TIME,      /* expired, issued in the future, iat missing, or valid for more than an hour */
    FCM_GRANT_BAD_ISSUER,    /* iss is not the account's client_email */
    FCM_GRANT_BAD_AUDIENCE,  /* aud is not the token URI */
    FCM_GRANT_BAD_SCOPE,     /* no scope that allows FCM */
} fcm_grant_result_t;

fcm_grant_result_t fcm_assertion_check(const fcm_account_t *account, const char *jwt, size_t len, int64_t now);

/** "bad-signature"... static strings for the log and the stats. */
const char *fcm_grant_result_name(fcm_grant_result_t r);
/** Google's "error" member: "invalid_scope" for BAD_SCOPE, else "invalid_grant". */
const char *fcm_grant_error(fcm_grant_result_t r);
/** Google's "error_description" (its wording where known; see the README). */
const char *fcm_grant_description(fcm_grant_result_t r);

#endif
