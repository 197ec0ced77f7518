/*
 * The holder's own appointments.
 *
 *   POST   /v1/appointments/{id}/confirm   confirms one's hold before it expires (409 hold-expired after)
 *   DELETE /v1/appointments/{id}           cancels one's hold or confirmed appointment not begun (the seat is free)
 *   GET    /v1/appointments/{id}           one's appointment (the list's item)
 *   GET    /v1/me/appointments             one's appointments, the latest slots first (at most APPT_LIST_MAX)
 *
 * Someone else's appointment, or no such id, is 404 (nobody learns that it exists). Confirming a confirmed one, or
 * cancelling a cancelled one, answers it again (200, nothing recorded twice). Each change commits with the holder's
 * push_outbox row (topic appointment.changed) and its audit record (appointment_change in the SQL).
 */
#include <stdio.h>
#include <string.h>

#include "appointments.h"

static int uuid_ok(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = s[i];
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}

static void on_changed(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = appt_api;
    if (err != 0 || api->pg_ntuples(res) != 1)
        return appt_reply_store_error(req, err != 0 ? err : CONG_EIO);
    appt_reply_outcome(req, api->pg_value(res, 0, 0), api->pg_value(res, 0, 1));
}

static void change(cong_req_t *req, const char *action)
{
    const cong_api_t *api = appt_api;
    const char *id = api->req_path_param(req, "id", NULL);
    if (!uuid_ok(id))
        return (void)api->reply_problem(req, 404, "not-found", NULL, NULL);
    const char *params[] = {api->req_principal(req)->subject, id, action, api->req_id(req)};
    appt_query(req, "SELECT http_status, body FROM appointment_change($1, $2::uuid, $3, $4)", 4, params, on_changed,
               NULL);
}

static void confirm(cong_req_t *req, void *udata)
{
    (void)udata;
    change(req, "confirm");
}

static void cancel(cong_req_t *req, void *udata)
{
    (void)udata;
    change(req, "cancel");
}

static void on_one(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = appt_api;
    if (err != 0)
        return appt_reply_store_error(req, err);
    if (api->pg_ntuples(res) != 1)
        return (void)api->reply_problem(req, 404, "not-found", NULL, NULL);
    appt_reply_outcome(req, "200", api->pg_value(res, 0, 0));
}

static void get_mine(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = appt_api;
    const char *id = api->req_path_param(req, "id", NULL);
    if (!uuid_ok(id))
        return (void)api->reply_problem(req, 404, "not-found", NULL, NULL);
    const char *params[] = {id, api->req_principal(req)->subject};
    appt_query(req, "SELECT appointment_json(a) FROM appointments a WHERE a.id = $1::uuid AND a.subject = $2", 2,
               params, on_one, NULL);
}

static void on_list(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = appt_api;
    if (err != 0 || api->pg_ntuples(res) != 1)
        return appt_reply_store_error(req, err != 0 ? err : CONG_EIO);
    appt_reply_outcome(req, "200", api->pg_value(res, 0, 0));
}

static void list_mine(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = appt_api;
    char limit[16];
    snprintf(limit, sizeof limit, "%d", APPT_LIST_MAX);
    const char *params[] = {api->req_principal(req)->subject, limit};
    appt_query(req, "SELECT appointment_list($1, $2::int)", 2, params, on_list, NULL);
}

int appt_change_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t routes[] = {
        {.size = sizeof(cong_route_def_t), .method = "POST", .path = "/v1/appointments/{id}/confirm",
         .handler = confirm, .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "confirmAppointment",
         .max_body_bytes = 1024},
        {.size = sizeof(cong_route_def_t), .method = "DELETE", .path = "/v1/appointments/{id}", .handler = cancel,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "cancelAppointment", .max_body_bytes = 1024},
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/appointments/{id}", .handler = get_mine,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "getAppointment"},
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/me/appointments", .handler = list_mine,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "listMyAppointments"},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        int rc = appt_api->register_route(ctx, &routes[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}
