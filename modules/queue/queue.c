/*
 * modules/queue — the entry point: the module's name, its configuration keys (modules.queue.*), its migrations, then
 * each file's routes. Needs ABI 1.5. Loaded for a command, it declares its keys and migrations only.
 *
 *   POST /v1/units/{code}/queue/tickets                      a citizen takes a number {domain}          take.c
 *   GET  /v1/units/{code}/queue                              now serving, waiting (public, cached)      view.c
 *   POST /v1/desk/units/{code}/queue/next                    an official calls the next {counter, domain?}  desk.c
 *   POST /v1/desk/units/{code}/queue/tickets/{id}/served     ... marks it served                        desk.c
 *   POST /v1/desk/units/{code}/queue/tickets/{id}/absent     ... or absent                              desk.c
 *   GET  /v1/me/queue/tickets                                the holder's tickets of today, their places holder.c
 *   GET  /v1/me/queue/tickets/{id}                           ... one of them                            holder.c
 *   POST /v1/me/queue/tickets/{id}/cancel                    ... gives up a waiting one                 holder.c
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "queue.h"

const cong_api_t *queue_api;
queue_config_t queue_config;

#define KEY(name, type, def, help) {sizeof(cong_config_key_def_t), name, type, def, help}
static const cong_config_key_def_t config_keys[] = {
    KEY("migrations_dir", CONG_CONFIG_STRING, "modules/queue/migrations", "the module's SQL migrations"),
    KEY("max_per_day", CONG_CONFIG_INT, "2", "numbers a citizen may take in one queue day, all units (1..50)"),
    KEY("max_per_domain_per_day", CONG_CONFIG_INT, "1", "... of them in one procedure domain (1..50)"),
    KEY("minutes_per_ticket", CONG_CONFIG_INT, "5", "minutes per ticket of the wait estimate until measured (1..240)"),
    KEY("measured_min_tickets", CONG_CONFIG_INT, "5",
        "served tickets of the unit's day after which their mean time replaces minutes_per_ticket (0: never; 0..1000)"),
    KEY("day_start_hour", CONG_CONFIG_INT, "0", "Hanoi hour at which a queue day starts and counters restart (0..12)"),
    KEY("open_days", CONG_CONFIG_STRING, "mon tue wed thu fri sat",
        "weekdays on which numbers are given (sun..sat)"),
    KEY("holidays_closed", CONG_CONFIG_BOOL, "true",
        "no numbers on the holidays of the procedures module's calendar (false: the units open on them too)"),
    KEY("view_cache_ms", CONG_CONFIG_INT, "2000",
        "how long the public view is kept in Redis and may be cached by clients, in ms (0..60000)"),
};

void queue_reply_store_error(cong_req_t *req, int err)
{
    const cong_api_t *api = queue_api;
    if (err == CONG_EUNAVAILABLE || err == CONG_ETIMEDOUT || err == CONG_EBUSY) {
        api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
        return;
    }
    api->log(CONG_LOG_ERROR, QUEUE_MODULE, "store error %s (request %s)", api->strerror(err), api->req_id(req));
    api->reply_problem(req, 500, "internal-error", NULL, NULL);
}

void queue_query(cong_req_t *req, const char *sql, int nparams, const char *const *params, cong_pg_cb cb,
                 void *udata)
{
    int rc = queue_api->pg_query(req, sql, nparams, params, cb, udata);
    if (rc != 0)
        queue_reply_store_error(req, rc);
}

const char *queue_today(cong_req_t *req, int *weekday, int *seconds_left)
{
    char *day = queue_api->req_alloc(req, QUEUE_DAY_SIZE);
    if (day == NULL || queue_day(time(NULL), queue_config.day_start_hour, day, weekday, seconds_left) != 0) {
        queue_api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return NULL;
    }
    return day;
}

void queue_reply_json_text(cong_req_t *req, int status, const char *text)
{
    queue_api->reply_header(req, "cache-control", "no-store");
    queue_api->reply_text(req, status, "application/json", text, strlen(text));
}

char *queue_strdup(cong_req_t *req, const char *s)
{
    size_t n = strlen(s);
    char *copy = queue_api->req_alloc(req, n + 1);
    if (copy != NULL)
        memcpy(copy, s, n + 1);
    return copy;
}

static int in_range(int v, int lo, int hi) { return v >= lo && v <= hi; }

static int read_config(cong_module_ctx_t *ctx)
{
    const cong_api_t *api = queue_api;
    for (size_t i = 0; i < sizeof config_keys / sizeof config_keys[0]; i++) {
        int rc = api->register_config(ctx, &config_keys[i]);
        if (rc != 0)
            return rc;
    }
    queue_config_t *c = &queue_config;
    c->max_per_day = atoi(api->config_get(ctx, "max_per_day"));
    c->max_per_domain_per_day = atoi(api->config_get(ctx, "max_per_domain_per_day"));
    c->minutes_per_ticket = atoi(api->config_get(ctx, "minutes_per_ticket"));
    c->measured_min_tickets = atoi(api->config_get(ctx, "measured_min_tickets"));
    c->day_start_hour = atoi(api->config_get(ctx, "day_start_hour"));
    c->view_cache_ms = atoi(api->config_get(ctx, "view_cache_ms"));
    c->holidays_closed = strcmp(api->config_get(ctx, "holidays_closed"), "true") == 0;
    if (!in_range(c->max_per_day, 1, 50) || !in_range(c->max_per_domain_per_day, 1, 50) ||
        !in_range(c->minutes_per_ticket, 1, 240) || !in_range(c->measured_min_tickets, 0, 1000) ||
        !in_range(c->day_start_hour, 0, 12) || !in_range(c->view_cache_ms, 0, 60000)) {
        api->log(CONG_LOG_ERROR, QUEUE_MODULE, "a configured value is out of range");
        return CONG_EINVAL;
    }
    if (queue_open_days_parse(api->config_get(ctx, "open_days"), &c->open_days) != 0) {
        api->log(CONG_LOG_ERROR, QUEUE_MODULE, "open_days: a list of sun mon tue wed thu fri sat expected");
        return CONG_EINVAL;
    }
    return api->register_migrations(ctx, api->config_get(ctx, "migrations_dir"));
}

int cong_queue_onload(cong_module_ctx_t *ctx, const cong_api_t *api)
{
    if (api->abi_major != CONG_MODULE_ABI_MAJOR || !CONG_API_HAS(api, mandate_covers))
        return CONG_EVERSION;
    queue_api = api;
    int rc = api->declare_module(ctx, QUEUE_MODULE, QUEUE_VERSION);
    if (rc == 0)
        rc = read_config(ctx);
    if (rc != 0 || api->load_purpose(ctx) != CONG_LOAD_SERVE)
        return rc;
    int (*const registers[])(cong_module_ctx_t *) = {queue_take_register, queue_view_register, queue_desk_register,
                                                         queue_holder_register};
    for (size_t i = 0; rc == 0 && i < sizeof registers / sizeof registers[0]; i++)
        rc = registers[i](ctx);
    return rc;
}
