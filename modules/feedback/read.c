/*
 * Reading feedback: nobody reads another citizen's words but the officials of the unit they were given to.
 *
 *   GET /v1/me/feedback?cursor=                        the citizen's own (given, or given for them), newest first
 *   GET /v1/desk/units/{code}/feedback?week=&cursor=   officials of the unit: its feedback, newest first, of one ISO
 *                                                      week (YYYY-Www) or all; who gave it is not shown; level 2
 *
 * Pages hold modules.feedback.page_size items; next_cursor (the last item's id) asks for the next page, null on the
 * last one. Not an official: 403, not of this unit: 403 (the queue's and the desk's rule). Each item an official is
 * shown writes its audit record (feedback.read) in the statement that reads it. Answers are no-store.
 */
#include <stdio.h>
#include <string.h>

#include "feedback.h"

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

/* "YYYY-Www" with a week 01..53 (whether the year has a week 53, PostgreSQL tells: bad-week). */
static int week_ok(const char *s)
{
    if (s == NULL || strlen(s) != 8 || s[4] != '-' || s[5] != 'W')
        return 0;
    for (int i = 0; i < 8; i++)
        if (i != 4 && i != 5 && (s[i] < '0' || s[i] > '9'))
            return 0;
    int week = (s[6] - '0') * 10 + (s[7] - '0');
    return week >= 1 && week <= 53 && s[0] != '0';
}

static void invalid(cong_req_t *req, const char *field, const char *code)
{
    json_t *errors = json_pack("[{s:s, s:s}]", "field", field, "code", code);
    feedback_api->reply_problem_ext(req, 422, "validation-failed", NULL, NULL, json_pack("{s:o}", "errors", errors));
}

/* The `cursor` query parameter: NULL when absent, "" after a 422 reply. */
static const char *read_cursor(cong_req_t *req)
{
    const char *cursor = feedback_api->req_query_param(req, "cursor", NULL);
    if (cursor != NULL && !uuid_ok(cursor)) {
        invalid(req, "cursor", "invalid-format");
        return "";
    }
    return cursor;
}

static void reply_text_json(cong_req_t *req, const char *text)
{
    feedback_api->reply_header(req, "cache-control", "no-store");
    feedback_api->reply_text(req, 200, "application/json", text, strlen(text));
}

static void on_mine(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    if (err != 0 || feedback_api->pg_ntuples(res) != 1)
        return feedback_reply_store_error(req, err != 0 ? err : CONG_EIO);
    reply_text_json(req, feedback_api->pg_value(res, 0, 0));
}

static void list_mine(cong_req_t *req, void *udata)
{
    (void)udata;
    if (!feedback_rater_allowed(req))
        return;
    const char *cursor = read_cursor(req);
    if (cursor != NULL && cursor[0] == '\0')
        return;
    char limit[16];
    snprintf(limit, sizeof limit, "%d", feedback_config.page_size);
    const char *params[] = {feedback_api->req_principal(req)->subject, cursor, limit};
    feedback_query(req, "SELECT feedback_mine($1, $2::uuid, $3::int)", 3, params, on_mine, NULL);
}

static void on_desk(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = feedback_api;
    if (err != 0 || api->pg_ntuples(res) != 1)
        return feedback_reply_store_error(req, err != 0 ? err : CONG_EIO);
    const char *outcome = api->pg_value(res, 0, 0);
    if (strcmp(outcome, "not-official") == 0)
        return (void)api->reply_problem(req, 403, "forbidden", "Bạn không phải cán bộ của đơn vị nào.",
                                        "You are not an official of any unit.");
    if (strcmp(outcome, "not-your-unit") == 0)
        return (void)api->reply_problem(req, 403, "forbidden", "Bạn không phục vụ đơn vị này.",
                                        "You do not serve this unit.");
    if (strcmp(outcome, "bad-week") == 0)
        return invalid(req, "week", "out-of-range");
    reply_text_json(req, api->pg_value(res, 0, 1));
}

static void list_desk(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = feedback_api;
    size_t len = 0;
    const char *unit = api->req_path_param(req, "code", &len);
    if (unit == NULL || len == 0 || len > FEEDBACK_CODE_MAX)
        return (void)api->reply_problem(req, 404, "not-found", NULL, NULL);
    const char *week = api->req_query_param(req, "week", NULL);
    if (week != NULL && !week_ok(week))
        return invalid(req, "week", "invalid-format");
    const char *cursor = read_cursor(req);
    if (cursor != NULL && cursor[0] == '\0')
        return;
    char limit[16];
    snprintf(limit, sizeof limit, "%d", feedback_config.page_size);
    const char *params[] = {api->req_principal(req)->subject, unit, week, cursor, limit, api->req_id(req)};
    feedback_query(req, "SELECT outcome, body FROM feedback_desk($1, $2, $3, $4::uuid, $5::int, $6)", 6, params,
                   on_desk, NULL);
}

int feedback_read_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t routes[] = {
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/me/feedback", .handler = list_mine,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 0, /* level checked in list_mine: feedback_rater_allowed */ .rate_limit_class = "default", .operation_id = "listMyFeedback"},
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/desk/units/{code}/feedback",
         .handler = list_desk, .auth = CONG_AUTH_REQUIRED, .min_loa = 2, .rate_limit_class = "default",
         .operation_id = "listUnitFeedback"},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        int rc = feedback_api->register_route(ctx, &routes[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}
