/*
 * modules/procedures/kpi.c — the weekly figures of the units, public and read-only.
 *
 *   GET /v1/kpi/units?week=YYYY-Www        listUnitKpis    one row per unit (SQL kpi_units_rated)
 *   GET /v1/kpi/late-units?week=YYYY-Www   listLateUnits   units overdue, under the on-time threshold, or rated
 *                                                          under the satisfaction threshold (SQL kpi_late_units)
 *   GET /v1/kpi/trend?weeks=N&week=YYYY-Www getKpiTrend    city-wide on-time rate of the N weeks up to `week`
 *
 * `week` is optional (default: the current ISO week in Asia/Ho_Chi_Minh, UTC+7 all year round, no daylight saving)
 * and checked here, strictly, before anything reaches PostgreSQL: a bad one, or one outside the years the data can
 * cover (2020 to next year: an older week makes kpi_units read every rollup row before it), is 422 validation-failed.
 * Counts are JSON integers, on_time_rate a JSON number (percent, one decimal) or null when nothing was completed.
 * Each unit carries the week's `satisfaction` (ratings, mean stars, share of 4-5 stars, distribution of 1..5 stars):
 * SQL kpi_units_rated, joined with kpi_unit_satisfaction, which the feedback module owns (procedures migration 0011).
 * Answers are public: each worker serves one again for modules.procedures.kpi_cache_ttl_ms (kpi_cache.h), and
 * clients may keep them for a minute. PostgreSQL down or slow: 503 service-unavailable; any other store error: 500.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iso_week.h"
#include "kpi_cache.h"
#include "procedures.h"

#define api procedures_api /* the gateway's table (procedures.h), under its usual short name */
#define HANOI_UTC_OFFSET_S (7 * 3600)
#define TREND_DEFAULT_WEEKS 12
#define TREND_MAX_WEEKS 52
#define KPI_FIRST_YEAR 2020 /* the first year of the city's dossiers */
#define CACHE_CONTROL "public, max-age=60"

/* The week a request is about: its label and its first and last days as text. */
typedef struct kpi_week {
    char label[16];       /* "2026-W47" */
    char start[16];       /* "2026-11-16", a Monday */
    char end[16];         /* "2026-11-22", the Sunday */
    int weeks;            /* trend only: how many weeks */
    char cache_key[KPI_CACHE_KEY_BYTES]; /* route, week (and weeks) */
} kpi_week_t;

/* ---- replies ---- */

static void reply_store_error(cong_req_t *req, int err, const char *what)
{
    if (err == CONG_EUNAVAILABLE || err == CONG_ETIMEDOUT || err == CONG_EBUSY) {
        api->reply_problem(req, 503, "service-unavailable", "Chưa lấy được số liệu, vui lòng thử lại sau.",
                           "The figures could not be read; retry later.");
        return;
    }
    api->log(CONG_LOG_ERROR, PROCEDURES_MODULE, "kpi: %s failed: %s", what, api->strerror(err));
    api->reply_problem(req, 500, "internal-error", NULL, NULL);
}

static long long monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sends this worker's cached answer for the week's key: 1, or 0 when the caller must ask PostgreSQL. */
static int reply_from_cache(cong_req_t *req, const kpi_week_t *w)
{
    size_t len;
    const char *body = kpi_cache_get(w->cache_key, monotonic_ms(), procedures_config.kpi_cache_ttl_ms, &len);
    if (body == NULL)
        return 0;
    api->reply_header(req, "cache-control", CACHE_CONTROL);
    api->reply_text(req, 200, "application/json", body, len);
    return 1;
}

/* Replies with `body` (reference taken) and keeps it in this worker's cache under the week's key. */
static void reply_cached_json(cong_req_t *req, const kpi_week_t *w, json_t *body)
{
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    if (procedures_config.kpi_cache_ttl_ms > 0)
        kpi_cache_put(w->cache_key, text, strlen(text), monotonic_ms());
    api->reply_header(req, "cache-control", CACHE_CONTROL);
    api->reply_text(req, 200, "application/json", text, strlen(text));
    free(text);
}

/* ---- the request's week ---- */

