/*
 * The identity module (auth/): cong's sessions over HTTP, registered through the module ABI like any module.
 *
 *   POST   /v1/auth/vneid/exchange   VNeID ID token → cong access token + refresh token + session
 *   POST   /v1/auth/refresh          rotate the refresh token (an already-rotated one revokes the session)
 *   POST   /v1/auth/logout           end the caller's session everywhere
 *   GET    /v1/me                    the caller
 *   GET    /v1/me/sessions           the caller's sessions (devices)
 *   DELETE /v1/me/sessions/{sid}     end one of them
 *   POST   /v1/auth/token            OAuth 2.0 client credentials (RFC 6749 §4.4) for businesses and partners
 *   GET    /.well-known/jwks.json, /.well-known/openid-configuration
 *
 * Durable state is in Redis (auth/session_scripts.h); revocations go through gateway/revocation.h so every instance
 * refuses the session's tokens at once. Citizen numbers never leave the exchange handler's stack.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cong/module.h"
#include "gateway/module_loader.h"
#include "gateway/request.h"
#include "gateway/revocation.h"
#include "identity.h"
#include "session.h"
#include "session_scripts.h"

static const cong_api_t *api;
static const cong_identity_t *identity;

void cong_identity_module_use(const cong_identity_t *id)
{
    identity = id;
}

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

/* Until when a revoked session's tokens could still be presented: the longest access token life, plus skew. */
static int64_t revocation_until(void)
{
    return now_s() + identity->access_ttl_s + 120;
}

static void store_down(cong_req_t *req)
{
    api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
}

static int eval(cong_req_t *req, const char *script, int nargs, const char *const *args, cong_redis_cb cb, void *ud)
{
    const char *argv[8];
    size_t argvlen[8];
    char count[4];
    snprintf(count, sizeof count, "0");
    argv[0] = "EVAL";
    argv[1] = script;
    argv[2] = count;
    for (int i = 0; i < nargs && i < 5; i++)
        argv[3 + i] = args[i];
    for (int i = 0; i < 3 + nargs; i++)
        argvlen[i] = strlen(argv[i]);
    return api->redis_command(req, 3 + nargs, argv, argvlen, cb, ud);
}

/* ---- issuing tokens ---- */

typedef struct issued {
    char sid[CONG_SESSION_ID_LEN + 1];
    char refresh[CONG_REFRESH_TOKEN_LEN + 1];
    char subject[CONG_SUBJECT_LEN + 1];
    int loa;
    int status;
} issued_t;

static void reply_tokens(cong_req_t *req, issued_t *st)
{
    char *access = NULL;
    if (cong_identity_issue(identity, st->subject, st->sid, st->loa, "citizen", NULL, now_s(), &access) != 0) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    json_t *body = json_pack("{s:s, s:s, s:i, s:s, s:s}", "access_token", access, "token_type", "Bearer",
                             "expires_in", identity->access_ttl_s, "refresh_token", st->refresh, "session_id", st->sid);
    OPENSSL_cleanse(access, strlen(access));
    free(access);
    OPENSSL_cleanse(st->refresh, sizeof st->refresh);
    api->reply_json(req, st->status, body);
}

static void on_session_created(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    if (err != 0 || api->redis_type(reply) == CONG_REDIS_ERROR) {
        store_down(req);
        return;
    }
    reply_tokens(req, udata);
}

/* ---- POST /v1/auth/vneid/exchange ---- */

static const char *bounded_string(json_t *obj, const char *key, size_t max)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s != NULL && strlen(s) < max ? s : NULL;
}

