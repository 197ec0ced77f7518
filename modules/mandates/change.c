/*
 * A mandate's life after its creation:
 *
 *   POST /v1/mandates/{id}/accept     the grantee, with the code the grantor gave them out of band
 *   POST /v1/mandates/{id}/decline    the grantee refuses a request or renounces an active mandate
 *   POST /v1/mandates/{id}/withdraw   the grantor, or who sub-delegated it
 *
 * Each is one SQL call (one transaction: the change, audit records, events, endings). What ended — declined after the
 * 5th wrong code, renounced, withdrawn, with every descendant — is then revoked as the session "mandate:<id>" on the
 * revocation channel before the reply, so that the very next acting-for request is refused on every instance. Redis
 * down does not change the reply (the change has committed); the job publishes mandate_endings until it is through.
 * A mandate that is not the caller's in that role is 404, never 403.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mandates.h"

#define MAX_ENDED 64 /* revoked before the reply; a larger tree's rest is the job's (within about a second) */

typedef struct revoking {
    char ids[MAX_ENDED][37];
    int count, next;
    char status[4];
    char *body; /* the answer, JSON text in the request's pool */
} revoking_t;

static void revoke_next(cong_req_t *req, revoking_t *r);

static void on_revoked(cong_req_t *req, int err, void *udata)
{
    revoking_t *r = udata;
    if (err != 0)
        r->next = r->count; /* Redis went away: the job publishes the rest */
    revoke_next(req, r);
}

static void revoke_next(cong_req_t *req, revoking_t *r)
{
    while (r->next < r->count) {
        char sid[64];
        snprintf(sid, sizeof sid, "mandate:%s", r->ids[r->next++]);
        if (mandates_api->session_revoke(req, sid, on_revoked, r) == 0)
            return;
        r->next = r->count; /* refused at once (Redis down): the job catches up */
    }
    mandates_reply_outcome(req, r->status, r->body);
}

/* "{a,b}" → ids; at most MAX_ENDED. */
static void parse_ids(const char *array, revoking_t *r)
{
    for (const char *p = array; p != NULL && *p != '\0' && r->count < MAX_ENDED;) {
        p += strspn(p, "{},\"");
        size_t n = strcspn(p, "{},\"");
        if (n == 36) {
            memcpy(r->ids[r->count], p, 36);
            r->ids[r->count++][36] = '\0';
        }
        p += n;
    }
}

static void on_changed(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = mandates_api;
    if (err != 0 || api->pg_ntuples(res) != 1) {
        mandates_reply_store_error(req, err != 0 ? err : CONG_EIO);
        return;
    }
    revoking_t *r = api->req_alloc(req, sizeof *r);
    if (r == NULL || (r->body = mandates_strdup(req, api->pg_value(res, 0, 1))) == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    snprintf(r->status, sizeof r->status, "%s", api->pg_value(res, 0, 0));
    parse_ids(api->pg_value(res, 0, 2), r);
    if (r->count == 0) {
        mandates_reply_outcome(req, api->pg_value(res, 0, 0), r->body);
        return;
    }
    revoke_next(req, r);
}

/* The {id} of the path when it is a UUID; else a 404 is answered and NULL returned. */
static const char *mandate_id(cong_req_t *req)
{
    const char *id = mandates_api->req_path_param(req, "id", NULL);
    if (mandates_is_uuid(id))
        return id;
    mandates_api->reply_problem(req, 404, "not-found", NULL, NULL);
    return NULL;
}

static void change(cong_req_t *req, const char *what)
{
    const char *id = mandate_id(req);
    if (id == NULL)
        return;
    const char *params[] = {id, mandates_api->req_principal(req)->subject, what, mandates_api->req_id(req)};
    mandates_query(req, "SELECT http_status, body, ended FROM mandate_change($1::uuid, $2, $3, $4)", 4, params,
                   on_changed, NULL);
}

static void decline(cong_req_t *req, void *udata)
{
    (void)udata;
    change(req, "decline");
}

static void withdraw(cong_req_t *req, void *udata)
{
    (void)udata;
    change(req, "withdraw");
}

/* ---- accept: the code is compared here, in constant time, with the hash PostgreSQL holds ---- */

typedef struct acceptance {
    const char *id;
    char typed_hash[65]; /* "" when what was typed cannot be a code: a wrong code like any other */
} acceptance_t;

static void on_hash(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    const cong_api_t *api = mandates_api;
    acceptance_t *a = udata;
    if (err != 0) {
        mandates_reply_store_error(req, err);
        return;
    }
    if (api->pg_ntuples(res) != 1) {
        api->reply_problem(req, 404, "not-found", NULL, NULL);
        return;
    }
    const char *stored = api->pg_value(res, 0, 0);
    int matched = a->typed_hash[0] != '\0' && strlen(stored) == 64 && CRYPTO_memcmp(a->typed_hash, stored, 64) == 0;
    const char *params[] = {a->id, api->req_principal(req)->subject, matched ? "true" : "false", stored,
                            api->req_id(req)};
    mandates_query(req, "SELECT http_status, body, ended FROM mandate_accept($1::uuid, $2, $3::boolean, $4, $5)", 5,
                   params, on_changed, NULL);
}

static void accept(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = mandates_api;
    const char *id = mandate_id(req);
    if (id == NULL)
        return;
    const char *typed = json_string_value(json_object_get(api->req_json(req), "acceptance_code"));
    if (typed == NULL || strlen(typed) > 64) {
        json_t *errors = json_pack("[{s:s, s:s}]", "field", "acceptance_code", "code", "required");
        api->reply_problem_ext(req, 422, "validation-failed", NULL, NULL, json_pack("{s:o}", "errors", errors));
        return;
    }
    acceptance_t *a = api->req_alloc(req, sizeof *a);
    if (a == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    a->id = id;
    if (mandates_code_hash(typed, a->typed_hash) != 0)
        a->typed_hash[0] = '\0';
    const char *params[] = {id, api->req_principal(req)->subject};
    mandates_query(req,
                   "SELECT coalesce(encode(acceptance_code_hash, 'hex'), '') FROM mandates "
                   "WHERE id = $1::uuid AND grantee = $2",
                   2, params, on_hash, a);
}

int mandates_change_register(cong_module_ctx_t *ctx)
{
    static const struct {
        const char *path, *operation_id;
        cong_handler_fn handler;
    } routes[] = {
        {"/v1/mandates/{id}/accept", "acceptMandate", accept},
        {"/v1/mandates/{id}/decline", "declineMandate", decline},
        {"/v1/mandates/{id}/withdraw", "withdrawMandate", withdraw},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        cong_route_def_t def = {.size = sizeof def, .method = "POST", .path = routes[i].path,
                                .handler = routes[i].handler, .auth = CONG_AUTH_REQUIRED, .min_loa = 1,
                                .operation_id = routes[i].operation_id, .max_body_bytes = 4096};
        int rc = mandates_api->register_route(ctx, &def);
        if (rc != 0)
            return rc;
    }
    return 0;
}
