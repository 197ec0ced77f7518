/*
 * modules/identity/client_token.c — POST /v1/auth/token: OAuth 2.0 client credentials (RFC 6749 §4.4,
 * form-encoded) for businesses and partners registered with `cong client create`. The client authenticates with its
 * secret (client_secret_post) — compared by its hash in constant time, with the one being rotated out too while a
 * rotation lasts (`cong client rotate-secret`) — or with a JWT signed by its own key (private_key_jwt, RFC 7523: the
 * key registered with `cong client set-key`, the assertion's rules in client_assertion.h, its jti single-use through
 * Redis). The gateway signs the token (api->token_issue), which carries the client, its scopes (or the narrower ones
 * asked) and sid "client:<id>", which `cong client revoke` revokes everywhere. Its "sub" is the client id, or for a
 * client of an organization the organization's subject "org:<id>" (modules/orgs/orgs.h); a suspended organization's
 * clients get none. The client's daily quota goes to Redis for the rate limiter.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_assertion.h"
#include "identity.h"

#define api cong_idm_api

typedef struct client_request {
    char client_id[64];
    char secret_hash[CONG_REFRESH_HASH_LEN + 1];
    char scope[512];
    const char *assertion_jwt;          /* private_key_jwt: the assertion (request pool), else NULL */
    cong_idm_assertion_t assertion;
    /* the client's row, copied: the PostgreSQL result ends with its callback, the jti check comes after it */
    char granted_scopes[512], quota[16], org_id[40], org_status[16];
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
        cong_idm_store_down(req);
        return;
    }
    api->reply_json(req, 200, json_pack("{s:s, s:s, s:i, s:s}", "access_token", c->access, "token_type", "Bearer",
                                        "expires_in", cong_idm_settings->access_ttl_s, "scope", c->granted));
}

/* 1 when the presented secret's digest is the client's secret, or the one being rotated out (NULL: none). Both are
 * compared, always, in constant time: the answer's timing says neither which nor whether a rotation is under way. */
static int secret_matches(const char *presented, const char *current, const char *previous)
{
    size_t n = strlen(presented);
    int now_ok = cong_secure_equal(current, strlen(current), presented, n);
    const char *other = previous != NULL ? previous : current;
    int before_ok = cong_secure_equal(other, strlen(other), presented, n);
    return now_ok | (previous != NULL && before_ok);
}

/* The token's "sub" into `out`: the client id, or the organization's subject "org:<id>" for a client of an active
 * organization. 0 when the organization is suspended (the refusal sent). */
static int token_subject(cong_req_t *req, const client_request_t *c, char *out, size_t size)
{
    if (c->org_id[0] == '\0') {
        snprintf(out, size, "%s", c->client_id);
        return 1;
    }
    if (strcmp(c->org_status, "active") != 0) {
        api->log(CONG_LOG_INFO, "identity", "request %s: client of a suspended organization", api->req_id(req));
        api->reply_header(req, "www-authenticate", "Basic realm=\"cong\"");
        api->reply_problem(req, 401, "invalid-client", "Tổ chức của ứng dụng đang bị tạm ngừng.",
                           "The client's organization is suspended.");
        return 0;
    }
    snprintf(out, size, "org:%s", c->org_id);
    return 1;
}

/* The client is authenticated: its token, within its scopes, then its quota into Redis. */
static void grant_token(cong_req_t *req, client_request_t *c)
{
    /* a client of an organization acts for it: "sub" is the organization's subject (modules/orgs/orgs.h) */
    char subject[64];
    if (!token_subject(req, c, subject, sizeof subject))
        return;
    if (c->scope[0] != '\0' && !scopes_within(c->scope, c->granted_scopes)) {
        api->reply_problem(req, 400, "invalid-scope", "Ứng dụng không được cấp phạm vi quyền này.",
                           "The client is not granted this scope.");
        return;
    }
    c->granted = c->scope[0] != '\0' ? c->scope : c->granted_scopes;
    char sid[80];
    snprintf(sid, sizeof sid, "client:%s", c->client_id);
    cong_token_grant_t grant = {.size = sizeof grant, .subject = subject, .session_id = sid, .scope = c->granted,
                                .client_id = c->client_id};
    if (api->token_issue(req, &grant, &c->access, NULL) != 0) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    /* the rate limiter enforces the client's daily quota from this key (see gateway/limits/rate_limit_redis.c) */
    char key[96];
    snprintf(key, sizeof key, "cong:client-quota:%s", c->client_id);
    const char *argv[] = {"SET", key, c->quota, "EX", "86400"};
    size_t argvlen[] = {3, strlen(key), strlen(c->quota), 2, 5};
    if (api->redis_command(req, 5, argv, argvlen, on_quota_stored, c) != 0)
        cong_idm_store_down(req);
}

/* The assertion's jti was not seen before (SET NX answered OK): it is spent now. */
static void on_jti_spent(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    if (err != 0 || api->redis_type(reply) == CONG_REDIS_ERROR) {
        cong_idm_store_down(req);
        return;
    }
    if (api->redis_type(reply) == CONG_REDIS_NIL) {
        api->log(CONG_LOG_INFO, "identity", "request %s: client assertion replayed", api->req_id(req));
        refuse_client(req);
        return;
    }
    grant_token(req, udata);
}

