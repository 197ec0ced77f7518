/*
 * POST /v1/auth/token-exchange — OAuth 2.0 Token Exchange (RFC 8693) for acting under a mandate.
 *
 * The grantee presents their own cong access token as the Bearer (the actor; RFC 8693's actor_token may repeat it,
 * nothing else) and the mandate's id as the subject_token (type urn:cong:params:oauth:token-type:mandate). cong answers
 * an access token whose "sub" is the grantor (whose affairs: a citizen, or an organization "org:<id>" for its staff),
 * "act": {"sub": grantee} (who acts) and the mandate's id,
 * actions, procedures, domains and end: what the gateway enforces on every request without asking PostgreSQL.
 *
 * The new token keeps the caller's session (their logout ends it), level and login time (a level-2 login never lives
 * longer for being exchanged), and scopes without "admin"; it lives modules.mandates.token_ttl_s at most and never
 * past the mandate's last second. Refused with 400 invalid-grant (RFC 8693 §2.2.2) when the caller already acts for
 * someone, has no session (an API client), is not the grantee, or the mandate (or an ancestor) is not active now —
 * without saying which. Writes the audit record 'mandate.exchange' (in mandate_exchange's statement).
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mandates.h"

#define GRANT_TYPE "urn:ietf:params:oauth:grant-type:token-exchange"
#define MANDATE_TOKEN_TYPE "urn:cong:params:oauth:token-type:mandate"
#define ACCESS_TOKEN_TYPE "urn:ietf:params:oauth:token-type:access_token"

static void invalid_grant(cong_req_t *req)
{
    mandates_api->reply_header(req, "cache-control", "no-store");
    mandates_api->reply_problem(req, 400, "invalid-grant",
                                "Không đổi được mã: ủy quyền không thuộc về bạn hoặc không còn hiệu lực.",
                                "No exchange: the mandate is not yours to use, or is not active now.");
}

static void bad_request(cong_req_t *req, const char *vi, const char *en)
{
    mandates_api->reply_header(req, "cache-control", "no-store");
    mandates_api->reply_problem(req, 400, "bad-request", vi, en);
}

/* The scopes of the caller without "admin" (an acting-for token never administers), in the request's pool. */
static char *scopes_without_admin(cong_req_t *req, const char *scopes)
{
    size_t n = strlen(scopes), o = 0;
    char *out = mandates_api->req_alloc(req, n + 1);
    for (const char *p = scopes; out != NULL && *p != '\0';) {
        p += strspn(p, " ");
        size_t len = strcspn(p, " ");
        if (len > 0 && !(len == 5 && strncmp(p, "admin", 5) == 0)) {
            if (o > 0)
                out[o++] = ' ';
            memcpy(out + o, p, len);
            o += len;
        }
        p += len;
    }
    return out;
}

static void on_mandate(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = mandates_api;
    if (err != 0) {
        mandates_reply_store_error(req, err);
        return;
    }
    if (api->pg_ntuples(res) != 1) {
        invalid_grant(req);
        return;
    }
    const cong_principal_t *p = api->req_principal(req);
    long long now = (long long)time(NULL);
    long long until = api->pg_is_null(res, 0, 5) ? 0 : strtoll(api->pg_value(res, 0, 5), NULL, 10);
    long long not_after = now + mandates_config.token_ttl_s;
    if (until > 0 && until + 1 < not_after)
        not_after = until + 1;
    const char *procedures = api->pg_value(res, 0, 3), *domains = api->pg_value(res, 0, 4);
    cong_token_grant_t grant = {.size = sizeof grant, .subject = api->pg_value(res, 0, 1),
                                .session_id = p->session_id, .scope = scopes_without_admin(req, p->scopes),
                                .loa = p->loa, .auth_time = p->auth_time, .not_after = not_after,
                                .actor = p->subject, .mandate_id = api->pg_value(res, 0, 0),
                                .mandate_actions = api->pg_value(res, 0, 2),
                                .mandate_procedures = procedures[0] != '\0' ? procedures : NULL,
                                .mandate_domains = domains[0] != '\0' ? domains : NULL, .mandate_until = until};
    char *token = NULL;
    long long exp = 0;
    if (grant.scope == NULL || api->token_issue(req, &grant, &token, &exp) != 0) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    json_t *body = json_pack("{s:s, s:s, s:s, s:I}", "access_token", token, "issued_token_type", ACCESS_TOKEN_TYPE,
                             "token_type", "Bearer", "expires_in", (json_int_t)(exp - now));
    OPENSSL_cleanse(token, strlen(token));
    api->reply_header(req, "cache-control", "no-store");
    api->reply_json(req, 200, body);
}

/* The actor_token, when given, is the bearer itself: no third party's token comes in through this door. */
static int actor_token_ok(cong_req_t *req)
{
    const cong_api_t *api = mandates_api;
    size_t len = 0, auth_len = 0;
    const char *actor = api->req_form_param(req, "actor_token", &len);
    const char *type = api->req_form_param(req, "actor_token_type", NULL);
    if (actor == NULL)
        return type == NULL;
    const char *auth = api->req_header(req, "authorization", &auth_len);
    if (type == NULL || strcmp(type, ACCESS_TOKEN_TYPE) != 0 || auth == NULL || auth_len < 7)
        return 0;
    return auth_len - 7 == len && CRYPTO_memcmp(auth + 7, actor, len) == 0;
}

static void exchange(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = mandates_api;
    const char *grant_type = api->req_form_param(req, "grant_type", NULL);
    const char *subject = api->req_form_param(req, "subject_token", NULL);
    const char *subject_type = api->req_form_param(req, "subject_token_type", NULL);
    const char *requested = api->req_form_param(req, "requested_token_type", NULL);
    const cong_principal_t *p = api->req_principal(req);
    if (grant_type == NULL || strcmp(grant_type, GRANT_TYPE) != 0) {
        api->reply_header(req, "cache-control", "no-store");
        api->reply_problem(req, 400, "unsupported-grant-type", NULL, NULL);
        return;
    }
    if (subject == NULL || subject_type == NULL || strcmp(subject_type, MANDATE_TOKEN_TYPE) != 0 ||
        (requested != NULL && strcmp(requested, ACCESS_TOKEN_TYPE) != 0)) {
        bad_request(req, "Cần subject_token là mã ủy quyền, kiểu " MANDATE_TOKEN_TYPE ".",
                    "subject_token must be a mandate id of type " MANDATE_TOKEN_TYPE
                    ", and requested_token_type absent or an access token.");
        return;
    }
    if (!mandates_is_uuid(subject) || !actor_token_ok(req) || p->actor != NULL || p->on_behalf_of != NULL ||
        p->mandate_id != NULL || p->session_id == NULL || p->client_id != NULL) {
        invalid_grant(req);
        return;
    }
    const char *params[] = {subject, p->subject, api->req_id(req)};
    mandates_query(req, "SELECT canonical_id, grantor, actions, procedures, domains, until_epoch FROM mandate_exchange($1::uuid, $2, $3)", 3,
                   params, on_mandate, NULL);
}

int mandates_exchange_register(cong_module_ctx_t *ctx)
{
    cong_route_def_t def = {.size = sizeof def, .method = "POST", .path = "/v1/auth/token-exchange",
                            .handler = exchange, .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .rate_limit_class = "auth",
                            .operation_id = "exchangeMandateToken", .max_body_bytes = 16384};
    return mandates_api->register_route(ctx, &def);
}
