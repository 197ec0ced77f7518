/* Phase 4: authenticate. No Authorization header → anonymous (authorize decides if that is enough). A bearer token
 * is verified (ES256 pinned, typ at+jwt, iss/aud/exp/nbf/iat with bounded skew) even on public routes: bad
 * credentials are never ignored. A kid-less service token (auth.public_key_file) may not claim act, acr 2 or scope
 * admin unless auth.public_key_privileged. A token verified before is served from the worker's token cache until it
 * expires, unless its session has been revoked since. Failures answer 401 invalid-token with WWW-Authenticate; the
 * token itself is never logged. Level 2 is in force for auth.step_up_max_age_s after the login ("auth_time"), then
 * the principal counts as level 1, so every level-2 check asks for a step-up (RFC 9470 max_age).
 *
 * Failed authentications cost a token of the "auth_failure" class, per client address (client_address.h): once an
 * address has spent rate_limits.auth_failure_burst, its refusals are 429 with Retry-After, and a token this worker
 * has not verified before is refused from that address without spending an ES256 verification on it — an
 * invalid-token flood no longer costs the gateway a signature check per request. Known (cached) tokens are served
 * as before, so a citizen behind the same address keeps working. */
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "gateway/http/http.h"
#include "gateway/limits/limits.h"
#include "token_cache.h"

void cong_req_set_subject_hash(cong_req_t *r, const char *subject);

static cong_phase_result_t refuse(cong_req_t *r, const char *why)
{
    static const char challenge[] = "Bearer realm=\"cong\", error=\"invalid_token\"";
    cong_log(CONG_LOG_DEBUG, "auth", "request %s: token refused (%s)", r->id, why);
    cong_reply_add_header(r, H2O_STRLIT("www-authenticate"), challenge, sizeof challenge - 1);
    cong_reply_problem(r, 401, "invalid-token", NULL, NULL, 0);
    return CONG_PHASE_DONE;
}

static const char *failure_key(cong_req_t *r, char *buf, size_t cap)
{
    cong_rate_key_join(buf, cap, (const char *const[]){"ip:", cong_req_client_address(r)}, 2);
    return buf;
}

static cong_phase_result_t too_many_failures(cong_req_t *r, long retry_after_s)
{
    cong_log(CONG_LOG_DEBUG, "auth", "request %s: failed-authentication budget of the address spent", r->id);
    cong_reply_problem(r, 429, "rate-limited", "Quá nhiều lần xác thực thất bại từ địa chỉ này; vui lòng thử lại sau.",
                       "Too many failed authentications from this address; try again later.",
                       retry_after_s > 0 ? (int)retry_after_s : 1);
    return CONG_PHASE_DONE;
}

/* The "auth_failure" budget's answer for a refused token: 401, or 429 when the address has spent it. */
static void auth_failure_decided(cong_req_t *r, const cong_rate_decision_t *d)
{
    if (d->allowed)
        refuse(r, r->auth_failure_why);
    else
        too_many_failures(r, d->reset_s);
}

/* A refusal that spends a token of the address's failed-authentication budget first (then 401, or 429 when spent). */
static cong_phase_result_t refuse_counted(cong_req_t *r, const char *why)
{
    char key[96];
    cong_rate_decision_t d;
    r->auth_failure_why = why;
    if (!cong_rate_limiter->check(cong_rate_limiter, r, "auth_failure", failure_key(r, key, sizeof key), &d,
                                  auth_failure_decided))
        return CONG_PHASE_WAIT;
    auth_failure_decided(r, &d);
    return CONG_PHASE_DONE;
}

/* A level-2 login is level 2 while it is recent: no "auth_time", or one older than max_age (or in the future beyond
 * the skew) leaves level 1. */
static int level_in_force(const cong_jwt_claims_t *c, int64_t now, const cong_config_t *cfg)
{
    if (c->loa < 2)
        return c->loa;
    int64_t login = c->auth_time;
    return login > 0 && now - login <= cfg->auth.step_up_max_age_s && login - now <= cfg->auth.clock_skew_s ? 2 : 1;
}

