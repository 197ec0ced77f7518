/*
 * tools/vneid_standin/token.c — the token endpoint (RFC 6749 §4.1.3, PKCE RFC 7636 §4.6) and the ID token.
 *
 * The client is public (cong proves possession with PKCE, no secret). Every check failing on the code itself answers
 * invalid_grant; the code is burnt by its first redemption attempt, right or wrong.
 */
#include "handlers.h"
#include "http.h"

#include "form.h"

#include "auth/auth.h"
#include "cong/module.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VERIFIER_MIN 43
#define VERIFIER_MAX 128
#define ACCESS_TOKEN_BYTES 32
#define JTI_BYTES 16

json_t *vs_id_token_claims(const vs_app_t *app, const vs_citizen_t *citizen, const vs_organization_t *org, int level,
                           const char *nonce, int64_t auth_time, int64_t now)
{
    char jti[32];
    if (vs_random_b64url(JTI_BYTES, jti) != CONG_OK)
        return NULL;
    json_t *amr = level >= 2 ? json_pack("[s,s]", "pwd", "otp") : json_pack("[s]", "pwd");
    json_t *claims = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:I, s:s}", "iss", app->config.issuer,
                               "aud", app->config.client_id, "sub", citizen->id, "name", citizen->name, "birthdate",
                               citizen->birthdate, "acr", level >= 2 ? "2" : "1", "amr", amr, "auth_time",
                               (json_int_t)auth_time, "iat", (json_int_t)now, "exp",
                               (json_int_t)(now + VS_ID_TOKEN_TTL_S), "jti", jti);
    if (claims && nonce && *nonce && json_object_set_new(claims, "nonce", json_string(nonce)) != 0) {
        json_decref(claims);
        return NULL;
    }
    if (claims && org && json_object_update_new(claims, json_pack("{s:s, s:s, s:s}", "account_type", "organization",
                                                                  "org_tax_code", org->tax_code, "org_name",
                                                                  org->name)) != 0) {
        json_decref(claims);
        return NULL;
    }
    return claims;
}

/* RFC 7636 §4.1: 43 to 128 characters of [A-Za-z0-9-._~]. */
static int verifier_well_formed(const char *v)
{
    size_t n = strlen(v);
    if (n < VERIFIER_MIN || n > VERIFIER_MAX)
        return 0;
    for (; *v; v++)
        if (!((*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z') || (*v >= '0' && *v <= '9') || strchr("-._~", *v)))
            return 0;
    return 1;
}

/* BASE64URL(SHA256(verifier)) == challenge, in constant time. */
static int verifier_matches(const char *verifier, const char *challenge)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    char expected[VS_CODE_CHARS + 1];
    SHA256((const unsigned char *)verifier, strlen(verifier), digest);
    cong_b64url_encode(digest, sizeof digest, expected);
    return strlen(challenge) == VS_CODE_CHARS && CRYPTO_memcmp(expected, challenge, VS_CODE_CHARS) == 0;
}

/* The reason the grant does not fit this request (all invalid_grant), or NULL. */
static const char *check_grant(vs_code_status_t status, const vs_grant_t *g, const vs_form_t *f)
{
    switch (status) {
    case VS_CODE_OK: break;
    case VS_CODE_USED: return "the authorization code was already used";
    case VS_CODE_EXPIRED: return "the authorization code has expired";
    default: return "unknown authorization code";
    }
    if (strcmp(g->client_id, vs_form_get(f, "client_id")) != 0)
        return "the authorization code was issued to another client";
    if (strcmp(g->redirect_uri, vs_form_get(f, "redirect_uri")) != 0)
        return "redirect_uri differs from the authorization request";
    const char *verifier = vs_form_get(f, "code_verifier");
    if (!verifier_well_formed(verifier))
        return "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~";
    if (!verifier_matches(verifier, g->code_challenge))
        return "code_verifier does not match the code_challenge";
    return NULL;
}

/* {"id_token", "access_token", "token_type", "expires_in"} for a verified grant. */
static void reply_tokens(vs_app_t *app, h2o_req_t *req, const vs_grant_t *g)
{
    const vs_citizen_t *citizen = vs_citizen_find(g->citizen_id);
    const vs_organization_t *org = g->org_code[0] ? vs_organization_find(g->org_code) : NULL;
    json_t *claims = citizen && (org || !g->org_code[0])
                         ? vs_id_token_claims(app, citizen, org, g->level, g->nonce, g->auth_time, (int64_t)time(NULL))
                         : NULL;
    char *text = claims ? json_dumps(claims, JSON_COMPACT) : NULL, *id_token = NULL;
    char access_token[64];
    json_decref(claims);
    if (!text || vs_key_sign(app->keys.current, NULL, vs_key_kid(app->keys.current), NULL, text, &id_token) != 0 ||
        vs_random_b64url(ACCESS_TOKEN_BYTES, access_token) != CONG_OK) {
        vs_reply_oauth_error(req, 500, "server_error", "the ID token could not be made");
    } else {
        standin_header(req, "cache-control", "no-store");
        standin_header(req, "pragma", "no-cache");
        standin_reply_json(req, 200, json_pack("{s:s, s:s, s:s, s:i}", "id_token", id_token, "access_token",
                                               access_token, "token_type", "Bearer", "expires_in", VS_ID_TOKEN_TTL_S));
    }
    OPENSSL_cleanse(access_token, sizeof access_token);
    free(id_token);
    free(text);
}

static void exchange(vs_app_t *app, h2o_req_t *req, const vs_form_t *f)
{
    static const char *const required[] = {"grant_type", "code", "redirect_uri", "client_id", "code_verifier"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        if (!vs_form_get(f, required[i])) {
            char reason[64];
            snprintf(reason, sizeof reason, "%s is missing", required[i]);
            vs_reply_oauth_error(req, 400, "invalid_request", reason);
            return;
        }
    }
    if (strcmp(vs_form_get(f, "grant_type"), "authorization_code") != 0) {
        vs_reply_oauth_error(req, 400, "unsupported_grant_type", "only authorization_code is supported");
        return;
    }
    if (strcmp(vs_form_get(f, "client_id"), app->config.client_id) != 0) {
        vs_reply_oauth_error(req, 401, "invalid_client", "unknown client_id");
        return;
    }
    vs_grant_t grant = {0};
    vs_code_status_t status = vs_codes_redeem(&app->codes, vs_form_get(f, "code"), (int64_t)time(NULL), &grant);
    const char *reason = check_grant(status, &grant, f);
    if (reason)
        vs_reply_oauth_error(req, 400, "invalid_grant", reason);
    else
        reply_tokens(app, req, &grant);
    OPENSSL_cleanse(&grant, sizeof grant);
}

void vs_serve_token(vs_app_t *app, h2o_req_t *req)
{
    if (!standin_content_type_is(req, "application/x-www-form-urlencoded")) {
        vs_reply_oauth_error(req, 400, "invalid_request", "the body must be application/x-www-form-urlencoded");
        return;
    }
    vs_form_t form;
    vs_form_result_t parsed = vs_form_parse(req->entity.base ? req->entity.base : "", req->entity.len, &form);
    if (parsed == VS_FORM_OK)
        exchange(app, req, &form);
    else
        vs_reply_oauth_error(req, 400, "invalid_request",
                             parsed == VS_FORM_DUPLICATE ? "a parameter is repeated" : "malformed form body");
    vs_form_free(&form);
}
