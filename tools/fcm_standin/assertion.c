/* tools/fcm_standin/assertion.c — checking a service account's JWT assertion as Google does (see assertion.h). */
#include "assertion.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static fcm_grant_result_t from_jwt_result(cong_jwt_result_t r)
{
    switch (r) {
    case CONG_JWT_OK: return FCM_GRANT_OK;
    case CONG_JWT_BAD_ALGORITHM: return FCM_GRANT_BAD_ALGORITHM;
    case CONG_JWT_BAD_SIGNATURE:
    case CONG_JWT_UNKNOWN_KEY: return FCM_GRANT_BAD_SIGNATURE;
    case CONG_JWT_EXPIRED:
    case CONG_JWT_NOT_YET_VALID: return FCM_GRANT_BAD_TIME;
    case CONG_JWT_BAD_ISSUER: return FCM_GRANT_BAD_ISSUER;
    case CONG_JWT_BAD_AUDIENCE: return FCM_GRANT_BAD_AUDIENCE;
    default: return FCM_GRANT_MALFORMED;
    }
}

/* Whether the header's "kid", when there is one, names the account's key. The header decoded and verified already. */
static int kid_matches(const fcm_account_t *account, const char *jwt, size_t len)
{
    const char *dot = memchr(jwt, '.', len);
    size_t n = dot ? (size_t)(dot - jwt) : 0;
    unsigned char *header = malloc(n * 3 / 4 + 1);
    long decoded = header ? cong_b64url_decode(jwt, n, header) : -1;
    json_t *h = decoded > 0 ? json_loadb((const char *)header, (size_t)decoded, 0, NULL) : NULL;
    free(header);
    json_t *kid = json_object_get(h, "kid");
    int ok = json_is_object(h) &&
             (!kid || (json_is_string(kid) && account->key_id[0] && strcmp(json_string_value(kid), account->key_id) == 0));
    json_decref(h);
    return ok;
}

static int scope_allows_fcm(const char *scope)
{
    return cong_word_in_list(scope, FCM_SCOPE_MESSAGING, strlen(FCM_SCOPE_MESSAGING)) ||
           cong_word_in_list(scope, FCM_SCOPE_CLOUD_PLATFORM, strlen(FCM_SCOPE_CLOUD_PLATFORM));
}

fcm_grant_result_t fcm_assertion_check(const fcm_account_t *account, const char *jwt, size_t len, int64_t now)
{
    if (!account->key)
        return FCM_GRANT_BAD_SIGNATURE;
    const cong_jwt_policy_t policy = {
        .key = account->key,
        .issuer = account->client_email,
        .audience = account->token_uri,
        .clock_skew_s = FCM_ASSERTION_SKEW_S,
        .accepted_algs = CONG_JWT_ALG_BIT(CONG_JWT_ALG_RS256),
    };
    cong_jwt_claims_t *claims = malloc(sizeof *claims);
    if (!claims)
        return FCM_GRANT_MALFORMED;
    fcm_grant_result_t r = from_jwt_result(cong_jwt_verify(&policy, jwt, len, now, claims));
    if (r == FCM_GRANT_OK && !kid_matches(account, jwt, len))
        r = FCM_GRANT_BAD_SIGNATURE;
    if (r == FCM_GRANT_OK && (claims->iat == 0 || claims->exp <= claims->iat ||
                              claims->exp - claims->iat > FCM_ASSERTION_MAX_LIFE_S))
        r = FCM_GRANT_BAD_TIME;
    if (r == FCM_GRANT_OK && !scope_allows_fcm(claims->scope))
        r = FCM_GRANT_BAD_SCOPE;
    free(claims);
    return r;
}

const char *fcm_grant_result_name(fcm_grant_result_t r)
{
    switch (r) {
    case FCM_GRANT_OK: return "ok";
    case FCM_GRANT_MALFORMED: return "malformed";
    case FCM_GRANT_BAD_ALGORITHM: return "bad-algorithm";
    case FCM_GRANT_BAD_SIGNATURE: return "bad-signature";
    case FCM_GRANT_BAD_TIME: return "bad-time";
    case FCM_GRANT_BAD_ISSUER: return "bad-issuer";
    case FCM_GRANT_BAD_AUDIENCE: return "bad-audience";
    case FCM_GRANT_BAD_SCOPE: return "bad-scope";
    }
    return "?";
}

const char *fcm_grant_error(fcm_grant_result_t r)
{
    return r == FCM_GRANT_BAD_SCOPE ? "invalid_scope" : "invalid_grant";
}

const char *fcm_grant_description(fcm_grant_result_t r)
{
    switch (r) {
    case FCM_GRANT_OK: return "";
    case FCM_GRANT_BAD_SIGNATURE: return "Invalid JWT Signature.";
    case FCM_GRANT_BAD_TIME:
        return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your "
               "iat and exp values in the JWT claim.";
    case FCM_GRANT_BAD_ISSUER: return "Invalid grant: account not found";
    case FCM_GRANT_BAD_AUDIENCE: return "Invalid JWT: Failed audience check.";
    case FCM_GRANT_BAD_SCOPE: return "Invalid OAuth scope or ID token audience provided.";
    case FCM_GRANT_BAD_ALGORITHM: return "Invalid JWT: the signing algorithm must be RS256.";
    case FCM_GRANT_MALFORMED: return "Invalid JWT.";
    }
    return "Invalid JWT.";
}