static void fill_principal(cong_req_t *r, int64_t now)
{
    cong_jwt_claims_t *c = &r->claims;
    cong_principal_t *p = &r->principal;
    p->authenticated = 1;
    p->subject = c->sub;
    /* RFC 8693: "sub" is whose affairs, "act"."sub" who acts (the mandate phase checks the mandate next) */
    p->on_behalf_of = c->act[0] ? c->sub : NULL;
    p->actor = c->act[0] ? c->act : NULL;
    p->mandate_id = c->act[0] && c->mandate_id[0] ? c->mandate_id : NULL;
    p->auth_time = c->auth_time;
    p->client_id = c->client_id[0] ? c->client_id : NULL;
    p->scopes = c->scope;
    p->loa = level_in_force(c, now, r->worker->gateway->config);
    p->session_id = c->sid[0] ? c->sid : NULL;
    cong_req_set_subject_hash(r, c->sub[0] ? c->sub : c->client_id);
}

/* cong's own tokens carry a kid and verify against its signing keys; kid-less service tokens against the configured
 * public key. Both under cong's issuer and audience. */
static cong_jwt_result_t verify(const cong_gateway_t *gw, const cong_jwt_policy_t *policy, const char *token,
                                size_t len, int64_t now, cong_jwt_claims_t *claims)
{
    if (gw->has_identity) /* one decode and parse for both key sources */
        return cong_jwt_verify_keyset_or_key(policy, gw->identity.own_keys, token, len, now, claims);
    if (gw->auth_key != NULL)
        return cong_jwt_verify(policy, token, len, now, claims);
    return CONG_JWT_MALFORMED;
}

cong_phase_result_t cong_phase_authenticate(cong_req_t *r)
{
    h2o_iovec_t auth = cong_req_header(r, H2O_STRLIT("authorization"));
    if (auth.base == NULL)
        return CONG_PHASE_NEXT;
    if (auth.len < 7 || strncasecmp(auth.base, "Bearer ", 7) != 0)
        return refuse_counted(r, "not a bearer credential");
    const char *token = auth.base + 7;
    size_t len = auth.len - 7;
    while (len > 0 && *token == ' ') {
        token++;
        len--;
    }
    const cong_gateway_t *gw = r->worker->gateway;
    if (gw->auth_key == NULL && !gw->has_identity)
        return refuse(r, "no verification key configured");
    cong_jwt_policy_t policy = {
        .key = gw->auth_key,
        .issuer = gw->config->auth.issuer,
        .audience = gw->config->auth.audience,
        .clock_skew_s = gw->config->auth.clock_skew_s,
        .max_token_bytes = 8192,
        .require_at_jwt = 1,
        .key_unprivileged = !gw->config->auth.public_key_privileged,
    };
    int64_t now = (int64_t)time(NULL);
    const cong_jwt_claims_t *cached = cong_token_cache_get(r->worker->tokens, token, len, now);
    if (cached != NULL) {
        r->claims = *cached;
    } else {
        char key[96];
        long retry_after_s = 0;
        if (cong_rate_limiter->known_refused != NULL &&
            cong_rate_limiter->known_refused(cong_rate_limiter, r, "auth_failure", failure_key(r, key, sizeof key),
                                             &retry_after_s))
            return too_many_failures(r, retry_after_s);
        cong_jwt_result_t res = verify(gw, &policy, token, len, now, &r->claims);
        if (res != CONG_JWT_OK)
            return refuse_counted(r, cong_jwt_result_name(res));
        if (cong_token_cache_session_revoked(r->worker->tokens, r->claims.sid, now))
            return refuse_counted(r, "session revoked");
        cong_token_cache_put(r->worker->tokens, token, len, &r->claims);
    }
    if (r->claims.sub[0] == '\0' && r->claims.client_id[0] == '\0')
        return refuse_counted(r, "no subject");
    fill_principal(r, now);
    return CONG_PHASE_NEXT;
}
