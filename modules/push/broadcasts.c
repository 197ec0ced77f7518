/*
 * Broadcasts: officials with scope `broadcast` send a message to everyone of a ward or commune, or city-wide
 * (issue 14, "Broadcasts"; the pipeline is push/pipeline.h, the tables migrations/0002_broadcasts.sql).
 *
 *   POST   /v1/broadcasts          {area: {kind: "ward" | "city", ward_code?}, title: {vi, en}, body: {vi, en}}
 *                                  → 201 the broadcast (state "queued"), only after the row and its audit record
 *                                  committed; Idempotency-Key required (a replay with the same body: the same
 *                                  broadcast, Idempotent-Replayed: true; another body: 422 idempotency-key-reused)
 *   GET    /v1/broadcasts/{id}     its progress: state, targeted, delivered (cong-push-fanout's, PostgreSQL) and
 *                                  devices_sent, devices_failed (the delivery workers', Redis hash
 *                                  PUSH_BROADCAST_PROGRESS_FMT of push/pipeline.h)
 *   DELETE /v1/broadcasts/{id}     cancel: 200 with the progress (also when cancelled before), audited; the fan-out
 *                                  stops before its next pass (about a second of its
 *                                  pace). Done already: 409 conflict.
 *
 * Level 2 and the scope (the gateway answers 401/403 otherwise); nobody broadcasts acting for someone else. The area
 * must also be the caller's to speak for (migration 0003, push_may_broadcast): a ward or commune by its own officials
 * or a city department's, the whole city by a department's; otherwise 403 forbidden, for a cancel too. Any holder of
 * the scope may read any broadcast's progress. The ward must be a ward or commune of the procedures module's units
 * (422 unknown-ward).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "push.h"

#define IDEMPOTENCY_KEY_MAX 255
#define PROGRESS_KEY_SIZE 64

typedef struct progress {
    int status;     /* of the reply */
    char *json;     /* the broadcast's JSON from PostgreSQL, in the request's pool */
    char key[PROGRESS_KEY_SIZE];
} progress_t;

static void not_found(cong_req_t *req)
{
    push_api->reply_problem(req, 404, "not-found", "Không có thông báo chung này.", "There is no such broadcast.");
}

static void forbidden(cong_req_t *req)
{
    push_api->reply_problem(req, 403, "forbidden",
                            "Bạn không phục vụ khu vực này: chỉ cán bộ của phường, xã đó hoặc của một sở thành phố "
                            "mới gửi được.",
                            "You do not serve this area: only officials of that ward or commune, or of a city "
                            "department, may broadcast there.");
}

