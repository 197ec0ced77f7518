/*
 * modules/identity — cong's sessions over HTTP, built on the module ABI alone (include/cong/module.h, 1.4).
 *
 *   POST   /v1/auth/vneid/exchange   VNeID ID token → cong access token + refresh token + session (exchange.c)
 *   POST   /v1/auth/refresh          rotate the refresh token (an already-rotated one revokes the session, but for a
 *                                    retry within the grace; refresh.c)
 *   POST   /v1/auth/logout           end the caller's session everywhere (a client-credentials token has none: 400)
 *   GET    /v1/me                    the caller
 *   GET    /v1/me/sessions           the caller's sessions (devices)
 *   DELETE /v1/me/sessions/{sid}     end one of them
 *   POST   /v1/auth/token            OAuth 2.0 client credentials (RFC 6749 §4.4) for businesses and partners
 *                                    (client_token.c)
 *   GET    /.well-known/jwks.json, /.well-known/openid-configuration
 *
 * Durable state is in Redis (session_scripts.h); revocations go through api->session_revoke, so every instance
 * refuses the session's tokens at once. The discovery documents stay here although the keys they publish are the
 * gateway's (api->auth_settings gives their JWKS): openid-configuration describes this module's token endpoint and
 * grants, and both keep the routes' rate-limit class and listeners. The gateway verifies VNeID's ID tokens and signs
 * access tokens (api->idp_verify, token_issue): citizen numbers and keys never reach this module.
 */
#include "identity.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "session_scripts.h"

const cong_api_t *cong_idm_api;
const cong_auth_settings_t *cong_idm_settings;

#define api cong_idm_api /* this module's short name for its API table, as in every module */

int64_t cong_idm_now(void)
{
    return (int64_t)time(NULL);
}

void cong_idm_store_down(cong_req_t *req)
{
    api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
}

int cong_idm_eval(cong_req_t *req, const char *script, int nargs, const char *const *args, cong_redis_cb cb, void *ud)
{
    const char *argv[3 + 8] = {"EVAL", script, "0"};
    size_t argvlen[3 + 8];
    if (nargs < 0 || nargs > 8)
        return CONG_EINVAL;
    for (int i = 0; i < nargs; i++)
        argv[3 + i] = args[i];
    for (int i = 0; i < 3 + nargs; i++)
        argvlen[i] = strlen(argv[i]);
    return api->redis_command(req, 3 + nargs, argv, argvlen, cb, ud);
}

int64_t cong_idm_session_end(int64_t created, int64_t now)
{
    int64_t end = created + cong_idm_settings->session_lifetime_s;
    int64_t idle_end = now + cong_idm_settings->session_idle_timeout_s;
    return end < idle_end ? end : idle_end;
}

char *cong_idm_token_answer(cong_req_t *req, const cong_idm_session_t *s, const char *refresh, int64_t now,
                            const json_t *extra, size_t *len)
{
    cong_token_grant_t grant = {.size = sizeof grant, .subject = s->subject, .session_id = s->sid, .scope = "citizen",
                                .loa = s->loa, .auth_time = s->auth_time,
                                .not_after = cong_idm_session_end(s->created, now)};
    char *access = NULL, *text = NULL, *copy = NULL;
    long long exp = 0;
    if (api->token_issue(req, &grant, &access, &exp) != 0)
        return NULL;
    json_t *body = json_pack("{s:s, s:s, s:I, s:s, s:s}", "access_token", access, "token_type", "Bearer",
                             "expires_in", (json_int_t)(exp - now), "refresh_token", refresh, "session_id", s->sid);
    if (body != NULL && extra != NULL)
        json_object_update(body, (json_t *)extra);
    text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text != NULL) {
        *len = strlen(text);
        copy = api->req_alloc(req, *len + 1);
        memcpy(copy, text, *len + 1);
        OPENSSL_cleanse(text, *len);
    }
    OPENSSL_cleanse(access, strlen(access));
    free(text);
    return copy;
}

