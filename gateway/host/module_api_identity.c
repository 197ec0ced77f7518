/* The identity members of the module ABI that need no wait (contract in module_api_identity.h and cong/module.h):
 * settings, access tokens, session revocation. Every one runs on the request's worker thread. */
#include "module_api_identity.h"

#include <stddef.h>

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "module_loader.h"
#include "gateway/http/http.h"
#include "gateway/authn/authn.h"

/* How long past the longest access-token life a revocation is kept: the clock skew tokens are verified with. */
#define REVOCATION_SKEW_S 120
#define SESSION_ID_MAX 63 /* what a token's "sid" claim holds (cong_jwt_claims_t) */

const cong_auth_settings_t *cong_api_auth_settings(cong_module_ctx_t *ctx)
{
    cong_gateway_t *gw = cong_loader_gateway(ctx);
    if (gw == NULL || !gw->has_identity)
        return NULL;
    cong_auth_settings_t *s = &gw->auth_settings;
    if (s->size == 0) { /* load time: the main thread, before any worker runs */
        const cong_config_t *c = gw->config;
        *s = (cong_auth_settings_t){
            .size = sizeof *s,
            .issuer = gw->identity.issuer,
            .audience = gw->identity.audience,
            .access_ttl_s = gw->identity.access_ttl_s,
            .refresh_ttl_s = c->auth.refresh_token_ttl_s,
            .session_lifetime_s = c->auth.session_lifetime_s,
            .session_idle_timeout_s = c->auth.session_idle_timeout_s,
            .refresh_reuse_grace_s = c->auth.refresh_reuse_grace_s,
            .step_up_max_age_s = c->auth.step_up_max_age_s,
            .jwks_json = gw->identity.jwks_json,
        };
    }
    return s;
}

/* ---- token_issue ---- */

int cong_api_token_issue(cong_req_t *r, const cong_token_grant_t *g, char **token, long long *expires_at)
{
    if (r->h2o == NULL)
        return CONG_EGONE;
    if (token == NULL || g == NULL || g->size < offsetof(cong_token_grant_t, actor) || g->subject == NULL ||
        g->subject[0] == '\0' || g->loa < 0 || g->loa > 2)
        return CONG_EINVAL;
    *token = NULL;
    const cong_gateway_t *gw = r->worker->gateway;
    if (!gw->has_identity)
        return CONG_ENOTFOUND;
    cong_access_grant_t grant = {.sub = g->subject, .sid = g->session_id, .scope = g->scope,
                                 .client_id = g->client_id, .loa = g->loa, .auth_time = g->auth_time,
                                 .not_after = g->not_after};
    if (g->size >= offsetof(cong_token_grant_t, mandate_until) + sizeof g->mandate_until && g->actor != NULL) {
        if (g->mandate_id == NULL || g->mandate_actions == NULL || g->mandate_until < 0)
            return CONG_EINVAL;
        grant.actor = g->actor;
        grant.mandate_id = g->mandate_id;
        grant.mandate_actions = g->mandate_actions;
        grant.mandate_procedures = g->mandate_procedures;
        grant.mandate_domains = g->mandate_domains;
        grant.mandate_until = g->mandate_until;
    }
    char *signed_token = NULL;
    int64_t exp = 0;
    int rc = cong_identity_issue(&gw->identity, &grant, (int64_t)time(NULL), &signed_token, &exp);
    if (rc != 0)
        return rc;
    size_t len = strlen(signed_token);
    char *copy = h2o_mem_alloc_pool(&r->h2o->pool, len + 1);
    memcpy(copy, signed_token, len + 1);
    OPENSSL_cleanse(signed_token, len);
    free(signed_token);
    *token = copy;
    if (expires_at != NULL)
        *expires_at = exp;
    return 0;
}

/* ---- session_revoke ---- */

typedef struct revoke_call {
    cong_req_t *r;
    cong_revoke_cb cb;
    void *udata;
} revoke_call_t;

static void on_published(int err, void *p)
{
    revoke_call_t *call = p;
    if (call->cb != NULL && call->r->h2o != NULL)
        call->cb(call->r, err, call->udata);
    cong_req_release(call->r);
    free(call);
}

/* 1..SESSION_ID_MAX printable ASCII characters without a space: the revocation message is "<sid> <until>". */
static int session_id_ok(const char *sid)
{
    size_t n = sid != NULL ? strlen(sid) : 0;
    for (size_t i = 0; i < n; i++)
        if (sid[i] <= ' ' || sid[i] > '~')
            return 0;
    return n > 0 && n <= SESSION_ID_MAX;
}

int cong_api_session_revoke(cong_req_t *r, const char *sid, cong_revoke_cb cb, void *udata)
{
    if (r->h2o == NULL)
        return CONG_EGONE;
    if (!session_id_ok(sid))
        return CONG_EINVAL;
    revoke_call_t *call = malloc(sizeof *call);
    if (call == NULL)
        return CONG_ENOMEM;
    *call = (revoke_call_t){r, cb, udata};
    /* past the end of every access token issued until now for the session */
    int64_t until = (int64_t)time(NULL) + r->worker->gateway->config->auth.access_token_ttl_s + REVOCATION_SKEW_S;
    int rc = cong_revocation_publish(r->worker, sid, until, on_published, call);
    if (rc != 0) {
        free(call);
        return rc;
    }
    cong_req_retain(r);
    return 0;
}
