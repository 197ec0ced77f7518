/*
 * modules/identity/exchange.c — POST /v1/auth/vneid/exchange: a VNeID ID token becomes a cong session, an access
 * token and a refresh token.
 *
 * The gateway verifies the ID token (api->idp_verify: VNeID's keys are the gateway's, and it waits for them after
 * VNeID rotates) and hands over the person's pseudonymous subject: the citizen number never reaches this module.
 * The login ('auth.login', or 'auth.step_up' for a level-2 login of someone who has a session already) is written to
 * the audit log before the session is stored (audit.c): PostgreSQL down, the exchange answers 503 and nobody is in.
 *
 * An organization account's login (org_claims.h: account_type "organization", org_tax_code, org_name) logs its legal
 * representative in — the session is the person's, as for any login — once the organization is created with them as
 * representative, or found with them as representative (SQL org_login, modules/orgs/migrations/0002_org_login.sql).
 * Registered with another representative: 403 organization-representative-mismatch; suspended: 403
 * organization-suspended; no session then. The answer carries "organization": {id, code, name, subject, created}.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "org_claims.h"
#include "session_scripts.h"

#define api cong_idm_api

static const char *bounded_string(json_t *obj, const char *key, size_t max)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s != NULL && strlen(s) < max ? s : NULL;
}

static void refuse(cong_req_t *req)
{
    api->reply_header(req, "www-authenticate", "Bearer realm=\"cong\", error=\"invalid_token\"");
    api->reply_problem(req, 401, "invalid-token", "Mã định danh VNeID không hợp lệ hoặc đã hết hạn.",
                       "The VNeID ID token is invalid or has expired.");
}

/* ---- the session ---- */

typedef struct created {
    cong_idm_session_t s;
    char refresh[CONG_REFRESH_TOKEN_LEN + 1];
    char object[8 + CONG_SESSION_ID_LEN + 1]; /* "session:<sid>", what the audit record names */
    json_t *device;                           /* the request's (borrowed) */
    cong_idm_org_claims_t org;                /* organization 0 for a citizen's own account */
    char org_id[40];                          /* the organization's id, once org_login answered */
    int org_created;
} created_t;

/* {"organization": {...}} for the answer of an organization login, or NULL (new reference). */
static json_t *organization_member(const created_t *c)
{
    if (!c->org.organization)
        return NULL;
    char subject[48];
    snprintf(subject, sizeof subject, "org:%s", c->org_id);
    return json_pack("{s:{s:s, s:s, s:s, s:s, s:b}}", "organization", "id", c->org_id, "code", c->org.tax_code,
                     "name", c->org.name, "subject", subject, "created", c->org_created);
}

static void on_session_created(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    created_t *c = udata;
    size_t len = 0;
    char *answer = NULL;
    if (err != 0 || api->redis_type(reply) == CONG_REDIS_ERROR)
        cong_idm_store_down(req);
    else {
        json_t *extra = organization_member(c);
        answer = cong_idm_token_answer(req, &c->s, c->refresh, cong_idm_now(), extra, &len);
        json_decref(extra);
        if (answer == NULL)
            api->reply_problem(req, 500, "internal-error", NULL, NULL);
        else
            cong_idm_reply_answer(req, answer, len);
    }
    OPENSSL_cleanse(c->refresh, sizeof c->refresh);
    if (answer != NULL)
        OPENSSL_cleanse(answer, len);
}

static void copy_device(json_t *device, cong_session_t *s)
{
    const char *v;
    if (device != NULL && (v = bounded_string(device, "id", sizeof s->dev_id)) != NULL)
        snprintf(s->dev_id, sizeof s->dev_id, "%s", v);
    if (device != NULL && (v = bounded_string(device, "name", sizeof s->dev_name)) != NULL)
        snprintf(s->dev_name, sizeof s->dev_name, "%s", v);
    if (device != NULL && (v = bounded_string(device, "platform", sizeof s->dev_platform)) != NULL)
        snprintf(s->dev_platform, sizeof s->dev_platform, "%s", v);
}

