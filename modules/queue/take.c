/*
 * POST /v1/units/{code}/queue/tickets {domain} — a citizen takes the next number of a unit's queue for a domain.
 *
 * Three steps, each on the request's worker: queue_ticket_prepare (PostgreSQL: the unit, the domain it handles, the
 * day open, a replayed Idempotency-Key, the citizen's numbers of the day, the queue's highest number), a number from
 * Redis (number.c, never at or below that highest), queue_ticket_take (PostgreSQL: the limits again under a lock on
 * the citizen, then the row). 201 only after that commit. A number another row holds is taken again, at most
 * QUEUE_TAKE_ATTEMPTS times. Redis down: 503 with Retry-After, and no number.
 *
 * Level 1; nobody takes a number for someone else (mandate_action NULL): it is for the person at the office. An
 * Idempotency-Key is optional: with one, a retried request answers the same ticket (Idempotent-Replayed: true).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue.h"

#define IDEMPOTENCY_KEY_MAX 255

typedef struct taking {
    const char *unit, *domain, *day, *key;
    int weekday;      /* of the queue day: 0 Sunday .. 6 Saturday */
    int seconds_left; /* until the queue day ends: the Retry-After of a limit reached */
    int attempts;
    char number[24];
} taking_t;

static int key_ok(const char *key, size_t len)
{
    if (len == 0 || len > IDEMPOTENCY_KEY_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (key[i] < 0x21 || key[i] > 0x7e)
            return 0;
    return 1;
}

static void invalid_domain(cong_req_t *req, const char *code)
{
    json_t *errors = json_pack("[{s:s, s:s}]", "field", "domain", "code", code);
    queue_api->reply_problem_ext(req, 422, "validation-failed", "Lĩnh vực không hợp lệ hoặc đơn vị không giải quyết.",
                                 "The domain is invalid, or the unit does not handle it.",
                                 json_pack("{s:o}", "errors", errors));
}

static void limit_reached(cong_req_t *req, const taking_t *t, enum queue_limit limit)
{
    char seconds[16];
    snprintf(seconds, sizeof seconds, "%d", t->seconds_left);
    queue_api->reply_header(req, "retry-after", seconds);
    int max = limit == QUEUE_LIMIT_DAY ? queue_config.max_per_day : queue_config.max_per_domain_per_day;
    queue_api->reply_problem_ext(
        req, 429, "queue-limit-reached",
        limit == QUEUE_LIMIT_DAY ? "Bạn đã lấy đủ số thứ tự cho phép trong ngày." :
                                   "Bạn đã lấy số thứ tự của lĩnh vực này trong ngày.",
        limit == QUEUE_LIMIT_DAY ? "You have taken as many queue numbers as allowed today." :
                                   "You have taken a queue number for this domain today.",
        json_pack("{s:s, s:i}", "limit", queue_limit_name(limit), "max", max));
}

static void closed(cong_req_t *req)
{
    queue_api->reply_problem(req, 409, "queue-closed", "Hôm nay đơn vị không phát số thứ tự (ngày nghỉ).",
                             "The unit gives no queue numbers today (a day off).");
}

/* 201 with the ticket, its place and estimated wait; the internal figures of the estimate are dropped. */
static void reply_ticket(cong_req_t *req, const char *body_text, int replayed)
{
    const cong_api_t *api = queue_api;
    json_t *body = json_loads(body_text, 0, NULL);
    if (!json_is_object(body)) {
        json_decref(body);
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    queue_place(body, queue_config.measured_min_tickets, queue_config.minutes_per_ticket);
    api->reply_header(req, "cache-control", "no-store");
    if (replayed)
        api->reply_header(req, "idempotent-replayed", "true");
    api->reply_json(req, 201, body);
}

static void take_number(cong_req_t *req, taking_t *t, long long floor);

static void on_taken(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    const cong_api_t *api = queue_api;
    taking_t *t = udata;
    if (err != 0 || api->pg_ntuples(res) != 1)
        return queue_reply_store_error(req, err != 0 ? err : CONG_EIO);
    const char *outcome = api->pg_value(res, 0, 0);
    if (strcmp(outcome, "created") == 0) {
        queue_view_forget(req, t->unit, t->day);
        reply_ticket(req, api->pg_value(res, 0, 1), 0);
    } else if (strcmp(outcome, "replay") == 0) {
        reply_ticket(req, api->pg_value(res, 0, 1), 1);
    } else if (strcmp(outcome, "key-reused") == 0) {
        api->reply_problem(req, 422, "idempotency-key-reused", NULL, NULL);
    } else if (strcmp(outcome, "per_day") == 0 || strcmp(outcome, "per_domain") == 0) {
        limit_reached(req, t, strcmp(outcome, "per_day") == 0 ? QUEUE_LIMIT_DAY : QUEUE_LIMIT_DOMAIN);
    } else if (strcmp(outcome, "taken") == 0 && ++t->attempts < QUEUE_TAKE_ATTEMPTS) {
        api->log(CONG_LOG_WARN, QUEUE_MODULE, "number %s of %s/%s was held already (Redis lost its counter?): again",
                 t->number, t->unit, t->domain);
        take_number(req, t, atoll(api->pg_value(res, 0, 2)));
    } else {
        api->log(CONG_LOG_ERROR, QUEUE_MODULE, "no free number for %s/%s after %d attempts", t->unit, t->domain,
                 t->attempts);
        api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
    }
}

static void on_number(cong_req_t *req, int err, long long number, void *udata)
{
    taking_t *t = udata;
    if (err != 0)
        return queue_reply_store_error(req, err);
    if (number <= 0 || number > 2147483647LL)
        return (void)queue_api->reply_problem(req, 500, "internal-error", NULL, NULL);
    snprintf(t->number, sizeof t->number, "%lld", number);
    char max_day[16], max_domain[16];
    snprintf(max_day, sizeof max_day, "%d", queue_config.max_per_day);
    snprintf(max_domain, sizeof max_domain, "%d", queue_config.max_per_domain_per_day);
    const char *params[] = {queue_api->req_principal(req)->subject, t->unit, t->domain, t->day, t->number, t->key,
                            max_day, max_domain};
    queue_query(req,
                "SELECT outcome, body, last_number FROM queue_ticket_take($1, $2, $3, $4::date, $5::int, $6, "
                "$7::int, $8::int)",
                8, params, on_taken, t);
}

static void take_number(cong_req_t *req, taking_t *t, long long floor)
{
    int rc = queue_number_take(req, t->unit, t->day, t->domain, floor, on_number, t);
    if (rc != 0)
        queue_reply_store_error(req, rc);
}

static void on_prepared(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    const cong_api_t *api = queue_api;
    taking_t *t = udata;
    if (err != 0 || api->pg_ntuples(res) != 1)
        return queue_reply_store_error(req, err != 0 ? err : CONG_EIO);
    const char *outcome = api->pg_value(res, 0, 0);
    if (strcmp(outcome, "unknown-unit") == 0)
        return (void)api->reply_problem(req, 404, "not-found", "Không có đơn vị này.", "There is no such unit.");
    if (strcmp(outcome, "unknown-domain") == 0 || strcmp(outcome, "not-handled") == 0)
        return invalid_domain(req, outcome);
    if (strcmp(outcome, "replay") == 0)
        return reply_ticket(req, api->pg_value(res, 0, 5), 1);
    if (strcmp(outcome, "key-reused") == 0)
        return (void)api->reply_problem(req, 422, "idempotency-key-reused", NULL, NULL);
    int holiday = api->pg_value(res, 0, 4)[0] == 't';
    if ((holiday && queue_config.holidays_closed) || !(queue_config.open_days & (1u << t->weekday)))
        return closed(req);
    enum queue_limit limit = queue_limit_check(atoi(api->pg_value(res, 0, 1)), atoi(api->pg_value(res, 0, 2)),
                                               queue_config.max_per_day, queue_config.max_per_domain_per_day);
    if (limit != QUEUE_LIMIT_OK)
        return limit_reached(req, t, limit);
    take_number(req, t, atoll(api->pg_value(res, 0, 3)));
}

static void take(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = queue_api;
    size_t len = 0, key_len = 0;
    taking_t *t = api->req_alloc(req, sizeof *t);
    if (t == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    t->unit = api->req_path_param(req, "code", &len);
    if (!queue_code_ok(t->unit))
        return (void)api->reply_problem(req, 404, "not-found", "Không có đơn vị này.", "There is no such unit.");
    const char *key = api->req_header(req, "idempotency-key", &key_len);
    if (key != NULL && !key_ok(key, key_len))
        return (void)api->reply_problem(req, 400, "bad-request",
                                        "Idempotency-Key phải có 1–255 ký tự ASCII in được.",
                                        "An Idempotency-Key is 1-255 printable ASCII characters.");
    json_t *body = api->req_json(req);
    if (!json_is_object(body))
        return (void)api->reply_problem(req, 400, "invalid-json", NULL, NULL);
    const char *domain = json_string_value(json_object_get(body, "domain"));
    if (domain == NULL || !queue_code_ok(domain))
        return invalid_domain(req, domain == NULL ? "required" : "invalid-format");
    t->day = queue_today(req, &t->weekday, &t->seconds_left);
    if (t->day == NULL)
        return;
    char *key_copy = key != NULL ? api->req_alloc(req, key_len + 1) : NULL;
    if (key_copy != NULL)
        memcpy(key_copy, key, key_len);
    t->domain = queue_strdup(req, domain);
    t->key = key_copy;
    if (t->domain == NULL || (key != NULL && key_copy == NULL))
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    const char *params[] = {api->req_principal(req)->subject, t->unit, t->domain, t->day, t->key};
    queue_query(req,
                "SELECT outcome, today, in_domain, last_number, holiday, body FROM queue_ticket_prepare($1, $2, $3, "
                "$4::date, $5)",
                5, params, on_prepared, t);
}

int queue_take_register(cong_module_ctx_t *ctx)
{
    cong_route_def_t def = {.size = sizeof def, .method = "POST", .path = "/v1/units/{code}/queue/tickets",
                            .handler = take, .auth = CONG_AUTH_REQUIRED, .min_loa = 1,
                            .operation_id = "takeQueueTicket", .max_body_bytes = 1024, .mandate_action = NULL};
    return queue_api->register_route(ctx, &def);
}
