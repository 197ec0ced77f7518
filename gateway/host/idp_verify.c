/*
 * gateway/host/idp_verify.c — the module ABI's idp_verify (1.4): a VNeID ID token verified against the keys the gateway
 * keeps for it (auth/jwks_source.h), and turned into the person's pseudonymous subject (auth/subject.h).
 *
 * After VNeID adds a key, the first ID token signed with it names a kid the gateway's copy of the JWKS does not have
 * yet. Rather than refuse it, the verification asks the JWKS source to refetch (the cooldown still bounds how often
 * VNeID is asked) and, when that fetch starts soon enough, waits for it — at most KEY_WAIT_MS in all — then verifies
 * again. The wait is a timer on the worker's loop that watches the source's generation (bumped by the refresher thread
 * when a fetch is done), never a blocking sleep: the worker serves other requests meanwhile. The same timer, at 0 ms,
 * makes the first attempt, so the module is always called back later, as by every other asynchronous member.
 *
 * The citizen number in the ID token's "sub" never leaves this file: it becomes the pseudonymous subject at once, and
 * the claims and the copy of the token are wiped.
 */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/subject.h"
#include "common/common.h"
#include "module_api_identity.h"
#include "gateway/http/http.h"

#define KEY_WAIT_MS 2000     /* the longest a verification waits for VNeID's keys to be refetched */
#define KEY_POLL_MS 5        /* how often a waiting verification looks whether the refetch is done */
#define ID_TOKEN_MAX 8192    /* larger ID tokens are refused before any work */

typedef struct idp_call {
    uv_timer_t timer;
    cong_req_t *req;         /* retained until the call ends */
    cong_idp_cb cb;
    void *udata;
    int waiting;             /* a refetch was asked for: `generation` is the source's when the kid was not found */
    uint64_t generation;
    uint64_t deadline_ms;    /* on the loop's clock */
    size_t len;
    char token[];            /* the ID token, wiped at the end */
} idp_call_t;

enum { WAIT = 1 }; /* verify()'s answer besides 0 and CONG_E* */

static void on_closed(uv_handle_t *handle)
{
    idp_call_t *call = handle->data;
    OPENSSL_cleanse(call->token, call->len);
    free(call);
}

static void finish(idp_call_t *call)
{
    uv_timer_stop(&call->timer);
    cong_req_release(call->req);
    uv_close((uv_handle_t *)&call->timer, on_closed);
}

/* Verifies the token with VNeID's current keys: 0 with *who (subject in `subject`), WAIT when the kid is unknown and
 * a refetch that starts within `budget_ms` was asked for (call->generation is then the generation this attempt saw),
 * CONG_EINVAL (refused), CONG_EUNAVAILABLE (no keys) or CONG_EIO. */
static int verify(idp_call_t *call, int64_t budget_ms, cong_idp_identity_t *who, char subject[CONG_SUBJECT_LEN + 1])
{
    const cong_identity_t *id = &call->req->worker->gateway->identity;
    cong_jwks_source_t *source = id->vneid;
    call->generation = cong_jwks_source_generation(source); /* before current(): a set installed after is newer */
    cong_jwks_t *keys = cong_jwks_source_current(source);
    if (keys == NULL && source != NULL && cong_jwks_source_request_refresh(source) < budget_ms)
        return WAIT; /* never loaded yet (VNeID was down at start) */
    if (keys == NULL)
        return CONG_EUNAVAILABLE;
    cong_jwt_policy_t policy = {.issuer = id->vneid_issuer, .audience = id->vneid_client_id,
                                .clock_skew_s = id->vneid_clock_skew_s, .max_token_bytes = ID_TOKEN_MAX};
    cong_jwt_claims_t claims;
    cong_jwt_result_t res = cong_jwt_verify_keyset(&policy, keys, call->token, call->len, (int64_t)time(NULL), &claims);
    cong_jwks_release(keys);
    if (res == CONG_JWT_UNKNOWN_KEY && source != NULL && cong_jwks_source_request_refresh(source) < budget_ms)
        return WAIT;
    if (res != CONG_JWT_OK || claims.sub[0] == '\0') {
        cong_log(CONG_LOG_INFO, "idp", "request %s: VNeID token refused (%s)", call->req->id,
                 cong_jwt_result_name(res));
        return CONG_EINVAL;
    }
    int rc = cong_subject_from_citizen(id->secret, id->secret_len, claims.sub, subject);
    *who = (cong_idp_identity_t){.size = sizeof *who, .subject = subject, .loa = claims.loa,
                                 .auth_time = claims.auth_time, .expires_at = claims.exp};
    OPENSSL_cleanse(&claims, sizeof claims); /* the citizen number goes no further */
    return rc == 0 ? 0 : CONG_EIO;
}

static void on_tick(uv_timer_t *timer)
{
    idp_call_t *call = timer->data;
    cong_req_t *req = call->req;
    if (req->h2o == NULL) { /* the client left */
        finish(call);
        return;
    }
    uint64_t now = uv_now(timer->loop);
    if (call->waiting) {
        int done = cong_jwks_source_generation(req->worker->gateway->identity.vneid) != call->generation;
        if (!done && now < call->deadline_ms)
            return;
        if (!done)
            call->deadline_ms = now; /* out of time: one last look, and no further wait */
    }
    cong_idp_identity_t who;
    char subject[CONG_SUBJECT_LEN + 1];
    int rc = verify(call, call->deadline_ms > now ? (int64_t)(call->deadline_ms - now) : 0, &who, subject);
    if (rc == WAIT) {
        if (!call->waiting)
            uv_timer_start(&call->timer, on_tick, KEY_POLL_MS, KEY_POLL_MS);
        call->waiting = 1;
        return;
    }
    call->cb(req, rc, rc == 0 ? &who : NULL, call->udata);
    finish(call);
}

int cong_api_idp_verify(cong_req_t *req, const char *id_token, size_t len, cong_idp_cb cb, void *udata)
{
    if (req->h2o == NULL)
        return CONG_EGONE;
    if (id_token == NULL || len == 0 || cb == NULL)
        return CONG_EINVAL;
    if (len > ID_TOKEN_MAX)
        return CONG_ETOOBIG;
    if (!req->worker->gateway->has_identity)
        return CONG_ENOTFOUND;
    idp_call_t *call = malloc(sizeof *call + len + 1);
    if (call == NULL)
        return CONG_ENOMEM;
    *call = (idp_call_t){.req = req, .cb = cb, .udata = udata, .len = len};
    memcpy(call->token, id_token, len);
    call->token[len] = '\0';
    uv_loop_t *loop = &req->worker->loop;
    call->deadline_ms = uv_now(loop) + KEY_WAIT_MS;
    uv_timer_init(loop, &call->timer);
    call->timer.data = call;
    uv_timer_start(&call->timer, on_tick, 0, 0);
    cong_req_retain(req);
    return 0;
}
