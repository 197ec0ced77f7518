/*
 * GET /v1/units/{code}/slots?domain=&from=&to= — the slots a unit offers for a domain on local days from..to
 * (YYYY-MM-DD; default today and the six days after; at most APPT_RANGE_DAYS_MAX days, never beyond horizon_days),
 * each with its start and end (ISO 8601, +07:00), its capacity and the seats remaining. Public (CONG_AUTH_NONE): it
 * names nobody; clients may cache it slots_max_age_s (a few seconds: the booking itself is what decides).
 *
 * The slots are generated here from the schedule (slots.c) — no holiday, no weekday the schedule does not list, none
 * already begun — and the seats taken are merged in from appointment_slots, all read in one query.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appointments.h"

typedef struct viewing {
    const char *unit, *domain;
    long long from, to, now;
} viewing_t;

static void invalid(cong_req_t *req, const char *field, const char *code)
{
    json_t *errors = json_pack("[{s:s, s:s}]", "field", field, "code", code);
    appt_api->reply_problem_ext(req, 422, "validation-failed", NULL, NULL, json_pack("{s:o}", "errors", errors));
}

static void reply_slots(cong_req_t *req, const viewing_t *v, json_t *slots, const appt_schedule_t *s)
{
    const cong_api_t *api = appt_api;
    char from[APPT_DATE_SIZE], to[APPT_DATE_SIZE], control[48];
    appt_date_format(v->from, from);
    appt_date_format(v->to, to);
    json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:o}", "unit", v->unit, "domain", v->domain, "from", from, "to", to,
                             "slots", slots);
    if (s != NULL) {
        json_object_set_new(body, "slot_minutes", json_integer(s->slot_minutes));
        json_object_set_new(body, "capacity", json_integer(s->capacity));
    }
    if (appt_config.slots_max_age_s > 0)
        snprintf(control, sizeof control, "public, max-age=%d", appt_config.slots_max_age_s);
    else
        snprintf(control, sizeof control, "public, no-cache");
    api->reply_header(req, "cache-control", control);
    api->reply_json(req, 200, body);
}

/* The generated slots with the seats taken of those that have a counter row (both lists in time order). */
static json_t *merge(const appt_schedule_t *s, const appt_slot_t *slots, int n, const json_t *taken)
{
    json_t *out = json_array();
    size_t t = 0, nt = json_array_size(taken);
    for (int i = 0; i < n; i++) {
        long long used = 0, capacity = s->capacity;
        while (t < nt && json_integer_value(json_array_get(json_array_get(taken, t), 0)) < slots[i].starts_at)
            t++;
        const json_t *row = json_array_get(taken, t);
        if (t < nt && json_integer_value(json_array_get(row, 0)) == slots[i].starts_at) {
            used = json_integer_value(json_array_get(row, 1));
            capacity = json_integer_value(json_array_get(row, 2));
        }
        char start[APPT_ISO_SIZE], end[APPT_ISO_SIZE];
        appt_iso_format(slots[i].starts_at, start);
        appt_iso_format(slots[i].starts_at + s->slot_minutes * 60LL, end);
        json_array_append_new(out, json_pack("{s:s, s:s, s:I, s:I}", "slot", start, "ends_at", end, "capacity",
                                             (json_int_t)capacity,
                                             "remaining", (json_int_t)(used < capacity ? capacity - used : 0)));
    }
    return out;
}