static int key_ok(const char *key, size_t len)
{
    if (key == NULL || len == 0 || len > IDEMPOTENCY_KEY_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (key[i] < 0x21 || key[i] > 0x7e)
            return 0;
    return 1;
}

static void invalid(cong_req_t *req, json_t *errors)
{
    push_api->reply_problem_ext(req, 422, "validation-failed", "Thông báo chung không hợp lệ.",
                                "The broadcast is not valid.", json_pack("{s:o}", "errors", errors));
}

/* The Redis counters read: the broadcast's JSON with devices_sent and devices_failed. */
static void on_counters(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    const cong_api_t *api = push_api;
    progress_t *p = udata;
    if (err != 0 || api->redis_type(reply) != CONG_REDIS_ARRAY || api->redis_elements(reply) != 2)
        return push_reply_store_error(req, err != 0 ? err : CONG_EIO);
    json_t *body = json_loads(p->json, 0, NULL);
    const char *names[] = {"devices_sent", "devices_failed"};
    for (size_t i = 0; i < 2 && body != NULL; i++) {
        const cong_redis_reply_t *e = api->redis_element(reply, i);
        const char *text = api->redis_type(e) == CONG_REDIS_STRING ? api->redis_string(e, NULL) : "0";
        json_object_set_new(body, names[i], json_integer(strtoll(text, NULL, 10)));
    }
    if (body == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    api->reply_header(req, "cache-control", "no-store");
    api->reply_json(req, p->status, body);
}

/* Answers `status` with the broadcast's JSON text (from PostgreSQL) and its delivery counters (from Redis). */
static void reply_progress(cong_req_t *req, int status, const char *id, const char *json)
{
    const cong_api_t *api = push_api;
    progress_t *p = api->req_alloc(req, sizeof *p);
    size_t len = strlen(json);
    if (p == NULL || (p->json = api->req_alloc(req, len + 1)) == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    memcpy(p->json, json, len + 1);
    p->status = status;
    snprintf(p->key, sizeof p->key, PUSH_BROADCAST_PROGRESS_KEY_FMT, id);
    const char *argv[] = {"HMGET", p->key, "devices_sent", "devices_failed"};
    size_t argvlen[] = {5, strlen(p->key), 12, 14};
    int rc = api->redis_command(req, 4, argv, argvlen, on_counters, p);
    if (rc != 0)
        push_reply_store_error(req, rc);
}

static void on_created(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = push_api;
    if (err != 0 || api->pg_ntuples(res) != 1)
        return push_reply_store_error(req, err != 0 ? err : CONG_EIO);
    const char *problem = api->pg_is_null(res, 0, 1) ? NULL : api->pg_value(res, 0, 1);
    if (problem != NULL && strcmp(problem, "forbidden") == 0)
        return forbidden(req);
    if (problem != NULL && strcmp(problem, "unknown-ward") == 0)
        return invalid(req, json_pack("[{s:s, s:s}]", "field", "area.ward_code", "code", "unknown-ward"));
    if (problem != NULL)
        return (void)api->reply_problem(req, 422, "idempotency-key-reused",
                                        "Khoá Idempotency-Key này đã dùng cho một thông báo chung khác.",
                                        "This Idempotency-Key was used for another broadcast.");
    json_t *body = json_loads(api->pg_value(res, 0, 2), 0, NULL);
    if (body == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    char location[64];
    snprintf(location, sizeof location, "/v1/broadcasts/%s", json_string_value(json_object_get(body, "id")));
    if (api->pg_value(res, 0, 3)[0] == 't')
        api->reply_header(req, "idempotent-replayed", "true");
    api->reply_header(req, "location", location);
    api->reply_header(req, "cache-control", "no-store");
    api->reply_json(req, 201, body);
}

static const char *text_of(json_t *body, const char *name, const char *lang)
{
    return json_string_value(json_object_get(json_object_get(body, name), lang));
}

static void create(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = push_api;
    size_t key_len = 0;
    const char *key = api->req_header(req, "idempotency-key", &key_len);
    char *key_copy = key_ok(key, key_len) ? api->req_alloc(req, key_len + 1) : NULL;
    if (key_copy == NULL)
        return (void)api->reply_problem(req, 400, "idempotency-key-required",
                                        "Cần tiêu đề Idempotency-Key (1–255 ký tự ASCII in được) để gửi lại an toàn.",
                                        "An Idempotency-Key header (1-255 printable ASCII characters) is required, "
                                        "so that a retried request never sends a broadcast twice.");
    memcpy(key_copy, key, key_len);
    json_t *body = api->req_json(req);
    if (!json_is_object(body))
        return (void)api->reply_problem(req, 400, "invalid-json", NULL, NULL);
    json_t *errors = push_broadcast_request_errors(body);
    if (errors == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    if (json_array_size(errors) > 0)
        return invalid(req, errors);
    json_decref(errors);
    json_t *area = json_object_get(body, "area");
    const char *kind = json_string_value(json_object_get(area, "kind"));
    const char *params[] = {api->req_principal(req)->subject, key_copy, kind,
                            strcmp(kind, "ward") == 0 ? json_string_value(json_object_get(area, "ward_code")) : NULL,
                            text_of(body, "title", "vi"), text_of(body, "body", "vi"), text_of(body, "title", "en"),
                            text_of(body, "body", "en"), api->req_id(req)};
    push_query(req,
               "SELECT http_status, problem, body, replayed FROM push_broadcast_create($1, $2, $3, $4, $5, $6, $7, $8, "
               "$9)",
               9, params, on_created, NULL);
}

/* The row's answer (status, broadcast JSON) for GET and DELETE: 404, 409 conflict, or the progress. */
static void on_row(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = push_api;
    if (err != 0)
        return push_reply_store_error(req, err);
    int status = api->pg_ntuples(res) == 1 ? atoi(api->pg_value(res, 0, 0)) : 404;
    if (status == 404)
        return not_found(req);
    if (status == 403)
        return forbidden(req);
    if (status == 409)
        return (void)api->reply_problem(req, 409, "conflict", "Thông báo chung này đã gửi xong, không thể hủy.",
                                        "This broadcast has been sent to everyone already: it cannot be cancelled.");
    reply_progress(req, status, api->req_path_param(req, "id", NULL), api->pg_value(res, 0, 1));
}

static void show(cong_req_t *req, void *udata)
{
    (void)udata;
    const char *id = push_api->req_path_param(req, "id", NULL);
    if (!push_item_id_ok(id))
        return not_found(req);
    const char *params[] = {id};
    push_query(req, "SELECT 200, push_broadcast_json(b) FROM push_broadcasts b WHERE b.id = $1::bigint", 1, params,
               on_row, NULL);
}

static void cancel(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = push_api;
    const char *id = api->req_path_param(req, "id", NULL);
    if (!push_item_id_ok(id))
        return not_found(req);
    const char *params[] = {api->req_principal(req)->subject, id, api->req_id(req)};
    push_query(req, "SELECT http_status, body FROM push_broadcast_cancel($1, $2::bigint, $3)", 3, params, on_row,
               NULL);
}

int push_broadcasts_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t routes[] = {
        {.size = sizeof(cong_route_def_t), .method = "POST", .path = "/v1/broadcasts", .handler = create,
         .auth = CONG_AUTH_REQUIRED, .scopes = "broadcast", .min_loa = 2, .operation_id = "createBroadcast",
         .max_body_bytes = 16384, .mandate_action = NULL},
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/broadcasts/{id}", .handler = show,
         .auth = CONG_AUTH_REQUIRED, .scopes = "broadcast", .min_loa = 2, .operation_id = "getBroadcast",
         .mandate_action = NULL},
        {.size = sizeof(cong_route_def_t), .method = "DELETE", .path = "/v1/broadcasts/{id}", .handler = cancel,
         .auth = CONG_AUTH_REQUIRED, .scopes = "broadcast", .min_loa = 2, .operation_id = "cancelBroadcast",
         .mandate_action = NULL},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        int rc = push_api->register_route(ctx, &routes[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}
