/*
 * A person's inbox: what happened to their affairs, as the push_outbox trigger wrote it (push.h).
 *
 *   GET    /v1/me/inbox?cursor=&limit=    {items: [{id, topic, title, body, data, created_at, read}], unread,
 *                                          next_cursor}: newest first, texts in the request's language
 *   POST   /v1/me/inbox/{id}/read         204, also when read already
 *   DELETE /v1/me/inbox/{id}              204, also when deleted already: the row stays (deleted_at), out of the
 *                                          list and the unread count
 *
 * An item is the reader's own push_inbox row or a broadcast of their area (fan-out on read: migrations/
 * 0002_broadcasts.sql, push_inbox_page and push_inbox_mark; one id space, so one cursor). Reading or deleting a
 * broadcast writes the reader's mark on it. Each is one statement. Another person's item is 404, never 403.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "push.h"

static void not_found(cong_req_t *req)
{
    push_api->reply_problem(req, 404, "not-found", "Không có thông báo này của bạn.",
                            "You have no such notification.");
}

static void invalid(cong_req_t *req, const char *field, const char *code)
{
    push_api->reply_problem_ext(req, 422, "validation-failed", "Tham số không hợp lệ.", "A parameter is not valid.",
                                json_pack("{s:[{s:s, s:s}]}", "errors", "field", field, "code", code));
}

static void on_page(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = push_api;
    if (err != 0 || api->pg_ntuples(res) != 1)
        return push_reply_store_error(req, err != 0 ? err : CONG_EIO);
    json_t *items = json_loads(api->pg_value(res, 0, 1), 0, NULL);
    json_t *next = json_null();
    if (!api->pg_is_null(res, 0, 2)) {
        char cursor[PUSH_CURSOR_SIZE];
        push_cursor_encode(strtoll(api->pg_value(res, 0, 2), NULL, 10), cursor);
        next = json_string(cursor);
    }
    json_t *body = json_pack("{s:o?, s:I, s:o?}", "items", items, "unread",
                             (json_int_t)strtoll(api->pg_value(res, 0, 0), NULL, 10), "next_cursor", next);
    if (items == NULL || body == NULL) {
        json_decref(body);
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    }
    api->reply_header(req, "cache-control", "no-store");
    api->reply_json(req, 200, body);
}

static void list_inbox(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = push_api;
    const char *cursor = api->req_query_param(req, "cursor", NULL);
    const char *limit_text = api->req_query_param(req, "limit", NULL);
    char before[24] = "", limit[8];
    if (cursor != NULL && cursor[0] != '\0') {
        long long id = push_cursor_decode(cursor);
        if (id < 0)
            return invalid(req, "cursor", "invalid-cursor");
        snprintf(before, sizeof before, "%lld", id);
    }
    int n = push_config.inbox_page_size;
    if (limit_text != NULL && limit_text[0] != '\0') {
        char *end;
        long v = strtol(limit_text, &end, 10);
        if (*end != '\0' || v < 1 || v > PUSH_LIMIT_MAX)
            return invalid(req, "limit", "out-of-range");
        n = (int)v;
    }
    snprintf(limit, sizeof limit, "%d", n);
    const char *params[] = {api->req_principal(req)->subject, before[0] != '\0' ? before : NULL, limit,
                            api->req_lang_en(req) ? "true" : "false"};
    push_query(req, "SELECT unread, items, next_before FROM push_inbox_page($1, $2::bigint, $3::int, $4::boolean)",
               4, params, on_page, NULL);
}

static void on_changed(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    if (err != 0)
        return push_reply_store_error(req, err);
    if (push_api->pg_ntuples(res) != 1)
        return not_found(req);
    push_reply_no_content(req);
}

/* Runs `sql` ($1 the item's id, $2 the caller) for the {id} of the path; a 404 for an id that cannot be one. */
static void change_item(cong_req_t *req, const char *sql)
{
    const char *id = push_api->req_path_param(req, "id", NULL);
    if (!push_item_id_ok(id))
        return not_found(req);
    const char *params[] = {id, push_api->req_principal(req)->subject};
    push_query(req, sql, 2, params, on_changed, NULL);
}

static void read_item(cong_req_t *req, void *udata)
{
    (void)udata;
    change_item(req, "SELECT push_inbox_mark($2, $1::bigint, false)");
}

static void delete_item(cong_req_t *req, void *udata)
{
    (void)udata;
    change_item(req, "SELECT push_inbox_mark($2, $1::bigint, true)");
}

int push_inbox_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t routes[] = {
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/me/inbox", .handler = list_inbox,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "listMyInbox", .mandate_action = NULL},
        {.size = sizeof(cong_route_def_t), .method = "POST", .path = "/v1/me/inbox/{id}/read", .handler = read_item,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "readMyInboxItem", .max_body_bytes = 1024,
         .mandate_action = NULL},
        {.size = sizeof(cong_route_def_t), .method = "DELETE", .path = "/v1/me/inbox/{id}", .handler = delete_item,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "deleteMyInboxItem", .mandate_action = NULL},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        int rc = push_api->register_route(ctx, &routes[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}
