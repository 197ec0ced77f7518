/*
 * auth/identity_exchange.c — POST /v1/auth/vneid/exchange: a VNeID ID token becomes a cong session, an access token
 * and a refresh token.
 *
 * After VNeID adds a key, the first ID token signed with it names a kid cong's copy of the JWKS does not have yet.
 * Rather than refuse it, the exchange asks the JWKS source to refetch (auth/jwks_source.h; the cooldown still bounds
 * how often VNeID is asked) and, when that fetch starts soon enough, waits for it — at most KEY_WAIT_MS in all —
 * then verifies again. The wait is a timer on the worker's loop that watches the source's generation (bumped by the
 * refresher thread when a fetch is done), never a blocking sleep: the worker serves other requests meanwhile.
 *
 * The citizen number in the ID token's "sub" never leaves this file's verification step: it becomes the pseudonymous
 * subject at once and the claims are wiped.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/http/request.h"
#include "identity_module.h"
#include "session_scripts.h"

#define api cong_idm_api

#define KEY_WAIT_MS 2000 /* the longest an exchange waits for VNeID's keys to be refetched */
#define KEY_POLL_MS 5    /* how often a waiting exchange looks whether the refetch is done */

enum verdict { VERIFIED, REFUSED, WAIT };

static const char *bounded_string(json_t *obj, const char *key, size_t max)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s != NULL && strlen(s) < max ? s : NULL;
}

static void refuse(cong_req_t *req, cong_jwt_result_t res)
{
    api->log(CONG_LOG_INFO, "identity", "request %s: VNeID token refused (%s)", api->req_id(req),
             cong_jwt_result_name(res));
    api->reply_header(req, "www-authenticate", "Bearer realm=\"cong\", error=\"invalid_token\"");
    api->reply_problem(req, 401, "invalid-token", "Mã định danh VNeID không hợp lệ hoặc đã hết hạn.",
                       "The VNeID ID token is invalid or has expired.");
}

/* Verifies against VNeID's current keys. WAIT: the kid is unknown and a refetch that starts within `budget_ms` was
 * asked for; *generation is then the source's generation the verification saw (it moves when the refetch is done).
 * REFUSED: the answer is sent. */
static enum verdict verify_id_token(cong_req_t *req, const char *id_token, int64_t budget_ms, uint64_t *generation,
                                    cong_jwt_claims_t *claims)
{
    cong_jwks_source_t *source = cong_idm_identity->vneid;
    *generation = cong_jwks_source_generation(source); /* before current(): a set installed after this is newer */
    cong_jwks_t *keys = cong_jwks_source_current(source);
    if (keys == NULL && source != NULL && cong_jwks_source_request_refresh(source) < budget_ms)
        return WAIT; /* never loaded yet (VNeID was down at start) */
    if (keys == NULL) {
        api->reply_problem(req, 503, "service-unavailable", "Chưa lấy được khoá của VNeID.",
                           "The identity provider's keys are not available yet.");
        return REFUSED;
    }
    cong_jwt_policy_t policy = {.issuer = cong_idm_identity->vneid_issuer,
                                .audience = cong_idm_identity->vneid_client_id,
                                .clock_skew_s = cong_idm_identity->vneid_clock_skew_s, .max_token_bytes = 8192};
    cong_jwt_result_t res = cong_jwt_verify_keyset(&policy, keys, id_token, strlen(id_token), cong_idm_now(), claims);
    cong_jwks_release(keys);
    if (res == CONG_JWT_UNKNOWN_KEY && source != NULL && cong_jwks_source_request_refresh(source) < budget_ms)
        return WAIT;
    if (res != CONG_JWT_OK || claims->sub[0] == '\0') {
        refuse(req, res);
        return REFUSED;
    }
    return VERIFIED;
}

/* ---- the session ---- */

typedef struct created {
    cong_idm_session_t s;
    char refresh[CONG_REFRESH_TOKEN_LEN + 1];
} created_t;