/* The login is recorded: store the new session (its record lives until the first of its lifetime, idle timeout and
 * refresh lifetime). */
static void store_session(cong_req_t *req, created_t *c)
{
    int64_t now = c->s.created;
    cong_session_t s = {.created = now, .last_seen = now, .loa = c->s.loa, .gen = 1, .auth_time = c->s.auth_time};
    snprintf(s.sub, sizeof s.sub, "%s", c->s.subject);
    copy_device(c->device, &s);
    cong_refresh_token_hash(c->refresh, strlen(c->refresh), s.rt);
    char *record = NULL, ttl[24], lifetime[24];
    size_t record_len = 0;
    if (cong_session_encode(&s, &record, &record_len) != 0) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    int64_t end = cong_idm_session_end(now, now), life = end - now;
    snprintf(ttl, sizeof ttl, "%lld",
             (long long)(life < cong_idm_settings->refresh_ttl_s ? life : cong_idm_settings->refresh_ttl_s));
    snprintf(lifetime, sizeof lifetime, "%d", cong_idm_settings->session_lifetime_s);
    const char *argv[] = {"EVAL", CONG_LUA_SESSION_CREATE, "0", c->s.sid, record, c->s.subject, s.rt, ttl, lifetime};
    size_t argvlen[] = {4, strlen(CONG_LUA_SESSION_CREATE), 1, strlen(c->s.sid), record_len, strlen(c->s.subject),
                        strlen(s.rt), strlen(ttl), strlen(lifetime)};
    int rc = api->redis_command(req, 9, argv, argvlen, on_session_created, c);
    free(record);
    if (rc != 0)
        cong_idm_store_down(req);
}

static void on_recorded(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    created_t *c = udata;
    if (err != 0 || api->pg_ntuples(res) != 1) {
        cong_idm_store_down(req); /* no session without its record */
        OPENSSL_cleanse(c->refresh, sizeof c->refresh);
        return;
    }
    store_session(req, c);
}

/* How many sessions the person has already: a level-2 login then is a step-up. Recorded before the session exists. */
static void on_counted(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    created_t *c = udata;
    if (err != 0 || api->redis_type(reply) != CONG_REDIS_INTEGER) {
        cong_idm_store_down(req);
        OPENSSL_cleanse(c->refresh, sizeof c->refresh);
        return;
    }
    int step_up = c->s.loa == 2 && api->redis_integer(reply) > 0;
    char detail[96];
    if (c->org.organization)
        snprintf(detail, sizeof detail, "{\"loa\":%d,\"organization\":\"org:%s\"}", c->s.loa, c->org_id);
    else
        snprintf(detail, sizeof detail, "{\"loa\":%d}", c->s.loa);
    if (cong_idm_audit(req, c->s.subject, step_up ? "auth.step_up" : "auth.login", c->object, detail, on_recorded,
                       c) != 0) {
        cong_idm_store_down(req);
        OPENSSL_cleanse(c->refresh, sizeof c->refresh);
    }
}

/* How many sessions the person has already (a level-2 login then is a step-up), then the record, then the session. */
static void count_sessions(cong_req_t *req, created_t *c)
{
    char key[16 + CONG_IDM_SUBJECT_MAX + 1];
    snprintf(key, sizeof key, "cong:sessions:%s", c->s.subject);
    const char *argv[] = {"SCARD", key};
    size_t argvlen[] = {5, strlen(key)};
    if (api->redis_command(req, 2, argv, argvlen, on_counted, c) != 0) {
        cong_idm_store_down(req);
        OPENSSL_cleanse(c->refresh, sizeof c->refresh);
    }
}

static void refuse_org(cong_req_t *req, created_t *c, const char *slug)
{
    OPENSSL_cleanse(c->refresh, sizeof c->refresh);
    api->reply_problem(req, 403, slug, NULL, NULL); /* the catalog's texts say what to do (gateway/http/problem.c) */
}