static void on_basis(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    const cong_api_t *api = appt_api;
    viewing_t *v = udata;
    if (err != 0 || api->pg_ntuples(res) != 1)
        return appt_reply_store_error(req, err != 0 ? err : CONG_EIO);
    if (api->pg_is_null(res, 0, 0))
        return (void)api->reply_problem(req, 404, "not-found", "Không có đơn vị này.", "There is no such unit.");
    json_t *basis = json_loads(api->pg_value(res, 0, 0), 0, NULL);
    if (!json_is_true(json_object_get(basis, "domain_known"))) {
        json_decref(basis);
        return invalid(req, "domain", "unknown-domain");
    }
    const json_t *schedule = json_object_get(basis, "schedule");
    appt_schedule_t s;
    const char *field = NULL, *code = NULL;
    if (json_is_null(schedule) || schedule == NULL) {
        json_decref(basis);
        return reply_slots(req, v, json_array(), NULL);
    }
    long long closed[APPT_RANGE_DAYS_MAX];
    size_t nclosed = 0, i;
    const json_t *day;
    json_array_foreach(json_object_get(basis, "holidays"), i, day) {
        if (nclosed < APPT_RANGE_DAYS_MAX && appt_date_parse(json_string_value(day), &closed[nclosed]) == 0)
            nclosed++;
    }
    appt_slot_t *slots = api->req_alloc(req, sizeof *slots * APPT_SLOTS_MAX);
    int n = -1;
    if (slots != NULL && appt_schedule_parse(schedule, &s, &field, &code) == 0)
        n = appt_slots_generate(&s, v->from, v->to, closed, nclosed, v->now, slots, APPT_SLOTS_MAX);
    if (n < 0) {
        json_decref(basis);
        api->log(CONG_LOG_ERROR, APPT_MODULE, "the schedule of %s/%s cannot be read or has too many slots", v->unit,
                 v->domain);
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    }
    json_t *list = merge(&s, slots, n, json_object_get(basis, "taken"));
    json_decref(basis);
    reply_slots(req, v, list, &s);
}

/* from/to of the query (a default when absent): 0, or an answered 422. */
static int read_range(cong_req_t *req, viewing_t *v)
{
    const cong_api_t *api = appt_api;
    long long today = appt_day_of((time_t)v->now);
    const char *from = api->req_query_param(req, "from", NULL), *to = api->req_query_param(req, "to", NULL);
    v->from = today;
    if (from != NULL && appt_date_parse(from, &v->from) != 0)
        return invalid(req, "from", "invalid-format"), -1;
    v->to = v->from + 6;
    if (to != NULL && appt_date_parse(to, &v->to) != 0)
        return invalid(req, "to", "invalid-format"), -1;
    if (v->to < v->from || v->to - v->from + 1 > APPT_RANGE_DAYS_MAX)
        return invalid(req, "to", "range-too-long"), -1;
    if (v->to > today + appt_config.horizon_days)
        v->to = today + appt_config.horizon_days;
    if (v->from < today)
        v->from = today;
    if (v->to < v->from) /* wholly in the past or beyond the horizon: no slot */
        v->to = v->from - 1;
    return 0;
}

static void list_slots(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = appt_api;
    viewing_t *v = api->req_alloc(req, sizeof *v);
    if (v == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    v->unit = api->req_path_param(req, "code", NULL);
    if (!appt_code_ok(v->unit))
        return (void)api->reply_problem(req, 404, "not-found", "Không có đơn vị này.", "There is no such unit.");
    v->domain = api->req_query_param(req, "domain", NULL);
    if (v->domain == NULL)
        return invalid(req, "domain", "required");
    if (!appt_code_ok(v->domain))
        return invalid(req, "domain", "unknown-domain");
    v->now = (long long)time(NULL);
    if (read_range(req, v) != 0)
        return;
    char from[APPT_DATE_SIZE], to[APPT_DATE_SIZE];
    appt_date_format(v->from, from);
    appt_date_format(v->to < v->from ? v->from : v->to, to);
    const char *params[] = {v->unit, v->domain, from, to};
    appt_query(req, "SELECT appointment_slots_basis($1, $2, $3::date, $4::date)", 4, params, on_basis, v);
}

int appt_availability_register(cong_module_ctx_t *ctx)
{
    cong_route_def_t def = {.size = sizeof def, .method = "GET", .path = "/v1/units/{code}/slots",
                            .handler = list_slots, .auth = CONG_AUTH_NONE, .min_loa = 0,
                            .operation_id = "listUnitSlots"};
    return appt_api->register_route(ctx, &def);
}
