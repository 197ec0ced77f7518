/*
 * The officials' side of the queue.
 *
 *   POST /v1/desk/units/{code}/queue/next {counter, domain?}        calls the next waiting number at a counter
 *   POST /v1/desk/units/{code}/queue/tickets/{id}/served            marks a called ticket served
 *   POST /v1/desk/units/{code}/queue/tickets/{id}/absent            ... or its holder absent
 *
 * Who is an official of which unit is the procedures module's rule (user_roles, read on every request by
 * queue_official_refusal): not an official at all, or not of this unit, 403; a ticket of another unit, 404. Level 2,
 * like the dossiers' desk. Each action commits with its audit record (actor_kind 'official', subject the ticket's
 * holder); a call also with the holder's push event (push_outbox, topic 'queue.called'). Two counters calling at once
 * get two different tickets (FOR UPDATE SKIP LOCKED in queue_call_next).
 */
#include <jansson.h>
#include <string.h>

#include "queue.h"

typedef struct desk_call {
    const char *unit, *day;
} desk_call_t;

/* An outcome every desk function may answer; 1 when answered. */
static int refused(cong_req_t *req, const char *outcome)
{
    const cong_api_t *api = queue_api;
    if (strcmp(outcome, "not-official") == 0)
        api->reply_problem(req, 403, "forbidden", "Bạn không phải cán bộ của đơn vị nào.",
                           "You are not an official of any unit.");
    else if (strcmp(outcome, "not-your-unit") == 0)
        api->reply_problem(req, 403, "forbidden", "Bạn không phục vụ đơn vị này.", "You do not serve this unit.");
    else
        return 0;
    return 1;
}

static void on_called(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    const cong_api_t *api = queue_api;
    desk_call_t *c = udata;
    if (err != 0 || api->pg_ntuples(res) != 1)
        return queue_reply_store_error(req, err != 0 ? err : CONG_EIO);
    const char *outcome = api->pg_value(res, 0, 0);
    if (refused(req, outcome))
        return;
    if (strcmp(outcome, "empty") == 0)
        return (void)api->reply_problem(req, 409, "queue-empty", NULL, NULL);
    queue_view_forget(req, c->unit, c->day);
    queue_reply_json_text(req, 200, api->pg_value(res, 0, 1));
}

static void invalid(cong_req_t *req, const char *field, const char *code)
{
    json_t *errors = json_pack("[{s:s, s:s}]", "field", field, "code", code);
    queue_api->reply_problem_ext(req, 422, "validation-failed", NULL, NULL, json_pack("{s:o}", "errors", errors));
}

static void call_next(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = queue_api;
    size_t len = 0;
    desk_call_t *c = api->req_alloc(req, sizeof *c);
    if (c == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    c->unit = api->req_path_param(req, "code", &len);
    if (!queue_code_ok(c->unit))
        return (void)api->reply_problem(req, 404, "not-found", NULL, NULL);
    json_t *body = api->req_json(req);
    if (!json_is_object(body))
        return (void)api->reply_problem(req, 400, "invalid-json", NULL, NULL);
    const char *counter = json_string_value(json_object_get(body, "counter"));
    const json_t *domain = json_object_get(body, "domain");
    if (counter == NULL || !queue_code_ok(counter))
        return invalid(req, "counter", counter == NULL ? "required" : "invalid-format");
    if (domain != NULL && !json_is_null(domain) && !queue_code_ok(json_string_value(domain)))
        return invalid(req, "domain", "invalid-format");
    c->day = queue_today(req, NULL, NULL);
    if (c->day == NULL)
        return;
    const char *params[] = {api->req_principal(req)->subject, c->unit, c->day, counter, json_string_value(domain),
                            api->req_id(req)};
    queue_query(req, "SELECT outcome, body FROM queue_call_next($1, $2, $3::date, $4, $5, $6)", 6, params,
                on_called, c);
}

static void on_finished(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = queue_api;
    if (err != 0 || api->pg_ntuples(res) != 1)
        return queue_reply_store_error(req, err != 0 ? err : CONG_EIO);
    const char *outcome = api->pg_value(res, 0, 0);
    if (refused(req, outcome))
        return;
    if (strcmp(outcome, "not-found") == 0)
        return (void)api->reply_problem(req, 404, "not-found", NULL, NULL);
    if (strcmp(outcome, "conflict") == 0) {
        json_t *ticket = json_loads(api->pg_value(res, 0, 1), 0, NULL);
        json_t *state = json_incref(json_object_get(ticket, "state"));
        json_decref(ticket);
        api->reply_problem_ext(req, 409, "conflict", "Số này chưa được gọi hoặc đã được xử lý.",
                               "This number has not been called, or was dealt with already.",
                               json_pack("{s:o?}", "state", state));
        return;
    }
    queue_reply_json_text(req, 200, api->pg_value(res, 0, 1)); /* done, or unchanged: the same answer again */
}

/* udata: the state the route sets, "served" or "absent". */
static void finish(cong_req_t *req, void *udata)
{
    const cong_api_t *api = queue_api;
    size_t len = 0;
    const char *unit = api->req_path_param(req, "code", &len);
    const char *id = api->req_path_param(req, "id", &len);
    if (!queue_code_ok(unit) || !queue_id_ok(id))
        return (void)api->reply_problem(req, 404, "not-found", NULL, NULL);
    const char *params[] = {api->req_principal(req)->subject, unit, id, udata, api->req_id(req)};
    queue_query(req, "SELECT outcome, body FROM queue_ticket_finish($1, $2, $3::uuid, $4, $5)", 5, params,
                on_finished, NULL);
}

int queue_desk_register(cong_module_ctx_t *ctx)
{
    static char served[] = "served", absent[] = "absent";
    const cong_route_def_t routes[] = {
        {.size = sizeof(cong_route_def_t), .method = "POST", .path = "/v1/desk/units/{code}/queue/next",
         .handler = call_next, .auth = CONG_AUTH_REQUIRED, .min_loa = 2, .operation_id = "callNextQueueTicket",
         .max_body_bytes = 1024},
        {.size = sizeof(cong_route_def_t), .method = "POST", .path = "/v1/desk/units/{code}/queue/tickets/{id}/served",
         .handler = finish, .udata = served, .auth = CONG_AUTH_REQUIRED, .min_loa = 2,
         .operation_id = "markQueueTicketServed"},
        {.size = sizeof(cong_route_def_t), .method = "POST", .path = "/v1/desk/units/{code}/queue/tickets/{id}/absent",
         .handler = finish, .udata = absent, .auth = CONG_AUTH_REQUIRED, .min_loa = 2,
         .operation_id = "markQueueTicketAbsent"},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        int rc = queue_api->register_route(ctx, &routes[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}