/* org_login's answer: the organization is the representative's (created or found), or the login is refused. */
static void on_org_login(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    created_t *c = udata;
    if (err != 0 || api->pg_ntuples(res) != 1) {
        OPENSSL_cleanse(c->refresh, sizeof c->refresh);
        if (err == CONG_EUNAVAILABLE || err == CONG_ETIMEDOUT || err == CONG_EBUSY)
            cong_idm_store_down(req);
        else /* e.g. no orgs module, so no org_login */
            api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    const char *outcome = api->pg_value(res, 0, 0);
    if (strcmp(outcome, "mismatch") == 0) {
        api->log(CONG_LOG_INFO, "identity", "request %s: organization login refused: another representative",
                 api->req_id(req));
        refuse_org(req, c, "organization-representative-mismatch");
        return;
    }
    if (strcmp(outcome, "suspended") == 0) {
        refuse_org(req, c, "organization-suspended");
        return;
    }
    snprintf(c->org_id, sizeof c->org_id, "%s", api->pg_value(res, 0, 1));
    snprintf(c->org.name, sizeof c->org.name, "%s", api->pg_value(res, 0, 2));
    c->org_created = strcmp(outcome, "created") == 0;
    count_sessions(req, c);
}

/* The identity provider vouched for `who` (valid during this call only): a session id and a refresh token; for an
 * organization account, the organization first. */
static void begin_session(cong_req_t *req, json_t *device, const cong_idp_identity_t *who,
                          const cong_idm_org_claims_t *org)
{
    created_t *c = api->req_alloc(req, sizeof *c);
    int64_t now = cong_idm_now();
    /* no "auth_time": 0, never recent enough for level 2; one in the future is clock skew: now at the latest */
    int64_t auth_time = who->auth_time < now ? who->auth_time : now;
    if (c == NULL || strlen(who->subject) > CONG_IDM_SUBJECT_MAX || cong_session_id_new(c->s.sid) != 0 ||
        cong_refresh_token_new(c->refresh) != 0) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    snprintf(c->s.subject, sizeof c->s.subject, "%s", who->subject);
    c->s.loa = who->loa;
    c->s.auth_time = auth_time > 0 ? auth_time : 0;
    c->s.created = now;
    c->device = device;
    c->org = *org;
    c->org_created = 0;
    c->org_id[0] = '\0';
    snprintf(c->object, sizeof c->object, "session:%s", c->s.sid);
    if (!org->organization) {
        count_sessions(req, c);
        return;
    }
    const char *params[] = {c->org.tax_code, c->org.name, c->s.subject, api->req_id(req)};
    int rc = api->pg_query(req, "SELECT outcome, org_id, org_name, org_status FROM org_login($1, $2, $3, $4)", 4,
                           params, on_org_login, c);
    if (rc != 0)
        on_org_login(req, rc, NULL, c);
}

/* ---- POST /v1/auth/vneid/exchange ---- */

static void on_verified(cong_req_t *req, int err, const cong_idp_identity_t *who, void *udata)
{
    (void)udata;
    if (err == CONG_EINVAL)
        refuse(req);
    else if (err == CONG_EUNAVAILABLE)
        api->reply_problem(req, 503, "service-unavailable", "Chưa lấy được khoá của VNeID.",
                           "The identity provider's keys are not available yet.");
    else if (err != 0)
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
    else {
        json_t *body = api->req_json(req);
        const char *id_token = json_string_value(json_object_get(body, "id_token"));
        cong_idm_org_claims_t org;
        /* the token verified is this very text: its organization claims are VNeID's word */
        if (cong_idm_org_claims(id_token, id_token != NULL ? strlen(id_token) : 0, &org) != 0)
            refuse(req);
        else
            begin_session(req, json_object_get(body, "device"), who, &org);
    }
}

void cong_idm_exchange(cong_req_t *req, void *udata)
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
    int rc = api->idp_verify(req, id_token, strlen(id_token), on_verified, NULL);
    if (rc != 0)
        on_verified(req, rc == CONG_ETOOBIG ? CONG_EINVAL : rc, NULL, NULL);
}