static int verify_id_token(cong_req_t *req, const char *id_token, cong_jwt_claims_t *claims)
{
    cong_jwks_t *keys = identity->vneid ? cong_jwks_source_current(identity->vneid) : NULL;
    if (keys == NULL) {
        api->reply_problem(req, 503, "service-unavailable", "Chưa lấy được khoá của VNeID.",
                           "The identity provider's keys are not available yet.");
        return -1;
    }
    cong_jwt_policy_t policy = {.issuer = identity->vneid_issuer, .audience = identity->vneid_client_id,
                                .clock_skew_s = identity->vneid_clock_skew_s, .max_token_bytes = 8192};
    cong_jwt_result_t res = cong_jwt_verify_keyset(&policy, keys, id_token, strlen(id_token), now_s(), claims);
    cong_jwks_release(keys);
    if (res == CONG_JWT_UNKNOWN_KEY)
        cong_jwks_source_request_refresh(identity->vneid);
    if (res != CONG_JWT_OK || claims->sub[0] == '\0') {
        api->log(CONG_LOG_INFO, "identity", "request %s: VNeID token refused (%s)", api->req_id(req),
                 cong_jwt_result_name(res));
        api->reply_header(req, "www-authenticate", "Bearer realm=\"cong\", error=\"invalid_token\"");
        api->reply_problem(req, 401, "invalid-token", "Mã định danh VNeID không hợp lệ hoặc đã hết hạn.",
                           "The VNeID ID token is invalid or has expired.");
        return -1;
    }
    return 0;
}

static void exchange(cong_req_t *req, void *udata)
{
    (void)udata;
    json_t *body = api->req_json(req);
    const char *id_token = body ? bounded_string(body, "id_token", 8193) : NULL;
    json_t *device = body ? json_object_get(body, "device") : NULL;
    if (id_token == NULL || (device != NULL && !json_is_object(device))) {
        api->reply_problem(req, 422, "validation-failed", "Cần id_token (chuỗi) và device (đối tượng).",
                           "id_token (a string) and device (an object) are expected.");
        return;
    }
    cong_jwt_claims_t claims;
    if (verify_id_token(req, id_token, &claims) != 0)
        return;
    issued_t *st = api->req_alloc(req, sizeof *st);
    cong_session_t s = {.created = now_s(), .last_seen = now_s(), .loa = claims.loa, .gen = 1};
    int rc = cong_subject_from_citizen(identity->secret, identity->secret_len, claims.sub, st->subject);
    OPENSSL_cleanse(&claims, sizeof claims); /* the citizen number goes no further */
    if (rc != 0 || cong_session_id_new(st->sid) != 0 || cong_refresh_token_new(st->refresh) != 0) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    st->loa = s.loa;
    st->status = 200;
    snprintf(s.sub, sizeof s.sub, "%s", st->subject);
    const char *v;
    if (device != NULL && (v = bounded_string(device, "id", sizeof s.dev_id)) != NULL)
        snprintf(s.dev_id, sizeof s.dev_id, "%s", v);
    if (device != NULL && (v = bounded_string(device, "name", sizeof s.dev_name)) != NULL)
        snprintf(s.dev_name, sizeof s.dev_name, "%s", v);
    if (device != NULL && (v = bounded_string(device, "platform", sizeof s.dev_platform)) != NULL)
        snprintf(s.dev_platform, sizeof s.dev_platform, "%s", v);
    cong_refresh_token_hash(st->refresh, strlen(st->refresh), s.rt);
    char *record = NULL, ttl[16];
    size_t record_len = 0;
    if (cong_session_encode(&s, &record, &record_len) != 0) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    snprintf(ttl, sizeof ttl, "%d", identity->refresh_ttl_s);
    const char *argv[] = {"EVAL", CONG_LUA_SESSION_CREATE, "0", st->sid, record, st->subject, s.rt, ttl};
    size_t argvlen[] = {4, strlen(CONG_LUA_SESSION_CREATE), 1, strlen(st->sid), record_len, strlen(st->subject),
                        strlen(s.rt), strlen(ttl)};
    rc = api->redis_command(req, 8, argv, argvlen, on_session_created, st);
    free(record);
    if (rc != 0)
        store_down(req);
}

/* ---- revocation with the request guard ---- */

typedef struct revoke_call {
    cong_req_t *req;
    int status; /* reply when done */
} revoke_call_t;