/* private_key_jwt: the signature under the client's key, the claims, then the jti once only (until its exp). */
static void authenticate_by_assertion(cong_req_t *req, client_request_t *c, const char *public_pem)
{
    char endpoint[512];
    snprintf(endpoint, sizeof endpoint, "%s/v1/auth/token", cong_idm_settings->issuer);
    const char *why = public_pem == NULL ? "no key registered"
                      : !cong_idm_assertion_verify(c->assertion_jwt, &c->assertion, public_pem)
                          ? "bad signature"
                          : cong_idm_assertion_check(&c->assertion, c->client_id, cong_idm_settings->issuer, endpoint,
                                                     cong_idm_now());
    if (why != NULL) {
        api->log(CONG_LOG_INFO, "identity", "request %s: client assertion refused: %s", api->req_id(req), why);
        refuse_client(req);
        return;
    }
    char key[256], ttl[24];
    /* jti is the client's text: hashed into the key, so that no client chooses Redis key bytes */
    char jti_hash[CONG_REFRESH_HASH_LEN + 1];
    cong_refresh_token_hash(c->assertion.jti, strlen(c->assertion.jti), jti_hash);
    snprintf(key, sizeof key, "cong:client-jti:%s:%s", c->client_id, jti_hash);
    snprintf(ttl, sizeof ttl, "%lld", (long long)(c->assertion.exp - cong_idm_now() + CONG_IDM_ASSERTION_SKEW_S));
    const char *argv[] = {"SET", key, "1", "NX", "EX", ttl};
    size_t argvlen[] = {3, strlen(key), 1, 2, 2, strlen(ttl)};
    if (api->redis_command(req, 6, argv, argvlen, on_jti_spent, c) != 0)
        cong_idm_store_down(req);
}

static void copy_row(client_request_t *c, const cong_pg_result_t *res)
{
    snprintf(c->granted_scopes, sizeof c->granted_scopes, "%s", api->pg_value(res, 0, 1));
    snprintf(c->quota, sizeof c->quota, "%s", api->pg_value(res, 0, 2));
    snprintf(c->org_id, sizeof c->org_id, "%s", api->pg_is_null(res, 0, 4) ? "" : api->pg_value(res, 0, 4));
    snprintf(c->org_status, sizeof c->org_status, "%s", api->pg_is_null(res, 0, 5) ? "" : api->pg_value(res, 0, 5));
}

static void on_client(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    client_request_t *c = udata;
    if (err != 0) {
        cong_idm_store_down(req);
        return;
    }
    if (api->pg_ntuples(res) != 1) {
        api->log(CONG_LOG_INFO, "identity", "request %s: client credentials refused", api->req_id(req));
        refuse_client(req);
        return;
    }
    copy_row(c, res);
    if (c->assertion_jwt != NULL) {
        authenticate_by_assertion(req, c, api->pg_is_null(res, 0, 6) ? NULL : api->pg_value(res, 0, 6));
        return;
    }
    const char *previous = !api->pg_is_null(res, 0, 3) ? api->pg_value(res, 0, 3) : NULL;
    if (!secret_matches(c->secret_hash, api->pg_value(res, 0, 0), previous)) {
        api->log(CONG_LOG_INFO, "identity", "request %s: client credentials refused", api->req_id(req));
        refuse_client(req);
        return;
    }
    grant_token(req, c);
}

/* Reads how the client authenticates: its secret, or an assertion (then client_id, if sent, must be its iss). 0 when
 * neither or both, or malformed. */
static int read_credentials(cong_req_t *req, client_request_t *c)
{
    const char *id = api->req_form_param(req, "client_id", NULL);
    const char *secret = api->req_form_param(req, "client_secret", NULL);
    const char *type = api->req_form_param(req, "client_assertion_type", NULL);
    const char *assertion = api->req_form_param(req, "client_assertion", NULL);
    if (type != NULL || assertion != NULL) {
        if (secret != NULL || type == NULL || strcmp(type, CONG_IDM_ASSERTION_TYPE) != 0 || assertion == NULL ||
            cong_idm_assertion_parse(assertion, strlen(assertion), &c->assertion) != 0 ||
            (id != NULL && strcmp(id, c->assertion.iss) != 0))
            return 0;
        c->assertion_jwt = assertion;
        snprintf(c->client_id, sizeof c->client_id, "%s", c->assertion.iss);
        return 1;
    }
    if (id == NULL || secret == NULL || strlen(id) >= sizeof c->client_id || strlen(secret) > 256)
        return 0;
    snprintf(c->client_id, sizeof c->client_id, "%s", id);
    cong_refresh_token_hash(secret, strlen(secret), c->secret_hash);
    return 1;
}

void cong_idm_client_token(cong_req_t *req, void *udata)
{
    (void)udata;
    const char *grant = api->req_form_param(req, "grant_type", NULL);
    if (grant == NULL || strcmp(grant, "client_credentials") != 0) {
        api->reply_problem(req, 400, "unsupported-grant-type", "Chỉ hỗ trợ grant_type=client_credentials (dạng form).",
                           "Only grant_type=client_credentials (form-encoded) is supported here.");
        return;
    }
    const char *scope = api->req_form_param(req, "scope", NULL);
    client_request_t *c = api->req_alloc(req, sizeof *c);
    memset(c, 0, sizeof *c);
    if (!read_credentials(req, c) || (scope != NULL && strlen(scope) >= sizeof c->scope)) {
        refuse_client(req);
        return;
    }
    snprintf(c->scope, sizeof c->scope, "%s", scope ? scope : "");
    const char *params[] = {c->client_id};
    /* the secret being rotated out counts until it expires; organization_id is modules/orgs' column */
    static const char query[] =
        "SELECT c.secret_hash, c.scopes, c.daily_quota, "
        "       CASE WHEN c.previous_secret_expires_at > now() THEN c.previous_secret_hash END, o.id, o.status, "
        "       c.public_key_pem "
        "FROM api_clients c LEFT JOIN organizations o ON o.id = c.organization_id "
        "WHERE c.client_id = $1 AND c.revoked_at IS NULL";
    int rc = api->pg_query(req, query, 1, params, on_client, c);
    if (rc != 0)
        cong_idm_store_down(req);
}
