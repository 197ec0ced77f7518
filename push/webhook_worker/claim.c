/*
 * push/webhook_worker/claim.c — the worker's side of PostgreSQL (worker.h): webhook_claim leases due deliveries,
 * webhook_record writes what became of a send (modules/orgs/migrations/0003_webhooks.sql).
 */
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"

static ww_send_t *send_of_row(const PGresult *res, int row)
{
    ww_send_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    snprintf(s->id, sizeof s->id, "%s", PQgetvalue(res, row, 0));
    snprintf(s->webhook_id, sizeof s->webhook_id, "%s", PQgetvalue(res, row, 1));
    snprintf(s->endpoint, sizeof s->endpoint, "%s", PQgetvalue(res, row, 2));
    s->url = strdup(PQgetvalue(res, row, 3));
    s->body = strdup(PQgetvalue(res, row, 5));
    s->attempts = atoi(PQgetvalue(res, row, 6));
    s->tries = atoi(PQgetvalue(res, row, 7));
    s->series_ms = strtoll(PQgetvalue(res, row, 8), NULL, 10);
    if (!s->url || !s->body) {
        ww_send_free(s);
        return NULL;
    }
    return s;
}

/* A sealed secret as the hex text of the query into out (cap bytes). Its length; 0 for none or one too long (it then
 * does not open, and the send is recorded as failed: "secret"). */
static size_t sealed_of_hex(const char *hex, unsigned char *out, size_t cap)
{
    size_t len = strlen(hex) / 2;
    if (len > cap)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned int byte = 0;
        sscanf(hex + 2 * i, "%2x", &byte);
        out[i] = (unsigned char)byte;
    }
    return len;
}

int ww_claim(ww_t *w, int room, int *taken)
{
    *taken = 0;
    char batch[16], per[16], lease[16];
    snprintf(batch, sizeof batch, "%d", room < w->cfg->batch ? room : w->cfg->batch);
    snprintf(per, sizeof per, "%d", w->cfg->per_endpoint);
    snprintf(lease, sizeof lease, "%d", 2 * w->cfg->deadline_ms + 2000);
    const char *params[] = {batch, per, lease};
    PGresult *res = NULL;
    /* sealed secrets come back in binary (resultFormat 1 would make every column binary): as hex text, decoded here.
     * The previous secret is there while a rotation's overlap runs (migration 0004), else NULL. */
    int rc = relay_pg_query(&w->pg, "SELECT o_id, o_webhook_id, o_endpoint, o_url, encode(o_sealed, 'hex'), o_body, "
                                    "o_attempts, o_tries, o_series_ms, "
                                    "encode(webhook_previous_secret(o_endpoint), 'hex') "
                                    "FROM webhook_claim($1::int, $2::int, $3::int)",
                            3, params, &res);
    if (rc != 0)
        return rc;
    for (int row = 0; row < PQntuples(res); row++) {
        ww_send_t *s = send_of_row(res, row);
        if (!s) {
            relay_log_failure("memory", "out of memory taking a delivery (it comes due again after its lease)");
            continue;
        }
        unsigned char sealed[256], previous[256];
        size_t len = sealed_of_hex(PQgetvalue(res, row, 4), sealed, sizeof sealed);
        size_t previous_len = sealed_of_hex(PQgetvalue(res, row, 9), previous, sizeof previous);
        w->totals.taken++;
        (*taken)++;
        ww_send_start(w, s, sealed, len, previous, previous_len);
    }
    PQclear(res);
    return 0;
}

void ww_record(ww_t *w, ww_send_t *s, long status, const char *error)
{
    int delivered = error == NULL && status >= 200 && status <= 299;
    int64_t next = 0;
    if (!delivered)
        next = webhook_schedule_next(&w->schedule, s->tries, s->series_ms, ww_wall_ms(), (uint32_t)random());
    char attempts[16], status_text[16], next_text[24];
    snprintf(attempts, sizeof attempts, "%d", s->attempts);
    snprintf(status_text, sizeof status_text, "%ld", status);
    snprintf(next_text, sizeof next_text, "%lld", (long long)next);
    const char *params[] = {s->id, attempts, delivered ? "t" : "f", status > 0 ? status_text : NULL,
                            delivered ? NULL : (error ? error : "http"), next_text};
    PGresult *res = NULL;
    if (relay_pg_query(&w->pg, "SELECT webhook_record($1::uuid, $2::int, $3::boolean, $4::int, $5, $6::bigint)", 6,
                       params, &res) != 0) {
        /* not recorded: the lease runs out and the delivery is sent again (at-least-once) */
        return;
    }
    const char *outcome = PQgetvalue(res, 0, 0);
    if (strcmp(outcome, "delivered") == 0)
        w->totals.delivered++;
    else if (strcmp(outcome, "retry") == 0)
        w->totals.retried++;
    else if (strcmp(outcome, "failed") == 0)
        w->totals.failed++;
    else if (strcmp(outcome, "disabled") == 0) {
        w->totals.failed++;
        w->totals.disabled++;
        relay_log_info("endpoint %s disabled: it failed for a whole retry schedule", s->endpoint);
    } else
        w->totals.stale++;
    if (!delivered)
        relay_log_failure("delivery", "endpoint %s: attempt %d failed (%s, status %ld)", s->endpoint, s->attempts,
                          error ? error : "http", status);
    PQclear(res);
}
