/*
 * The ticket holder's side of the queue.
 *
 *   GET  /v1/me/queue/tickets                 my tickets of today, across units, each with its place
 *   GET  /v1/me/queue/tickets/{id}            one of my tickets (any day), with its place
 *   POST /v1/me/queue/tickets/{id}/cancel     I give up a waiting ticket
 *
 * Cheap to poll: each read is one indexed statement (today's: queue_tickets_holder (subject, day); one: the primary
 * key), and the place of a waiting ticket is queue_ticket_position's, the same as the answer to a take. A ticket of
 * someone else is 404, never 403: its existence is not revealed.
 *
 * A cancel is POST .../cancel like the project's other changes of state (a mandate's withdraw, a dossier's
 * withdraw). Only a waiting ticket: once called, served, absent or cancelled, 409 queue-ticket-not-waiting with its
 * state. It locks the row (queue_ticket_cancel): a cancel and an official's call of the same ticket never both win.
 * 200 only after the commit with its audit record; then the unit's view snapshot is dropped, as after every change.
 *
 * Level 1, the holder only: every route's mandate_action is NULL, so acting for someone is refused by the gateway
 * (403 mandate-does-not-cover) — why, in queue.h.
 */
#include <string.h>

#include "queue.h"

static void not_found(cong_req_t *req)
{
    queue_api->reply_problem(req, 404, "not-found", "Không có số thứ tự này của bạn.",
                             "You hold no such queue ticket.");
}

/* A row's ticket as the holder is shown it, or NULL (logged). */
static json_t *holder_ticket(const char *text)
{
    json_t *ticket = json_loads(text, 0, NULL);
    if (queue_place(ticket, queue_config.measured_min_tickets, queue_config.minutes_per_ticket) != 0) {
        queue_api->log(CONG_LOG_ERROR, QUEUE_MODULE, "a ticket's row is not a JSON object");
        json_decref(ticket);
        return NULL;
    }
    return ticket;
}

static void reply_no_store(cong_req_t *req, int status, json_t *body)
{
    queue_api->reply_header(req, "cache-control", "no-store");
    queue_api->reply_json(req, status, body);
}

static void on_listed(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    const cong_api_t *api = queue_api;
    if (err != 0)
        return queue_reply_store_error(req, err);
    json_t *tickets = json_array();
    for (int i = 0; tickets != NULL && i < api->pg_ntuples(res); i++) {
        json_t *ticket = holder_ticket(api->pg_value(res, i, 0));
        if (ticket == NULL || json_array_append_new(tickets, ticket) != 0) {
            json_decref(tickets);
            tickets = NULL;
        }
    }
    json_t *body = tickets != NULL ? json_pack("{s:s, s:o}", "day", (const char *)udata, "tickets", tickets) : NULL;
    if (body == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    reply_no_store(req, 200, body);
}

static void list(cong_req_t *req, void *udata)
{
    (void)udata;
    const char *day = queue_today(req, NULL, NULL);
    if (day == NULL)
        return;
    const char *params[] = {queue_api->req_principal(req)->subject, day};
    queue_query(req,
                "SELECT queue_holder_json(t) FROM queue_tickets t WHERE t.subject = $1 AND t.day = $2::date "
                "ORDER BY t.taken_at, t.number",
                2, params, on_listed, (void *)day);
}

static void on_one(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = queue_api;
    if (err != 0)
        return queue_reply_store_error(req, err);
    if (api->pg_ntuples(res) != 1)
        return not_found(req);
    json_t *ticket = holder_ticket(api->pg_value(res, 0, 0));
    if (ticket == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    reply_no_store(req, 200, ticket);
}

/* The {id} of the path when it is a ticket id; else a 404 is answered and NULL returned. */
static const char *ticket_id(cong_req_t *req)
{
    const char *id = queue_api->req_path_param(req, "id", NULL);
    if (queue_id_ok(id))
        return id;
    not_found(req);
    return NULL;
}

static void one(cong_req_t *req, void *udata)
{
    (void)udata;
    const char *id = ticket_id(req);
    if (id == NULL)
        return;
    const char *params[] = {id, queue_api->req_principal(req)->subject};
    queue_query(req, "SELECT queue_holder_json(t) FROM queue_tickets t WHERE t.id = $1::uuid AND t.subject = $2", 2,
                params, on_one, NULL);
}

static void not_waiting(cong_req_t *req, json_t *ticket)
{
    json_t *state = json_incref(json_object_get(ticket, "state"));
    json_decref(ticket);
    queue_api->reply_problem_ext(req, 409, "queue-ticket-not-waiting", NULL, NULL,
                                 json_pack("{s:o?}", "state", state));
}

static void on_cancelled(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = queue_api;
    if (err != 0 || api->pg_ntuples(res) != 1)
        return queue_reply_store_error(req, err != 0 ? err : CONG_EIO);
    const char *outcome = api->pg_value(res, 0, 0);
    if (strcmp(outcome, "not-found") == 0)
        return not_found(req);
    json_t *ticket = holder_ticket(api->pg_value(res, 0, 1));
    if (ticket == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    if (strcmp(outcome, "not-waiting") == 0)
        return not_waiting(req, ticket);
    const char *unit = json_string_value(json_object_get(ticket, "unit"));
    const char *day = json_string_value(json_object_get(ticket, "day"));
    if (unit != NULL && day != NULL)
        queue_view_forget(req, unit, day);
    reply_no_store(req, 200, ticket);
}

static void cancel(cong_req_t *req, void *udata)
{
    (void)udata;
    const char *id = ticket_id(req);
    if (id == NULL)
        return;
    const cong_api_t *api = queue_api;
    const char *params[] = {api->req_principal(req)->subject, id, api->req_id(req)};
    queue_query(req, "SELECT outcome, body FROM queue_ticket_cancel($1, $2::uuid, $3)", 3, params, on_cancelled,
                NULL);
}

int queue_holder_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t routes[] = {
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/me/queue/tickets", .handler = list,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "listMyQueueTickets", .mandate_action = NULL},
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/me/queue/tickets/{id}", .handler = one,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "getMyQueueTicket", .mandate_action = NULL},
        {.size = sizeof(cong_route_def_t), .method = "POST", .path = "/v1/me/queue/tickets/{id}/cancel",
         .handler = cancel, .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "cancelMyQueueTicket",
         .max_body_bytes = 1024, .mandate_action = NULL},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        int rc = queue_api->register_route(ctx, &routes[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}
