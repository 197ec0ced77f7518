/*
 * modules/identity/refresh.c — POST /v1/auth/refresh: a refresh token for a new pair (access + refresh token).
 *
 * Two scripts (session_scripts.h). PEEK finds the session behind the presented token: a session past its
 * absolute lifetime or idle timeout has ended (401); a token that was already rotated either gets the answer its
 * rotation gave, when it is the immediately previous one and the rotation is less than auth.refresh_reuse_grace_s
 * old (a client retrying after a lost answer), or revokes the whole session everywhere (reuse: 401). For the current
 * token, the new pair is made and sealed under the presented token (refresh_retry.h), and ROTATE swaps it in if
 * the token is still current — else a concurrent use rotated first, and this one answers what that one did.
 *
 * Tokens are never logged; the presented one is kept only in this request's state and wiped after use.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "refresh_retry.h"
#include "session_scripts.h"

#define api cong_idm_api

#define PRESENTED_MAX 256

typedef struct refresh_call {
    char presented[PRESENTED_MAX + 1];
    char old_hash[CONG_REFRESH_HASH_LEN + 1];
    char refresh[CONG_REFRESH_TOKEN_LEN + 1]; /* the new one */
    char *answer;                             /* in the request pool */
    size_t answer_len;
} refresh_call_t;

static void wipe(refresh_call_t *c)
{
    OPENSSL_cleanse(c->presented, sizeof c->presented);
    OPENSSL_cleanse(c->refresh, sizeof c->refresh);
    if (c->answer != NULL)
        OPENSSL_cleanse(c->answer, c->answer_len);
}

static void refuse(cong_req_t *req, refresh_call_t *c, int ended)
{
    if (ended)
        api->reply_problem(req, 401, "invalid-token", "Phiên đăng nhập đã hết hạn; vui lòng đăng nhập lại.",
                           "The session has ended; log in again.");
    else
        api->reply_problem(req, 401, "invalid-token", "Mã làm mới không hợp lệ.", "The refresh token is invalid.");
    wipe(c);
}

static const char *element(const cong_redis_reply_t *reply, size_t i, size_t *len)
{
    return i < api->redis_elements(reply) ? api->redis_string(api->redis_element(reply, i), len) : NULL;
}

/* {"retry", sid, sealed} → the answer the rotation gave, again. */
static void answer_again(cong_req_t *req, refresh_call_t *c, const cong_redis_reply_t *reply)
{
    size_t sealed_len = 0, len = 0;
    const char *sid = element(reply, 1, NULL), *sealed = element(reply, 2, &sealed_len);
    char *answer = NULL;
    if (sid == NULL || sealed == NULL ||
        cong_refresh_retry_open(c->presented, sid, sealed, sealed_len, &answer, &len) != 0) {
        refuse(req, c, 0);
        return;
    }
    api->log(CONG_LOG_INFO, "identity", "request %s: a refresh retried within the grace gets its answer again",
             api->req_id(req));
    cong_idm_reply_answer(req, answer, len);
    OPENSSL_cleanse(answer, len);
    free(answer);
    wipe(c);
}

/* ---- reuse: the session is revoked at once, then recorded (audit.c: stopping a stolen session never waits for
 * PostgreSQL; a record that could not be written is logged as such) ---- */

typedef struct reuse {
    char sid[CONG_SESSION_ID_LEN + 1];
    char subject[CONG_IDM_SUBJECT_MAX + 1];
    char object[8 + CONG_SESSION_ID_LEN + 1];
} reuse_t;

static void refuse_reused(cong_req_t *req)
{
    api->reply_problem(req, 401, "invalid-token", "Phiên đăng nhập đã bị thu hồi.", "The session has been revoked.");
}

static void on_reuse_recorded(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)res, (void)udata;
    if (err != 0)
        api->log(CONG_LOG_ERROR, "identity", "request %s: a session revoked for refresh-token reuse could not be "
                 "recorded in the audit log (%s)", api->req_id(req), api->strerror(err));
    refuse_reused(req);
}

static void on_reuse_revoked(cong_req_t *req, int err, void *udata)
{
    reuse_t *r = udata;
    if (err != 0) /* this worker refuses the session already; other instances may learn it late */
        api->log(CONG_LOG_WARN, "identity", "request %s: the revocation could not be published (%s)",
                 api->req_id(req), api->strerror(err));
    if (cong_idm_audit(req, r->subject, "auth.session_revoke", r->object, "{\"reason\":\"refresh_reuse\"}",
                       on_reuse_recorded, r) != 0)
        on_reuse_recorded(req, CONG_EUNAVAILABLE, NULL, r);
}

static void revoke_reused(cong_req_t *req, const char *sid, const char *subject)
{
    reuse_t *r = api->req_alloc(req, sizeof *r);
    if (r == NULL || strlen(sid) > CONG_SESSION_ID_LEN || subject == NULL || strlen(subject) > CONG_IDM_SUBJECT_MAX) {
        cong_idm_revoke_then_reply(req, sid, 401); /* revoked all the same; nothing to name in a record */
        return;
    }
    snprintf(r->sid, sizeof r->sid, "%s", sid);
    snprintf(r->subject, sizeof r->subject, "%s", subject);
    snprintf(r->object, sizeof r->object, "session:%s", sid);
    if (api->session_revoke(req, r->sid, on_reuse_revoked, r) != 0)
        cong_idm_store_down(req);
}

