/*
 * modules/appointments — the entry point: the module's name, its configuration keys (modules.appointments.*), its
 * migrations, then each file's routes and the job. Needs ABI 1.6. Loaded for a command, it declares its keys and
 * migrations only.
 *
 *   GET    /v1/units/{code}/slots?domain=&from=&to=               the slots and seats left (public)     availability.c
 *   POST   /v1/appointments                                       hold a slot (Idempotency-Key)          book.c
 *   POST   /v1/appointments/{id}/confirm                          confirm one's hold                      change.c
 *   DELETE /v1/appointments/{id}                                  cancel one's hold or appointment        change.c
 *   GET    /v1/appointments/{id}                                  one's appointment                       change.c
 *   GET    /v1/me/appointments                                    one's appointments                      change.c
 *   PUT    /v1/desk/units/{code}/appointment-schedules/{domain}   an official publishes the schedule      desk.c
 *   GET    /v1/desk/units/{code}/appointments?date=&domain=       an official lists a day's bookings      desk.c
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appointments.h"

const cong_api_t *appt_api;
appt_config_t appt_config;

#define KEY(name, type, def, help) {sizeof(cong_config_key_def_t), name, type, def, help}
static const cong_config_key_def_t config_keys[] = {
    KEY("migrations_dir", CONG_CONFIG_STRING, "modules/appointments/migrations", "the module's SQL migrations"),
    KEY("hold_ttl_s", CONG_CONFIG_INT, "300", "seconds a hold waits for its confirmation before it expires (1..3600)"),
    KEY("max_active_per_domain", CONG_CONFIG_INT, "1",
        "appointments a citizen may hold or have confirmed, not yet begun, in one procedure domain (1..20)"),
    KEY("max_per_day", CONG_CONFIG_INT, "2", "... on one day, all domains and units (1..20)"),
    KEY("horizon_days", CONG_CONFIG_INT, "60", "how many days ahead slots are offered (1..400)"),
    KEY("slots_max_age_s", CONG_CONFIG_INT, "5", "how long clients may cache an answer of GET slots, in s (0..300)"),
    KEY("job_interval_ms", CONG_CONFIG_INT, "1000",
        "period of the job expiring holds and writing reminders (100..600000)"),
};

void appt_reply_store_error(cong_req_t *req, int err)
{
    const cong_api_t *api = appt_api;
    if (err == CONG_EUNAVAILABLE || err == CONG_ETIMEDOUT || err == CONG_EBUSY) {
        api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
        return;
    }
    api->log(CONG_LOG_ERROR, APPT_MODULE, "store error %s (request %s)", api->strerror(err), api->req_id(req));
    api->reply_problem(req, 500, "internal-error", NULL, NULL);
}

void appt_query(cong_req_t *req, const char *sql, int nparams, const char *const *params, cong_pg_cb cb, void *udata)
{
    int rc = appt_api->pg_query(req, sql, nparams, params, cb, udata);
    if (rc != 0)
        appt_reply_store_error(req, rc);
}

void appt_reply_outcome(cong_req_t *req, const char *status_text, const char *body_text)
{
    const cong_api_t *api = appt_api;
    int status = status_text != NULL ? atoi(status_text) : 0;
    json_t *body = body_text != NULL ? json_loads(body_text, 0, NULL) : NULL;
    if (status < 200 || status > 599 || !json_is_object(body)) {
        json_decref(body);
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    const char *problem = json_string_value(json_object_get(body, "problem"));
    if (problem == NULL) {
        api->reply_header(req, "cache-control", "no-store");
        api->reply_json(req, status, body);
        return;
    }
    char slug[65];
    snprintf(slug, sizeof slug, "%s", problem);
    json_object_del(body, "problem");
    api->reply_problem_ext(req, status, slug, NULL, NULL, body);
}

int appt_code_ok(const char *s)
{
    size_t n = 0;
    if (s == NULL)
        return 0;
    for (; s[n] != '\0'; n++) {
        char c = s[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return 0;
    }
    return n > 0 && n <= APPT_CODE_MAX;
}

char *appt_strdup(cong_req_t *req, const char *s)
{
    size_t n = strlen(s);
    char *copy = appt_api->req_alloc(req, n + 1);
    if (copy != NULL)
        memcpy(copy, s, n + 1);
    return copy;
}

static int in_range(int v, int lo, int hi) { return v >= lo && v <= hi; }

static int read_config(cong_module_ctx_t *ctx)
{
    const cong_api_t *api = appt_api;
    for (size_t i = 0; i < sizeof config_keys / sizeof config_keys[0]; i++) {
        int rc = api->register_config(ctx, &config_keys[i]);
        if (rc != 0)
            return rc;
    }
    appt_config_t *c = &appt_config;
    c->hold_ttl_s = atoi(api->config_get(ctx, "hold_ttl_s"));
    c->max_active_per_domain = atoi(api->config_get(ctx, "max_active_per_domain"));
    c->max_per_day = atoi(api->config_get(ctx, "max_per_day"));
    c->horizon_days = atoi(api->config_get(ctx, "horizon_days"));
    c->slots_max_age_s = atoi(api->config_get(ctx, "slots_max_age_s"));
    c->job_interval_ms = atoi(api->config_get(ctx, "job_interval_ms"));
    if (!in_range(c->hold_ttl_s, 1, 3600) || !in_range(c->max_active_per_domain, 1, 20) ||
        !in_range(c->max_per_day, 1, 20) || !in_range(c->horizon_days, 1, 400) ||
        !in_range(c->slots_max_age_s, 0, 300) || !in_range(c->job_interval_ms, 100, 600000)) {
        api->log(CONG_LOG_ERROR, APPT_MODULE, "a configured value is out of range");
        return CONG_EINVAL;
    }
    return api->register_migrations(ctx, api->config_get(ctx, "migrations_dir"));
}

int cong_appointments_onload(cong_module_ctx_t *ctx, const cong_api_t *api)
{
    if (api->abi_major != CONG_MODULE_ABI_MAJOR || !CONG_API_HAS(api, req_query))
        return CONG_EVERSION;
    appt_api = api;
    int rc = api->declare_module(ctx, APPT_MODULE, APPT_VERSION);
    if (rc == 0)
        rc = read_config(ctx);
    if (rc != 0 || api->load_purpose(ctx) != CONG_LOAD_SERVE)
        return rc;
    int (*const registers[])(cong_module_ctx_t *) = {appt_availability_register, appt_book_register,
                                                     appt_change_register, appt_desk_register, appt_jobs_register};
    for (size_t i = 0; rc == 0 && i < sizeof registers / sizeof registers[0]; i++)
        rc = registers[i](ctx);
    return rc;
}
