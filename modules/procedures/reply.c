/* Replies and small helpers shared by the procedures module's files (see procedures.h). */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "procedures.h"

/* 503 database-busy: the pool shed the query (postgres.queue_wait_ms) or its queue is full; nothing was written.
 * Retry-After is whole seconds (RFC 9110); retry_after_ms spreads the retries of a burst between 500 and 1499 ms,
 * drawn from the request id (random per request) rather than from a generator shared by the workers. */
static void reply_database_busy(cong_req_t *req)
{
    const cong_api_t *api = procedures_api;
    unsigned hash = 2166136261u;
    for (const char *p = api->req_id(req); p != NULL && *p != '\0'; p++)
        hash = (hash ^ (unsigned char)*p) * 16777619u;
    api->reply_header(req, "retry-after", "1");
    api->reply_problem_ext(req, 503, "database-busy", NULL, NULL,
                           json_pack("{s:i}", "retry_after_ms", 500 + (int)(hash % 1000)));
}

void procedures_reply_store_error(cong_req_t *req, int err)
{
    const cong_api_t *api = procedures_api;
    if (err == CONG_EBUSY)
        return reply_database_busy(req);
    if (err == CONG_EUNAVAILABLE || err == CONG_ETIMEDOUT) {
        api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
        return;
    }
    api->log(CONG_LOG_ERROR, PROCEDURES_MODULE, "store error %s (request %s)", api->strerror(err), api->req_id(req));
    api->reply_problem(req, 500, "internal-error", NULL, NULL);
}

void procedures_reply_json_text(cong_req_t *req, int status, const char *json)
{
    json_t *body = json != NULL ? json_loads(json, JSON_DECODE_ANY, NULL) : NULL;
    if (body == NULL) {
        procedures_api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    procedures_api->reply_json(req, status, body);
}

void procedures_reply_outcome(cong_req_t *req, const char *status_text, const char *body_json)
{
    const cong_api_t *api = procedures_api;
    int status = status_text != NULL ? atoi(status_text) : 0;
    json_t *body = body_json != NULL ? json_loads(body_json, 0, NULL) : NULL;
    if (status < 200 || status > 599 || body == NULL) {
        json_decref(body);
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    const char *problem = json_string_value(json_object_get(body, "problem"));
    if (problem == NULL) {
        api->reply_json(req, status, body);
        return;
    }
    char slug[65];
    snprintf(slug, sizeof slug, "%s", problem);
    json_object_del(body, "problem");
    api->reply_problem_ext(req, status, slug, NULL, NULL, body);
}

int procedures_one_row(cong_req_t *req, int err, const cong_pg_result_t *res)
{
    if (err != 0) {
        procedures_reply_store_error(req, err);
        return 0;
    }
    if (procedures_api->pg_ntuples(res) != 1) {
        procedures_api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return 0;
    }
    return 1;
}

void procedures_pg_json(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = procedures_api;
    if (err != 0) {
        procedures_reply_store_error(req, err);
        return;
    }
    if (api->pg_ntuples(res) != 1 || api->pg_is_null(res, 0, 0)) {
        api->reply_problem(req, 404, "not-found", NULL, NULL);
        return;
    }
    procedures_reply_json_text(req, 200, api->pg_value(res, 0, 0));
}

void procedures_pg_outcome(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = procedures_api;
    if (!procedures_one_row(req, err, res))
        return;
    procedures_reply_outcome(req, api->pg_value(res, 0, 0), api->pg_value(res, 0, 1));
}

void procedures_query(cong_req_t *req, const char *sql, int nparams, const char *const *params, cong_pg_cb cb,
                      void *udata)
{
    int rc = procedures_api->pg_query(req, sql, nparams, params, cb, udata);
    if (rc != 0)
        procedures_reply_store_error(req, rc);
}

int procedures_register_routes(cong_module_ctx_t *ctx, const cong_route_def_t *routes, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        int rc = procedures_api->register_route(ctx, &routes[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ABI 1.5: `subject` is whose affairs, `actor` who acts under a mandate (NULL for one's own affairs). */
const char *procedures_actor(cong_req_t *req)
{
    const cong_principal_t *p = procedures_api->req_principal(req);
    return p->actor != NULL && p->actor[0] != '\0' ? p->actor : p->subject;
}

const char *procedures_applicant(cong_req_t *req)
{
    return procedures_api->req_principal(req)->subject;
}

const char *procedures_mandate(cong_req_t *req)
{
    const cong_principal_t *p = procedures_api->req_principal(req);
    return p->actor != NULL && p->mandate_id != NULL && p->mandate_id[0] != '\0' ? p->mandate_id : NULL;
}

void procedures_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    static const char digits[] = "0123456789abcdef";
    if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1)
        memset(md, 0, sizeof md);
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[64] = '\0';
}

int procedures_query_int(cong_req_t *req, const char *name, int fallback, int max)
{
    size_t len = 0;
    const char *v = procedures_api->req_query_param(req, name, &len);
    if (v == NULL)
        return fallback;
    if (len == 0 || len > 9)
        return -1;
    int n = 0;
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        n = n * 10 + (v[i] - '0');
    }
    return n >= 1 && n <= max ? n : -1;
}