static void on_session_created(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    created_t *c = udata;
    size_t len = 0;
    char *answer = NULL;
    if (err != 0 || api->redis_type(reply) == CONG_REDIS_ERROR)
        cong_idm_store_down(req);
    else if ((answer = cong_idm_token_answer(req, &c->s, c->refresh, cong_idm_now(), &len)) == NULL)
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
    else
        cong_idm_reply_answer(req, answer, len);
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

/* Stores the new session (its record lives until the first of its lifetime, idle timeout and refresh lifetime). */
static void create_session(cong_req_t *req, json_t *device, cong_jwt_claims_t *claims)
{
    created_t *c = api->req_alloc(req, sizeof *c);
    int64_t now = cong_idm_now();
    /* no "auth_time": 0, never recent enough for level 2; one in the future is clock skew: now at the latest */
    int64_t auth_time = claims->auth_time < now ? claims->auth_time : now;
    cong_session_t s = {.created = now, .last_seen = now, .loa = claims->loa, .gen = 1,
                        .auth_time = auth_time > 0 ? auth_time : 0};
    int rc = cong_subject_from_citizen(cong_idm_identity->secret, cong_idm_identity->secret_len, claims->sub,
                                       c->s.subject);
    OPENSSL_cleanse(claims, sizeof *claims); /* the citizen number goes no further */
    if (rc != 0 || cong_session_id_new(c->s.sid) != 0 || cong_refresh_token_new(c->refresh) != 0) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    c->s.loa = s.loa;
    c->s.auth_time = s.auth_time;
    c->s.created = now;
    snprintf(s.sub, sizeof s.sub, "%s", c->s.subject);
    copy_device(device, &s);
    cong_refresh_token_hash(c->refresh, strlen(c->refresh), s.rt);
    char *record = NULL, ttl[24], lifetime[24];
    size_t record_len = 0;
    if (cong_session_encode(&s, &record, &record_len) != 0) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    int64_t end = cong_idm_session_end(now, now), life = end - now;
    snprintf(ttl, sizeof ttl, "%lld",
             (long long)(life < cong_idm_identity->refresh_ttl_s ? life : cong_idm_identity->refresh_ttl_s));
    snprintf(lifetime, sizeof lifetime, "%d", cong_idm_identity->session_lifetime_s);
    const char *argv[] = {"EVAL", CONG_LUA_SESSION_CREATE, "0", c->s.sid, record, c->s.subject, s.rt, ttl, lifetime};
    size_t argvlen[] = {4, strlen(CONG_LUA_SESSION_CREATE), 1, strlen(c->s.sid), record_len, strlen(c->s.subject),
                        strlen(s.rt), strlen(ttl), strlen(lifetime)};
    rc = api->redis_command(req, 9, argv, argvlen, on_session_created, c);
    free(record);
    if (rc != 0)
        cong_idm_store_down(req);
}

/* ---- waiting for the keys ---- */

typedef struct key_wait {
    uv_timer_t timer;
    cong_req_t *req;       /* retained while the timer runs */
    uint64_t generation;   /* the source's generation when the kid was not found */
    uint64_t deadline_ms;  /* on the loop's clock */
} key_wait_t;

static void on_wait_closed(uv_handle_t *handle)
{
    free(handle->data);
}

static void on_wait_tick(uv_timer_t *timer);

static key_wait_t *start_wait(cong_req_t *req, uint64_t deadline_ms)
{
    key_wait_t *w = malloc(sizeof *w);
    if (w == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return NULL;
    }
    *w = (key_wait_t){.req = req, .deadline_ms = deadline_ms};
    uv_timer_init(&req->worker->loop, &w->timer);
    w->timer.data = w;
    uv_timer_start(&w->timer, on_wait_tick, KEY_POLL_MS, KEY_POLL_MS);
    cong_req_retain(req);
    return w;
}

static void finish_wait(key_wait_t *w)
{
    uv_timer_stop(&w->timer);
    cong_req_release(w->req);
    uv_close((uv_handle_t *)&w->timer, on_wait_closed);
}

/* Verifies `req`'s ID token; `w` is the wait in progress (NULL on the first attempt). Starts or continues a wait
 * when the verification asks for one, else goes on to the session. */
static void attempt(cong_req_t *req, key_wait_t *w)
{
    uv_loop_t *loop = &req->worker->loop;
    uint64_t deadline = w != NULL ? w->deadline_ms : uv_now(loop) + KEY_WAIT_MS;
    int64_t budget = deadline > uv_now(loop) ? (int64_t)(deadline - uv_now(loop)) : 0;
    json_t *body = api->req_json(req);
    cong_jwt_claims_t claims;
    uint64_t generation = 0;
    enum verdict v = verify_id_token(req, json_string_value(json_object_get(body, "id_token")), budget, &generation,
                                     &claims);
    if (v == WAIT) {
        if (w == NULL)
            w = start_wait(req, deadline);
        if (w != NULL)
            w->generation = generation;
        return;
    }
    if (v == VERIFIED)
        create_session(req, json_object_get(body, "device"), &claims);
    if (w != NULL)
        finish_wait(w);
}

static void on_wait_tick(uv_timer_t *timer)
{
    key_wait_t *w = timer->data;
    if (w->req->h2o == NULL) { /* the client left */
        finish_wait(w);
        return;
    }
    int done = cong_jwks_source_generation(cong_idm_identity->vneid) != w->generation;
    if (!done && uv_now(timer->loop) < w->deadline_ms)
        return;
    if (!done)
        w->deadline_ms = uv_now(timer->loop); /* out of time: one last look, and no further wait */
    attempt(w->req, w);
}

/* ---- POST /v1/auth/vneid/exchange ---- */

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
    attempt(req, NULL);
}