static void reply_week_outside(cong_req_t *req, int last_year)
{
    char vi[160], en[160], last[16];
    iso_week_format(last_year, iso_weeks_in_year(last_year), last, sizeof last);
    snprintf(vi, sizeof vi, "Chỉ có số liệu cho các tuần từ %d-W01 đến %s.", KPI_FIRST_YEAR, last);
    snprintf(en, sizeof en, "Figures exist only for the weeks from %d-W01 to %s.", KPI_FIRST_YEAR, last);
    api->reply_problem(req, 422, "validation-failed", vi, en);
}

/* Fills `w` from the `week` query parameter, or the current week when it is absent; `route` starts its cache key.
 * 0, or -1 after a 422 reply. */
static int read_week(cong_req_t *req, const char *route, kpi_week_t *w)
{
    int year, week;
    const char *text = api->req_query_param(req, "week", NULL);
    long today = (long)((time(NULL) + HANOI_UTC_OFFSET_S) / 86400);
    iso_week_of_day(today, &year, &week);
    int next_year = year + 1;
    if (text != NULL) {
        int rc = iso_week_parse_within(text, KPI_FIRST_YEAR, next_year, &year, &week);
        if (rc == ISO_WEEK_SYNTAX) {
            api->reply_problem(req, 422, "validation-failed",
                               "Tham số week phải là tuần ISO dạng YYYY-Www, ví dụ 2026-W47.",
                               "The week parameter must be an ISO week written YYYY-Www, e.g. 2026-W47.");
            return -1;
        }
        if (rc == ISO_WEEK_RANGE) {
            api->reply_problem(req, 422, "validation-failed",
                               "Số tuần không tồn tại trong năm đó (tuần 01 đến 52, hoặc 53 nếu năm có 53 tuần).",
                               "That year has no such week (weeks 01 to 52, or 53 when the year has 53 weeks).");
            return -1;
        }
        if (rc == ISO_WEEK_OUTSIDE) {
            reply_week_outside(req, next_year);
            return -1;
        }
    }
    long monday = iso_week_monday(year, week);
    iso_week_format(year, week, w->label, sizeof w->label);
    iso_date_format(monday, w->start, sizeof w->start);
    iso_date_format(monday + 6, w->end, sizeof w->end);
    snprintf(w->cache_key, sizeof w->cache_key, "%s|%s", route, w->label);
    return 0;
}

/* `weeks`: an integer 1..52 written in plain digits, default 12. 0, or -1 after a 422 reply. */
static int read_weeks(cong_req_t *req, kpi_week_t *w)
{
    const char *text = api->req_query_param(req, "weeks", NULL);
    w->weeks = TREND_DEFAULT_WEEKS;
    if (text == NULL)
        return 0;
    long n = 0;
    size_t len = strlen(text);
    int ok = len >= 1 && len <= 2;
    for (size_t i = 0; ok && i < len; i++) {
        ok = text[i] >= '0' && text[i] <= '9';
        n = n * 10 + (text[i] - '0');
    }
    if (!ok || n < 1 || n > TREND_MAX_WEEKS) {
        api->reply_problem(req, 422, "validation-failed", "Tham số weeks phải là số nguyên từ 1 đến 52.",
                           "The weeks parameter must be an integer from 1 to 52.");
        return -1;
    }
    w->weeks = (int)n;
    size_t used = strlen(w->cache_key);
    snprintf(w->cache_key + used, sizeof w->cache_key - used, "|%d", w->weeks);
    return 0;
}

/* ---- PostgreSQL values to JSON ---- */

static json_t *pg_integer(const cong_pg_result_t *r, int row, int col)
{
    if (api->pg_is_null(r, row, col))
        return json_integer(0);
    return json_integer(strtoll(api->pg_value(r, row, col), NULL, 10));
}

static json_t *pg_rate(const cong_pg_result_t *r, int row, int col)
{
    if (api->pg_is_null(r, row, col))
        return json_null();
    return json_real(strtod(api->pg_value(r, row, col), NULL));
}

static json_t *pg_string(const cong_pg_result_t *r, int row, int col)
{
    return api->pg_is_null(r, row, col) ? json_null() : json_string(api->pg_value(r, row, col));
}

