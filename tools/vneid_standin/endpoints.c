/*
 * tools/vneid_standin/endpoints.c — discovery, JWKS, key rotation, health, and the tests' token mint.
 */
#include "handlers.h"
#include "http.h"

#include "cong/module.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* "<issuer><path>" as a JSON string. */
static json_t *endpoint(const vs_app_t *app, const char *path)
{
    char url[1024];
    int n = snprintf(url, sizeof url, "%s%s", app->config.issuer, path);
    return n > 0 && (size_t)n < sizeof url ? json_string(url) : NULL;
}

void vs_serve_discovery(vs_app_t *app, h2o_req_t *req)
{
    json_t *doc = json_pack("{s:s, s:o, s:o, s:o}", "issuer", app->config.issuer, "authorization_endpoint",
                            endpoint(app, "/authorize"), "token_endpoint", endpoint(app, "/token"), "jwks_uri",
                            endpoint(app, "/jwks.json"));
    json_t *supported = json_pack("{s:[s], s:[s], s:[s], s:[s], s:[s], s:[s], s:[s], s:[s,s], s:[s,s]}",
                                  "response_types_supported", "code", "response_modes_supported", "query",
                                  "grant_types_supported", "authorization_code", "subject_types_supported", "public",
                                  "id_token_signing_alg_values_supported", "ES256",
                                  "token_endpoint_auth_methods_supported", "none", "code_challenge_methods_supported",
                                  "S256", "acr_values_supported", "1", "2", "scopes_supported", "openid", "profile");
    json_t *claims = json_pack("[s,s,s,s,s,s,s,s,s,s,s,s,s,s,s]", "iss", "aud", "sub", "exp", "iat", "auth_time",
                               "jti", "nonce", "acr", "amr", "name", "birthdate", "account_type", "org_tax_code",
                               "org_name");
    if (doc && (json_object_update(doc, supported) != 0 || json_object_set(doc, "claims_supported", claims) != 0)) {
        json_decref(doc);
        doc = NULL;
    }
    json_decref(supported);
    json_decref(claims);
    standin_header(req, "cache-control", "max-age=60");
    standin_reply_json(req, 200, doc);
}

void vs_serve_jwks(vs_app_t *app, h2o_req_t *req)
{
    standin_header(req, "cache-control", "max-age=60");
    standin_reply_json(req, 200, vs_keyring_jwks(&app->keys));
}

void vs_serve_rotate(vs_app_t *app, h2o_req_t *req)
{
    if (!standin_peer_is_loopback(req)) {
        standin_reply_text(req, 403, "key rotation is allowed from this machine only\n");
        return;
    }
    char old_kid[64];
    snprintf(old_kid, sizeof old_kid, "%s", vs_key_kid(app->keys.current));
    if (vs_keyring_rotate(&app->keys) != CONG_OK) {
        vs_reply_oauth_error(req, 503, "server_error", "the new key could not be generated or saved");
        return;
    }
    const char *kid = vs_key_kid(app->keys.current);
    fprintf(stderr, "vneid-standin: signing key rotated: kid %s, previous %s\n", kid, old_kid);
    standin_reply_json(req, 200, json_pack("{s:s, s:s}", "kid", kid, "previous_kid", old_kid));
}

void vs_serve_healthz(vs_app_t *app, h2o_req_t *req)
{
    (void)app;
    standin_reply_text(req, 200, "ok\n");
}

/* The body's controls, which are not claims: which key signs, and the header's alg/kid/extra members. */
typedef struct mint_options {
    const vs_key_t *key;
    const char *kid; /* NULL: no kid */
    const char *alg; /* NULL: a normal ES256 token */
    const json_t *header;
} mint_options_t;

static const char *read_options(const vs_app_t *app, const json_t *body, mint_options_t *o)
{
    const json_t *sign_with = json_object_get(body, "sign_with");
    o->key = app->keys.current;
    if (sign_with && !json_is_string(sign_with))
        return "sign_with must be \"current\" or \"previous\"";
    if (sign_with && strcmp(json_string_value(sign_with), "previous") == 0)
        o->key = app->keys.previous;
    else if (sign_with && strcmp(json_string_value(sign_with), "current") != 0)
        return "sign_with must be \"current\" or \"previous\"";
    if (!o->key)
        return NULL; /* no previous key yet: the caller answers 409 */
    const json_t *kid = json_object_get(body, "kid"), *alg = json_object_get(body, "alg");
    o->header = json_object_get(body, "header");
    if (kid && !json_is_string(kid) && !json_is_null(kid))
        return "kid must be a string or null (no kid)";
    if (alg && !json_is_string(alg))
        return "alg must be a string";
    if (o->header && !json_is_object(o->header))
        return "header must be an object";
    o->kid = !kid ? vs_key_kid(o->key) : json_string_value(kid); /* NULL for null */
    o->alg = json_string_value(alg);
    return NULL;
}

static int is_option(const char *name)
{
    return strcmp(name, "sign_with") == 0 || strcmp(name, "kid") == 0 || strcmp(name, "alg") == 0 ||
           strcmp(name, "header") == 0;
}

/* Default claims, then the body's: a claim set to null is removed. */
static json_t *mint_claims(const vs_app_t *app, json_t *body)
{
    int64_t now = (int64_t)time(NULL);
    json_t *claims = vs_id_token_claims(app, &vs_citizens[0], NULL, 2, NULL, now, now);
    const char *name;
    json_t *value;
    json_object_foreach(body, name, value)
    {
        if (!claims || is_option(name))
            continue;
        if (json_is_null(value))
            json_object_del(claims, name);
        else if (json_object_set(claims, name, value) != 0) {
            json_decref(claims);
            claims = NULL;
        }
    }
    return claims;
}

void vs_serve_test_mint(vs_app_t *app, h2o_req_t *req)
{
    json_t *body = req->entity.base ? json_loadb(req->entity.base, req->entity.len, JSON_REJECT_DUPLICATES, NULL)
                                    : json_object();
    if (!json_is_object(body)) {
        json_decref(body);
        vs_reply_oauth_error(req, 400, "invalid_request", "the body must be a JSON object of claims");
        return;
    }
    mint_options_t options;
    const char *problem = read_options(app, body, &options);
    json_t *claims = problem || !options.key ? NULL : mint_claims(app, body);
    char *text = claims ? json_dumps(claims, JSON_COMPACT) : NULL, *token = NULL;
    int rc = text ? vs_key_sign(options.key, options.alg, options.kid, options.header, text, &token) : CONG_ENOMEM;
    if (problem)
        vs_reply_oauth_error(req, 400, "invalid_request", problem);
    else if (!options.key)
        vs_reply_oauth_error(req, 409, "invalid_request", "there is no previous key before the first rotation");
    else if (rc != CONG_OK)
        vs_reply_oauth_error(req, 400, "invalid_request", "these claims could not be signed");
    else {
        standin_header(req, "cache-control", "no-store");
        standin_reply_json(req, 200, json_pack("{s:s}", "id_token", token));
    }
    free(token);
    free(text);
    json_decref(claims);
    json_decref(body);
}
