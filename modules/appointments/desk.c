/*
 * The officials' side of appointments.
 *
 *   PUT /v1/desk/units/{code}/appointment-schedules/{domain}   publishes the unit's schedule for a domain
 *   GET /v1/desk/units/{code}/appointments?date=&domain=        the unit's bookings of one day
 *
 * PUT: an official of the unit publishes its schedule for a procedure domain the unit handles: {"weekdays": [1..7]
 * (ISO; default Monday..Friday, so weekends only when listed), "periods": [{"start": "08:00", "end": "11:30"}, ...],
 * "slot_minutes", "capacity"}. It replaces the previous one; slots already booked keep their seats (the capacity of
 * future slots follows the new one). Holidays are always closed. Audited (appointment.schedule).
 *
 * GET: the held (not past their hold) and confirmed appointments of a local day (YYYY-MM-DD, default today in Hanoi),
 * of one domain or all, by slot start, at most APPT_DESK_LIST_MAX ("truncated" says more exist). Each item is the
 * holder's view of it (appointment_json): never who holds it, like the queue's and the dossiers' desks. Every item
 * shown is audited (appointment.list, subject the holder) by the statement that reads it.
 *
 * Who is an official of which unit is the procedures module's rule (user_roles, read on every request by
 * appointment_official_refusal): not an official, or not of this unit, 403 (an unknown unit too: nobody serves it).
 * Level 2, like the dossiers' desk. Audit records name the official (actor_kind official).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "appointments.h"

static void on_outcome(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = appt_api;
    if (err != 0 || api->pg_ntuples(res) != 1)
        return appt_reply_store_error(req, err != 0 ? err : CONG_EIO);
    appt_reply_outcome(req, api->pg_value(res, 0, 0), api->pg_value(res, 0, 1));
}

/* The SQL's array literal of the weekday bits, e.g. "{1,2,3,4,5}". */
static void weekdays_literal(unsigned bits, char out[32])
{
    size_t n = 0;
    out[n++] = '{';
    for (int d = 1; d <= 7; d++)
        if (bits & (1u << d))
            n += (size_t)snprintf(out + n, 32 - n, "%s%d", n > 1 ? "," : "", d);
    out[n++] = '}';
    out[n] = '\0';
}

static json_t *periods_json(const appt_schedule_t *s)
{
    json_t *list = json_array();
    for (int i = 0; i < s->nperiods; i++) {
        char start[16], end[16];
        unsigned a = (unsigned)s->periods[i].start_min, b = (unsigned)s->periods[i].end_min; /* 0..1440 */
        snprintf(start, sizeof start, "%02u:%02u", a / 60 % 100u, a % 60);
        snprintf(end, sizeof end, "%02u:%02u", b / 60 % 100u, b % 60);
        json_array_append_new(list, json_pack("{s:s, s:s}", "start", start, "end", end));
    }
    return list;
}

static void put_schedule(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = appt_api;
    const char *unit = api->req_path_param(req, "code", NULL), *domain = api->req_path_param(req, "domain", NULL);
    if (!appt_code_ok(unit) || !appt_code_ok(domain))
        return (void)api->reply_problem(req, 404, "not-found", NULL, NULL);
    json_t *body = api->req_json(req);
    if (!json_is_object(body))
        return (void)api->reply_problem(req, 400, "invalid-json", NULL, NULL);
    appt_schedule_t s;
    const char *field = NULL, *code = NULL;
    if (appt_schedule_parse(body, &s, &field, &code) != 0) {
        json_t *errors = json_pack("[{s:s, s:s}]", "field", field, "code", code);
        return (void)api->reply_problem_ext(req, 422, "validation-failed", NULL, NULL,
                                            json_pack("{s:o}", "errors", errors));
    }
    char weekdays[32], slot[16], capacity[16];
    weekdays_literal(s.weekdays, weekdays);
    snprintf(slot, sizeof slot, "%d", s.slot_minutes);
    snprintf(capacity, sizeof capacity, "%d", s.capacity);
    json_t *periods = periods_json(&s);
    char *periods_text = json_dumps(periods, JSON_COMPACT);
    json_decref(periods);
    char *periods_copy = periods_text != NULL ? appt_strdup(req, periods_text) : NULL;
    free(periods_text);
    if (periods_copy == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    const char *params[] = {api->req_principal(req)->subject, unit, domain, weekdays, periods_copy, slot, capacity,
                            api->req_id(req)};
    appt_query(req,
               "SELECT http_status, body FROM appointment_schedule_put($1, $2, $3, $4::smallint[], $5::jsonb, $6::int, "
               "$7::int, $8)",
               8, params, on_outcome, NULL);
}

static void invalid(cong_req_t *req, const char *field, const char *code)
{
    json_t *errors = json_pack("[{s:s, s:s}]", "field", field, "code", code);
    appt_api->reply_problem_ext(req, 422, "validation-failed", NULL, NULL, json_pack("{s:o}", "errors", errors));
}

static void list_bookings(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = appt_api;
    const char *unit = api->req_path_param(req, "code", NULL);
    if (!appt_code_ok(unit))
        return (void)api->reply_problem(req, 404, "not-found", NULL, NULL);
    const char *date = api->req_query_param(req, "date", NULL), *domain = api->req_query_param(req, "domain", NULL);
    long long day = appt_day_of(time(NULL));
    if (date != NULL && appt_date_parse(date, &day) != 0)
        return invalid(req, "date", "invalid-format");
    if (domain != NULL && domain[0] == '\0')
        domain = NULL; /* "domain=": every domain */
    if (domain != NULL && !appt_code_ok(domain))
        return invalid(req, "domain", "invalid");
    char day_text[APPT_DATE_SIZE], limit[16];
    appt_date_format(day, day_text);
    snprintf(limit, sizeof limit, "%d", APPT_DESK_LIST_MAX);
    const char *params[] = {api->req_principal(req)->subject, unit, day_text, domain, limit, api->req_id(req)};
    appt_query(req, "SELECT http_status, body FROM appointment_desk_list($1, $2, $3::date, $4, $5::int, $6)", 6,
               params, on_outcome, NULL);
}

int appt_desk_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t routes[] = {
        {.size = sizeof(cong_route_def_t), .method = "PUT",
         .path = "/v1/desk/units/{code}/appointment-schedules/{domain}", .handler = put_schedule,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 2, .operation_id = "putAppointmentSchedule", .max_body_bytes = 4096},
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/desk/units/{code}/appointments",
         .handler = list_bookings, .auth = CONG_AUTH_REQUIRED, .min_loa = 2,
         .operation_id = "listUnitAppointments"},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        int rc = appt_api->register_route(ctx, &routes[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}