/* A JSON array written by PostgreSQL (to_json(text[])); an empty array when NULL or unreadable. */
static json_t *pg_json_array(const cong_pg_result_t *r, int row, int col)
{
    json_t *v = api->pg_is_null(r, row, col) ? NULL : json_loads(api->pg_value(r, row, col), 0, NULL);
    if (json_is_array(v))
        return v;
    json_decref(v);
    return json_array();
}

/* One unit's figures; the columns are in the order of UNIT_COLUMNS below. The satisfaction columns come from the
 * SQL seam kpi_unit_satisfaction (migration 0011), which the feedback module's migration fills. */
#define UNIT_COLUMNS                                                                                                 \
    "unit_code, unit_name, received, completed_on_time, completed_late, in_progress, overdue, on_time_rate, "       \
    "ratings, satisfaction_mean, satisfaction_share_4_5, to_json(satisfaction_distribution)::text"
#define UNIT_COLUMN_COUNT 12

/* The week's ratings of the unit: {ratings, mean, share_4_5, distribution [1..5 stars]}; nulls and zeros when none. */
static json_t *satisfaction_object(const cong_pg_result_t *r, int row)
{
    json_t *distribution = pg_json_array(r, row, 11);
    if (json_array_size(distribution) != 5) {
        json_decref(distribution);
        distribution = json_pack("[i, i, i, i, i]", 0, 0, 0, 0, 0);
    }
    return json_pack("{s:o, s:o, s:o, s:o}", "ratings", pg_integer(r, row, 8), "mean", pg_rate(r, row, 9),
                     "share_4_5", pg_rate(r, row, 10), "distribution", distribution);
}

static json_t *unit_object(const cong_pg_result_t *r, int row)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "unit_code", pg_string(r, row, 0), "unit_name",
                     pg_string(r, row, 1), "received", pg_integer(r, row, 2), "completed_on_time",
                     pg_integer(r, row, 3), "completed_late", pg_integer(r, row, 4), "in_progress",
                     pg_integer(r, row, 5), "overdue", pg_integer(r, row, 6), "on_time_rate", pg_rate(r, row, 7),
                     "satisfaction", satisfaction_object(r, row));
}

static json_t *week_object(const kpi_week_t *w, json_t *units)
{
    return json_pack("{s:s, s:s, s:s, s:o}", "week", w->label, "week_start", w->start, "week_end", w->end, "units",
                     units);
}

/* ---- GET /v1/kpi/units ---- */

static void on_units(cong_req_t *req, int err, const cong_pg_result_t *r, void *udata)
{
    if (err != 0) {
        reply_store_error(req, err, "kpi_units");
        return;
    }
    json_t *units = json_array();
    for (int i = 0; i < api->pg_ntuples(r); i++)
        json_array_append_new(units, unit_object(r, i));
    reply_cached_json(req, udata, week_object(udata, units));
}