/* The outcomes both scripts share: 1 when handled (answered), 0 for the script's own outcomes. */
static int common_outcome(cong_req_t *req, refresh_call_t *c, int err, const cong_redis_reply_t *reply)
{
    const char *outcome = err == 0 && api->redis_type(reply) == CONG_REDIS_ARRAY ? element(reply, 0, NULL) : NULL;
    if (outcome == NULL) {
        cong_idm_store_down(req);
        wipe(c);
    } else if (strcmp(outcome, "retry") == 0) {
        answer_again(req, c, reply);
    } else if (strcmp(outcome, "reused") == 0 && element(reply, 1, NULL) != NULL) {
        api->log(CONG_LOG_WARN, "identity", "request %s: a rotated refresh token came back; session revoked",
                 api->req_id(req));
        revoke_reused(req, element(reply, 1, NULL), element(reply, 2, NULL));
        wipe(c);
    } else if (strcmp(outcome, "ended") == 0 || strcmp(outcome, "unknown") == 0) {
        refuse(req, c, strcmp(outcome, "ended") == 0);
    } else {
        return 0;
    }
    return 1;
}

static void on_rotated(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    refresh_call_t *c = udata;
    if (common_outcome(req, c, err, reply))
        return;
    if (strcmp(element(reply, 0, NULL), "ok") == 0)
        cong_idm_reply_answer(req, c->answer, c->answer_len);
    else
        cong_idm_store_down(req);
    wipe(c);
}

/* Reads {"current", sid, subject, loa, auth_time, created} into *s. 0, or -1 when the reply is not that. */
static int read_session(const cong_redis_reply_t *reply, cong_idm_session_t *s)
{
    const char *sid = element(reply, 1, NULL), *sub = element(reply, 2, NULL), *loa = element(reply, 3, NULL);
    const char *auth_time = element(reply, 4, NULL), *created = element(reply, 5, NULL);
    if (strcmp(element(reply, 0, NULL), "current") != 0 || sid == NULL || sub == NULL || loa == NULL ||
        auth_time == NULL || created == NULL || strlen(sid) > CONG_SESSION_ID_LEN || strlen(sub) > CONG_IDM_SUBJECT_MAX)
        return -1;
    snprintf(s->sid, sizeof s->sid, "%s", sid);
    snprintf(s->subject, sizeof s->subject, "%s", sub);
    s->loa = atoi(loa);
    s->auth_time = strtoll(auth_time, NULL, 10);
    s->created = strtoll(created, NULL, 10);
    return 0;
}

/* The current token's session: make the new pair, seal it for a retry, and rotate. */
static void on_peeked(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    refresh_call_t *c = udata;
    if (common_outcome(req, c, err, reply))
        return;
    cong_idm_session_t s;
    int64_t now = cong_idm_now();
    if (read_session(reply, &s) != 0) {
        cong_idm_store_down(req);
        wipe(c);
        return;
    }
    int64_t ttl = cong_idm_session_end(s.created, now) - now, grace = cong_idm_settings->refresh_reuse_grace_s;
    ttl = ttl < cong_idm_settings->refresh_ttl_s ? ttl : cong_idm_settings->refresh_ttl_s;
    if (ttl <= 0) {
        refuse(req, c, 1);
        return;
    }
    char new_hash[CONG_REFRESH_HASH_LEN + 1], ttl_text[24], now_text[24], grace_text[24], *sealed = NULL;
    if (cong_refresh_token_new(c->refresh) != 0 ||
        (c->answer = cong_idm_token_answer(req, &s, c->refresh, now, NULL, &c->answer_len)) == NULL ||
        (grace > 0 && cong_refresh_retry_seal(c->presented, s.sid, c->answer, c->answer_len, &sealed) != 0)) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        wipe(c);
        return;
    }
    cong_refresh_token_hash(c->refresh, strlen(c->refresh), new_hash);
    snprintf(ttl_text, sizeof ttl_text, "%lld", (long long)ttl);
    snprintf(now_text, sizeof now_text, "%lld", (long long)now);
    snprintf(grace_text, sizeof grace_text, "%lld", (long long)grace);
    const char *args[] = {c->old_hash, new_hash, ttl_text, now_text, grace_text, sealed != NULL ? sealed : ""};
    int rc = cong_idm_eval(req, CONG_LUA_SESSION_ROTATE, 6, args, on_rotated, c);
    free(sealed);
    if (rc != 0) {
        cong_idm_store_down(req);
        wipe(c);
    }
}

void cong_idm_refresh(cong_req_t *req, void *udata)
{
    (void)udata;
    json_t *body = api->req_json(req);
    const char *presented = json_string_value(body ? json_object_get(body, "refresh_token") : NULL);
    if (presented == NULL || strlen(presented) > PRESENTED_MAX) {
        api->reply_problem(req, 422, "validation-failed", "Cần refresh_token.", "refresh_token is expected.");
        return;
    }
    refresh_call_t *c = api->req_alloc(req, sizeof *c);
    memset(c, 0, sizeof *c);
    snprintf(c->presented, sizeof c->presented, "%s", presented);
    cong_refresh_token_hash(presented, strlen(presented), c->old_hash);
    char now[24], lifetime[24], idle[24];
    snprintf(now, sizeof now, "%lld", (long long)cong_idm_now());
    snprintf(lifetime, sizeof lifetime, "%d", cong_idm_settings->session_lifetime_s);
    snprintf(idle, sizeof idle, "%d", cong_idm_settings->session_idle_timeout_s);
    const char *args[] = {c->old_hash, now, lifetime, idle};
    if (cong_idm_eval(req, CONG_LUA_SESSION_PEEK, 4, args, on_peeked, c) != 0) {
        cong_idm_store_down(req);
        wipe(c);
    }
}