static void on_revoked(int err, void *udata)
{
    revoke_call_t *call = udata;
    cong_req_t *req = call->req;
    if (req->h2o != NULL) {
        if (err != 0 && call->status < 400)
            store_down(req);
        else if (call->status == 204)
            api->reply_text(req, 204, NULL, NULL, 0);
        else
            api->reply_problem(req, 401, "invalid-token", "Phiên đăng nhập đã bị thu hồi.",
                               "The session has been revoked.");
    }
    cong_req_release(req);
    free(call);
}

static void revoke_then_reply(cong_req_t *req, const char *sid, int status)
{
    revoke_call_t *call = malloc(sizeof *call);
    if (call == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    *call = (revoke_call_t){req, status};
    cong_req_retain(req);
    if (cong_revocation_publish(req->worker, sid, revocation_until(), on_revoked, call) != 0) {
        cong_req_release(req);
        free(call);
        store_down(req);
    }
}

/* ---- POST /v1/auth/refresh ---- */

static void on_refreshed(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    issued_t *st = udata;
    if (err != 0 || api->redis_type(reply) != CONG_REDIS_ARRAY || api->redis_elements(reply) < 1) {
        store_down(req);
        return;
    }
    const char *outcome = api->redis_string(api->redis_element(reply, 0), NULL);
    if (outcome != NULL && strcmp(outcome, "reused") == 0 && api->redis_elements(reply) >= 2) {
        api->log(CONG_LOG_WARN, "identity", "request %s: a rotated refresh token came back; session revoked",
                 api->req_id(req));
        revoke_then_reply(req, api->redis_string(api->redis_element(reply, 1), NULL), 401);
        return;
    }
    if (outcome == NULL || strcmp(outcome, "ok") != 0 || api->redis_elements(reply) < 4) {
        api->reply_problem(req, 401, "invalid-token", "Mã làm mới không hợp lệ.", "The refresh token is invalid.");
        return;
    }
    snprintf(st->sid, sizeof st->sid, "%s", api->redis_string(api->redis_element(reply, 1), NULL));
    snprintf(st->subject, sizeof st->subject, "%s", api->redis_string(api->redis_element(reply, 2), NULL));
    st->loa = atoi(api->redis_string(api->redis_element(reply, 3), NULL));
    st->status = 200;
    reply_tokens(req, st);
}

static void refresh(cong_req_t *req, void *udata)
{
    (void)udata;
    json_t *body = api->req_json(req);
    const char *presented = body ? bounded_string(body, "refresh_token", 256) : NULL;
    if (presented == NULL) {
        api->reply_problem(req, 422, "validation-failed", "Cần refresh_token.", "refresh_token is expected.");
        return;
    }
    issued_t *st = api->req_alloc(req, sizeof *st);
    char old_hash[CONG_REFRESH_HASH_LEN + 1], new_hash[CONG_REFRESH_HASH_LEN + 1], ttl[16], now[24];
    cong_refresh_token_hash(presented, strlen(presented), old_hash);
    if (cong_refresh_token_new(st->refresh) != 0) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    cong_refresh_token_hash(st->refresh, strlen(st->refresh), new_hash);
    snprintf(ttl, sizeof ttl, "%d", identity->refresh_ttl_s);
    snprintf(now, sizeof now, "%lld", (long long)now_s());
    const char *args[] = {old_hash, new_hash, ttl, now};
    if (eval(req, CONG_LUA_SESSION_REFRESH, 4, args, on_refreshed, st) != 0)
        store_down(req);
}

/* ---- POST /v1/auth/logout, DELETE /v1/me/sessions/{sid} ---- */

static void on_deleted(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    const char *sid = udata;
    if (err != 0 || api->redis_type(reply) != CONG_REDIS_INTEGER) {
        store_down(req);
        return;
    }
    if (api->redis_integer(reply) == 0 && strcmp(api->req_principal(req)->session_id ? api->req_principal(req)->session_id : "", sid) != 0) {
        api->reply_problem(req, 404, "not-found", "Không có phiên này.", "No such session.");
        return;
    }
    revoke_then_reply(req, sid, 204);
}

static void delete_session(cong_req_t *req, const char *sid)
{
    const cong_principal_t *p = api->req_principal(req);
    char *copy = api->req_alloc(req, strlen(sid) + 1);
    memcpy(copy, sid, strlen(sid) + 1);
    const char *args[] = {copy, p->subject};
    if (eval(req, CONG_LUA_SESSION_DELETE, 2, args, on_deleted, copy) != 0)
        store_down(req);
}

static void logout(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_principal_t *p = api->req_principal(req);
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
        store_down(req);
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
    if (eval(req, CONG_LUA_SESSION_LIST, 1, args, on_listed, NULL) != 0)
        store_down(req);
}

/* ---- POST /v1/auth/token (client credentials) ---- */

typedef struct client_request {
    char client_id[64];
    char secret_hash[CONG_REFRESH_HASH_LEN + 1];
    char scope[512];
    char *access;      /* the issued token, in the request pool, sent once the quota is in Redis */
    const char *granted;
} client_request_t;

static void refuse_client(cong_req_t *req)
{
    api->reply_header(req, "www-authenticate", "Basic realm=\"cong\"");
    api->reply_problem(req, 401, "invalid-client", "Sai mã ứng dụng hoặc khoá bí mật.",
                       "Unknown client or wrong secret.");
}

/* 1 if every space-separated scope of `wanted` is in `granted`. */
static int scopes_within(const char *wanted, const char *granted)
{
    char copy[512], *save = NULL;
    snprintf(copy, sizeof copy, "%s", wanted);
    for (char *s = strtok_r(copy, " ", &save); s != NULL; s = strtok_r(NULL, " ", &save)) {
        size_t n = strlen(s);
        const char *p = granted;
        int found = 0;
        while (!found && (p = strstr(p, s)) != NULL) {
            found = (p == granted || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ');
            p += n;
        }
        if (!found)
            return 0;
    }
    return 1;
}

static void on_quota_stored(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    client_request_t *c = udata;
    if (err != 0 || api->redis_type(reply) == CONG_REDIS_ERROR) {
        store_down(req);
        return;
    }
    api->reply_json(req, 200, json_pack("{s:s, s:s, s:i, s:s}", "access_token", c->access, "token_type", "Bearer",
                                        "expires_in", identity->access_ttl_s, "scope", c->granted));
}

static void on_client(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    client_request_t *c = udata;
    if (err != 0) {
        store_down(req);
        return;
    }
    const char *stored = api->pg_ntuples(res) == 1 ? api->pg_value(res, 0, 0) : NULL;
    if (stored == NULL || !cong_secure_equal(stored, strlen(stored), c->secret_hash, strlen(c->secret_hash))) {
        api->log(CONG_LOG_INFO, "identity", "request %s: client credentials refused", api->req_id(req));
        refuse_client(req);
        return;
    }
    const char *granted = api->pg_value(res, 0, 1);
    if (c->scope[0] != '\0' && !scopes_within(c->scope, granted)) {
        api->reply_problem(req, 400, "invalid-scope", "Ứng dụng không được cấp phạm vi quyền này.",
                           "The client is not granted this scope.");
        return;
    }
    const char *scope = c->scope[0] != '\0' ? c->scope : granted;
    char sid[80], *access = NULL;
    snprintf(sid, sizeof sid, "client:%s", c->client_id);
    if (cong_identity_issue(identity, c->client_id, sid, 0, scope, c->client_id, now_s(), &access) != 0) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    size_t access_len = strlen(access), scope_len = strlen(scope);
    c->access = api->req_alloc(req, access_len + 1);
    memcpy(c->access, access, access_len + 1);
    free(access);
    char *granted_copy = api->req_alloc(req, scope_len + 1);
    memcpy(granted_copy, scope, scope_len + 1);
    c->granted = granted_copy;
    /* the rate limiter enforces the client's daily quota from this key (see gateway/rate_limit_redis.c) */
    char key[96];
    snprintf(key, sizeof key, "cong:client-quota:%s", c->client_id);
    const char *quota = api->pg_value(res, 0, 2);
    const char *argv[] = {"SET", key, quota, "EX", "86400"};
    size_t argvlen[] = {3, strlen(key), strlen(quota), 2, 5};
    if (api->redis_command(req, 5, argv, argvlen, on_quota_stored, c) != 0)
        store_down(req);
}

static void client_token(cong_req_t *req, void *udata)
{
    (void)udata;
    const char *grant = api->req_form_param(req, "grant_type", NULL);
    if (grant == NULL || strcmp(grant, "client_credentials") != 0) {
        api->reply_problem(req, 400, "unsupported-grant-type", "Chỉ hỗ trợ grant_type=client_credentials (dạng form).",
                           "Only grant_type=client_credentials (form-encoded) is supported here.");
        return;
    }
    const char *id = api->req_form_param(req, "client_id", NULL);
    const char *secret = api->req_form_param(req, "client_secret", NULL);
    const char *scope = api->req_form_param(req, "scope", NULL);
    client_request_t *c = api->req_alloc(req, sizeof *c);
    if (id == NULL || secret == NULL || strlen(id) >= sizeof c->client_id || strlen(secret) > 256 ||
        (scope != NULL && strlen(scope) >= sizeof c->scope)) {
        refuse_client(req);
        return;
    }
    snprintf(c->client_id, sizeof c->client_id, "%s", id);
    snprintf(c->scope, sizeof c->scope, "%s", scope ? scope : "");
    cong_refresh_token_hash(secret, strlen(secret), c->secret_hash);
    const char *params[] = {c->client_id};
    int rc = api->pg_query(req, "SELECT secret_hash, scopes, daily_quota FROM api_clients WHERE client_id = $1 AND revoked_at IS NULL",
                           1, params, on_client, c);
    if (rc != 0)
        store_down(req);
}

/* ---- discovery ---- */

static void jwks(cong_req_t *req, void *udata)
{
    (void)udata;
    api->reply_header(req, "cache-control", "public, max-age=300");
    api->reply_text(req, 200, "application/json", identity->jwks_json, strlen(identity->jwks_json));
}

static void openid_configuration(cong_req_t *req, void *udata)
{
    (void)udata;
    char jwks_uri[512];
    char token_uri[512];
    snprintf(jwks_uri, sizeof jwks_uri, "%s/.well-known/jwks.json", identity->issuer);
    snprintf(token_uri, sizeof token_uri, "%s/v1/auth/token", identity->issuer);
    api->reply_header(req, "cache-control", "public, max-age=300");
    api->reply_json(req, 200,
                    json_pack("{s:s, s:s, s:s, s:[s], s:[s], s:[s,s], s:[s,s]}", "issuer", identity->issuer,
                              "jwks_uri", jwks_uri, "token_endpoint", token_uri,
                              "id_token_signing_alg_values_supported", "ES256",
                              "token_endpoint_auth_methods_supported", "client_secret_post",
                              "grant_types_supported", "client_credentials",
                              "urn:ietf:params:oauth:grant-type:token-exchange", "acr_values_supported", "1", "2"));
}

int cong_identity_module_onload(cong_module_ctx_t *ctx, const cong_api_t *a)
{
    api = a;
    if (identity == NULL)
        return 0; /* no identity configured: the routes do not exist */
    static const struct {
        const char *method, *path, *operation_id;
        cong_handler_fn handler;
        int auth;
    } routes[] = {
        {"POST", "/v1/auth/vneid/exchange", "exchangeVneidToken", exchange, CONG_AUTH_NONE},
        {"POST", "/v1/auth/refresh", "refreshSession", refresh, CONG_AUTH_NONE},
        {"POST", "/v1/auth/logout", "logout", logout, CONG_AUTH_REQUIRED},
        {"GET", "/v1/me", "getMe", me, CONG_AUTH_REQUIRED},
        {"GET", "/v1/me/sessions", "listMySessions", my_sessions, CONG_AUTH_REQUIRED},
        {"DELETE", "/v1/me/sessions/{sid}", "deleteMySession", delete_one, CONG_AUTH_REQUIRED},
        {"POST", "/v1/auth/token", "issueClientToken", client_token, CONG_AUTH_NONE},
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