static void list_unit_kpis(cong_req_t *req, void *udata)
{
    (void)udata;
    kpi_week_t *w = api->req_alloc(req, sizeof *w);
    if (w == NULL || read_week(req, "units", w) != 0) {
        if (w == NULL)
            api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    if (reply_from_cache(req, w))
        return;
    const char *params[] = {w->start};
    int rc = api->pg_query(req, "SELECT " UNIT_COLUMNS " FROM kpi_units_rated($1::date) ORDER BY unit_code", 1,
                           params, on_units, w);
    if (rc != 0)
        reply_store_error(req, rc, "kpi_units");
}

/* ---- GET /v1/kpi/late-units ---- */

static void on_late_units(cong_req_t *req, int err, const cong_pg_result_t *r, void *udata)
{
    if (err != 0) {
        reply_store_error(req, err, "kpi_late_units");
        return;
    }
    json_t *units = json_array();
    for (int i = 0; i < api->pg_ntuples(r); i++) {
        json_t *unit = unit_object(r, i);
        json_object_set_new(unit, "reasons", pg_json_array(r, i, UNIT_COLUMN_COUNT));
        json_array_append_new(units, unit);
    }
    json_t *body = week_object(udata, units);
    json_object_set_new(body, "threshold", json_integer(procedures_config.kpi_on_time_threshold));
    json_object_set_new(body, "satisfaction_threshold", json_real(procedures_config.kpi_satisfaction_threshold));
    json_object_set_new(body, "satisfaction_min_ratings", json_integer(procedures_config.kpi_satisfaction_min_ratings));
    reply_cached_json(req, udata, body);
}

static void list_late_units(cong_req_t *req, void *udata)
{
    (void)udata;
    kpi_week_t *w = api->req_alloc(req, sizeof *w);
    if (w == NULL || read_week(req, "late-units", w) != 0) {
        if (w == NULL)
            api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    if (reply_from_cache(req, w))
        return;
    char threshold[16], satisfaction[16], min_ratings[16];
    snprintf(threshold, sizeof threshold, "%d", procedures_config.kpi_on_time_threshold);
    snprintf(satisfaction, sizeof satisfaction, "%.2f", procedures_config.kpi_satisfaction_threshold);
    snprintf(min_ratings, sizeof min_ratings, "%d", procedures_config.kpi_satisfaction_min_ratings);
    const char *params[] = {w->start, threshold, satisfaction, min_ratings};
    int rc = api->pg_query(req,
                           "SELECT " UNIT_COLUMNS ", to_json(reasons)::text FROM kpi_late_units($1::date, "
                           "$2::numeric, $3::numeric, $4::int) ORDER BY on_time_rate ASC NULLS LAST, overdue DESC, "
                           "unit_code",
                           4, params, on_late_units, w);
    if (rc != 0)
        reply_store_error(req, rc, "kpi_late_units");
}

/* ---- GET /v1/kpi/trend ---- */

static void on_trend(cong_req_t *req, int err, const cong_pg_result_t *r, void *udata)
{
    if (err != 0) {
        reply_store_error(req, err, "kpi_trend");
        return;
    }
    json_t *weeks = json_array();
    for (int i = 0; i < api->pg_ntuples(r); i++)
        json_array_append_new(weeks, json_pack("{s:o, s:o, s:o, s:o, s:o}", "week", pg_string(r, i, 0), "week_start",
                                               pg_string(r, i, 1), "completed_on_time", pg_integer(r, i, 2),
                                               "completed_late", pg_integer(r, i, 3), "on_time_rate",
                                               pg_rate(r, i, 4)));
    reply_cached_json(req, udata, json_pack("{s:o}", "weeks", weeks));
}

static void get_kpi_trend(cong_req_t *req, void *udata)
{
    (void)udata;
    kpi_week_t *w = api->req_alloc(req, sizeof *w);
    if (w == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    if (read_week(req, "trend", w) != 0 || read_weeks(req, w) != 0 || reply_from_cache(req, w))
        return;
    char weeks[8];
    snprintf(weeks, sizeof weeks, "%d", w->weeks);
    /* p_until: the last day of the last week wanted (the function counts every week up to the one holding it) */
    const char *params[] = {weeks, w->end};
    int rc = api->pg_query(req,
                           "SELECT iso_week, week_start::text, completed_on_time, completed_late, on_time_rate"
                           " FROM kpi_trend($1::integer, $2::date) ORDER BY week_start",
                           2, params, on_trend, w);
    if (rc != 0)
        reply_store_error(req, rc, "kpi_trend");
}

int procedures_kpi_register(cong_module_ctx_t *ctx)
{
    static const struct {
        const char *path, *operation_id;
        cong_handler_fn handler;
    } routes[] = {
        {"/v1/kpi/units", "listUnitKpis", list_unit_kpis},
        {"/v1/kpi/late-units", "listLateUnits", list_late_units},
        {"/v1/kpi/trend", "getKpiTrend", get_kpi_trend},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        cong_route_def_t def = {.size = sizeof def, .method = "GET", .path = routes[i].path,
                                .handler = routes[i].handler, .auth = CONG_AUTH_NONE, .min_loa = 0,
                                .rate_limit_class = "default", .operation_id = routes[i].operation_id};
        int rc = api->register_route(ctx, &def);
        if (rc != 0)
            return rc;
    }
    return 0;
}