void cong_idm_reply_answer(cong_req_t *req, const char *answer, size_t len)
{
    api->reply_header(req, "cache-control", "no-store");
    api->reply_text(req, 200, "application/json", answer, len);
}

/* ---- revocation ---- */

static void on_revoked(cong_req_t *req, int err, void *udata)
{
    int status = *(const int *)udata; /* the reply when done */
    if (err != 0 && status < 400)
        cong_idm_store_down(req);
    else if (status == 204)
        api->reply_text(req, 204, NULL, NULL, 0);
    else
        api->reply_problem(req, 401, "invalid-token", "Phiên đăng nhập đã bị thu hồi.",
                           "The session has been revoked.");
}

void cong_idm_revoke_then_reply(cong_req_t *req, const char *sid, int status)
{
    int *reply = api->req_alloc(req, sizeof *reply);
    if (reply == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    *reply = status;
    if (api->session_revoke(req, sid, on_revoked, reply) != 0)
        cong_idm_store_down(req);
}

/* ---- POST /v1/auth/logout, DELETE /v1/me/sessions/{sid} ----
 * Recorded first ('auth.session_revoke', audit.c), then deleted and revoked: PostgreSQL down → 503, nothing done. */

typedef struct ending {
    const char *sid;
    char *object; /* "session:<sid>" */
} ending_t;

static int is_mine(cong_req_t *req, const char *sid)
{
    const char *mine = api->req_principal(req)->session_id;
    return mine != NULL && strcmp(mine, sid) == 0;
}

static void on_deleted(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    const ending_t *e = udata;
    if (err != 0 || api->redis_type(reply) != CONG_REDIS_INTEGER) {
        cong_idm_store_down(req);
        return;
    }
    if (api->redis_integer(reply) == 0 && !is_mine(req, e->sid)) {
        api->reply_problem(req, 404, "not-found", "Không có phiên này.", "No such session.");
        return;
    }
    cong_idm_revoke_then_reply(req, e->sid, 204);
}

static void on_recorded(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    ending_t *e = udata;
    if (err != 0 || api->pg_ntuples(res) != 1) {
        cong_idm_store_down(req);
        return;
    }
    const char *args[] = {e->sid, api->req_principal(req)->subject};
    if (cong_idm_eval(req, CONG_LUA_SESSION_DELETE, 2, args, on_deleted, e) != 0)
        cong_idm_store_down(req);
}

static void record_ending(cong_req_t *req, ending_t *e)
{
    const char *detail = is_mine(req, e->sid) ? "{\"reason\":\"logout\"}" : "{\"reason\":\"session_delete\"}";
    if (cong_idm_audit(req, api->req_principal(req)->subject, "auth.session_revoke", e->object, detail, on_recorded,
                       e) != 0)
        cong_idm_store_down(req);
}

/* Another of my sessions: is it mine at all (no record for a session id someone made up)? */
static void on_member(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    if (err != 0 || api->redis_type(reply) != CONG_REDIS_INTEGER) {
        cong_idm_store_down(req);
        return;
    }
    if (api->redis_integer(reply) == 0) {
        api->reply_problem(req, 404, "not-found", "Không có phiên này.", "No such session.");
        return;
    }
    record_ending(req, udata);
}

static void delete_session(cong_req_t *req, const char *sid)
{
    const cong_principal_t *p = api->req_principal(req);
    ending_t *e = api->req_alloc(req, sizeof *e);
    char *copy = api->req_alloc(req, strlen(sid) + 1), *object = api->req_alloc(req, strlen(sid) + 9);
    if (e == NULL || copy == NULL || object == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    memcpy(copy, sid, strlen(sid) + 1);
    sprintf(object, "session:%s", copy);
    e->sid = copy;
    e->object = object;
    if (is_mine(req, copy)) /* one's own session is ended even when its record has gone already */
        return record_ending(req, e);
    char key[16 + CONG_IDM_SUBJECT_MAX + 1];
    snprintf(key, sizeof key, "cong:sessions:%s", p->subject);
    const char *argv[] = {"SISMEMBER", key, copy};
    size_t argvlen[] = {9, strlen(key), strlen(copy)};
    if (api->redis_command(req, 3, argv, argvlen, on_member, e) != 0)
        cong_idm_store_down(req);
}

/* A client-credentials token's "session" is its client (sid "client:<id>"): revoking it would refuse the business's
 * every token until they all expired, so it is not the caller's to end here (`cong client revoke` is). */
static int refuse_client_token(cong_req_t *req)
{
    if (api->req_principal(req)->client_id == NULL)
        return 0;
    api->reply_problem(req, 400, "bad-request",
                       "Mã truy cập của ứng dụng (client credentials) không có phiên đăng nhập để kết thúc.",
                       "A client-credentials access token has no session to end; let it expire.");
    return 1;
}

static void logout(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_principal_t *p = api->req_principal(req);
    if (refuse_client_token(req))
        return;
    if (p->session_id == NULL) {
        api->reply_problem(req, 422, "validation-failed", "Mã truy cập này không gắn với phiên nào.",
                           "This access token has no session.");
        return;
    }
    delete_session(req, p->session_id);
}

static void delete_one(cong_req_t *req, void *udata)
{
    (void)udata;
    const char *sid = api->req_path_param(req, "sid", NULL);
    if (refuse_client_token(req))
        return;
    if (sid == NULL || strlen(sid) > CONG_SESSION_ID_LEN) {
        api->reply_problem(req, 404, "not-found", NULL, NULL);
        return;
    }
    delete_session(req, sid);
}

/* ---- GET /v1/me, /v1/me/sessions ---- */

static void me(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_principal_t *p = api->req_principal(req);
    api->reply_json(req, 200, json_pack("{s:s, s:i, s:s?, s:s?, s:s}", "subject", p->subject, "loa", p->loa,
                                        "session_id", p->session_id, "client_id", p->client_id, "scope", p->scopes));
}

static void on_listed(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    (void)udata;
    if (err != 0 || api->redis_type(reply) != CONG_REDIS_ARRAY) {
        cong_idm_store_down(req);
        return;
    }
    const char *current = api->req_principal(req)->session_id;
    json_t *list = json_array();
    for (size_t i = 0; i + 1 < api->redis_elements(reply); i += 2) {
        const char *sid = api->redis_string(api->redis_element(reply, i), NULL);
        size_t len = 0;
        const char *raw = api->redis_string(api->redis_element(reply, i + 1), &len);
        cong_session_t s;
        if (sid == NULL || raw == NULL || cong_session_decode(raw, len, &s) != 0)
            continue;
        json_array_append_new(list, json_pack("{s:s, s:{s:s, s:s, s:s}, s:I, s:I, s:i, s:b}", "session_id", sid,
                                              "device", "id", s.dev_id, "name", s.dev_name, "platform",
                                              s.dev_platform, "created", (json_int_t)s.created, "last_seen",
                                              (json_int_t)s.last_seen, "loa", s.loa, "current",
                                              current != NULL && strcmp(current, sid) == 0));
    }
    api->reply_json(req, 200, json_pack("{s:o}", "sessions", list));
}

static void my_sessions(cong_req_t *req, void *udata)
{
    (void)udata;
    const char *args[] = {api->req_principal(req)->subject};
    if (cong_idm_eval(req, CONG_LUA_SESSION_LIST, 1, args, on_listed, NULL) != 0)
        cong_idm_store_down(req);
}

/* ---- discovery ---- */

static void jwks(cong_req_t *req, void *udata)
{
    (void)udata;
    api->reply_header(req, "cache-control", "public, max-age=300");
    api->reply_text(req, 200, "application/json", cong_idm_settings->jwks_json, strlen(cong_idm_settings->jwks_json));
}

static void openid_configuration(cong_req_t *req, void *udata)
{
    (void)udata;
    char jwks_uri[512];
    char token_uri[512];
    snprintf(jwks_uri, sizeof jwks_uri, "%s/.well-known/jwks.json", cong_idm_settings->issuer);
    snprintf(token_uri, sizeof token_uri, "%s/v1/auth/token", cong_idm_settings->issuer);
    api->reply_header(req, "cache-control", "public, max-age=300");
    api->reply_json(req, 200,
                    json_pack("{s:s, s:s, s:s, s:[s], s:[s,s], s:[s], s:[s,s], s:[s,s]}", "issuer",
                              cong_idm_settings->issuer, "jwks_uri", jwks_uri, "token_endpoint", token_uri,
                              "id_token_signing_alg_values_supported", "ES256",
                              "token_endpoint_auth_methods_supported", "client_secret_post", "private_key_jwt",
                              "token_endpoint_auth_signing_alg_values_supported", "ES256",
                              "grant_types_supported", "client_credentials",
                              "urn:ietf:params:oauth:grant-type:token-exchange", "acr_values_supported", "1", "2"));
}

int cong_identity_onload(cong_module_ctx_t *ctx, const cong_api_t *a)
{
    if (a->abi_major != CONG_MODULE_ABI_MAJOR || !CONG_API_HAS(a, session_revoke))
        return CONG_EVERSION;
    api = a;
    int declared = api->declare_module(ctx, "identity", "1.1.0");
    if (declared != 0)
        return declared;
    /* its migrations: client secrets that rotate with overlap (on the gateway's table api_clients) */
    static const cong_config_key_def_t migrations_key = {sizeof(cong_config_key_def_t), "migrations_dir",
                                                         CONG_CONFIG_STRING, "modules/identity/migrations",
                                                         "the module's SQL migrations"};
    int migrations = api->register_config(ctx, &migrations_key);
    if (migrations == 0)
        migrations = api->register_migrations(ctx, api->config_get(ctx, "migrations_dir"));
    if (migrations != 0)
        return migrations;
    int command = identity_client_command_register(ctx, api); /* `cong client`, with or without a signing key */
    if (command != 0)
        return command;
    cong_idm_settings = api->auth_settings(ctx);
    if (cong_idm_settings == NULL)
        return 0; /* cong issues no tokens here: the routes do not exist */
    static const struct {
        const char *method, *path, *operation_id;
        cong_handler_fn handler;
        int auth;
    } routes[] = {
        {"POST", "/v1/auth/vneid/exchange", "exchangeVneidToken", cong_idm_exchange, CONG_AUTH_NONE},
        {"POST", "/v1/auth/refresh", "refreshSession", cong_idm_refresh, CONG_AUTH_NONE},
        {"POST", "/v1/auth/logout", "logout", logout, CONG_AUTH_REQUIRED},
        {"GET", "/v1/me", "getMe", me, CONG_AUTH_REQUIRED},
        {"GET", "/v1/me/sessions", "listMySessions", my_sessions, CONG_AUTH_REQUIRED},
        {"DELETE", "/v1/me/sessions/{sid}", "deleteMySession", delete_one, CONG_AUTH_REQUIRED},
        {"POST", "/v1/auth/token", "issueClientToken", cong_idm_client_token, CONG_AUTH_NONE},
        {"GET", "/.well-known/jwks.json", "getJwks", jwks, CONG_AUTH_NONE},
        {"GET", "/.well-known/openid-configuration", "getOpenIdConfiguration", openid_configuration, CONG_AUTH_NONE},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        cong_route_def_t def = {.size = sizeof def, .method = routes[i].method, .path = routes[i].path,
                                .handler = routes[i].handler, .auth = routes[i].auth,
                                .rate_limit_class = strncmp(routes[i].path, "/v1/auth/", 9) == 0 ? "auth" : "default",
                                .operation_id = routes[i].operation_id};
        int rc = api->register_route(ctx, &def);
        if (rc != 0)
            return rc;
    }
    return 0;
}
