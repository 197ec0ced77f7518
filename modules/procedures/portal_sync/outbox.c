/* modules/procedures/portal_sync/outbox.c — one pass over portal_outbox (the delivery contract is in portal_sync.h). */
#include "portal_sync.h"

#include "cong/errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Due rows, each the lowest unacked version of its dossier, locked for this transaction; rows another worker holds
 * are skipped. Oldest due first. */
static const char CLAIM_SQL[] =
    "SELECT o.id, o.dossier_code, o.version, o.payload::text, o.attempts FROM portal_outbox o"
    " WHERE o.acked_at IS NULL AND o.next_attempt_at <= clock_timestamp()"
    "   AND NOT EXISTS (SELECT 1 FROM portal_outbox e WHERE e.dossier_id = o.dossier_id AND e.acked_at IS NULL"
    "                   AND e.version < o.version)"
    " ORDER BY o.next_attempt_at, o.id LIMIT $1 FOR UPDATE OF o SKIP LOCKED";

static const char ACK_SQL[] =
    "UPDATE portal_outbox SET acked_at = clock_timestamp(), attempts = attempts + 1, last_error = NULL WHERE id = $1";

static const char FAIL_SQL[] =
    "UPDATE portal_outbox SET attempts = attempts + 1, last_error = $2,"
    " next_attempt_at = clock_timestamp() + make_interval(secs => $3::double precision / 1000) WHERE id = $1";

/* Sends one claimed row and records the outcome in the open transaction. 0 or a PostgreSQL error code. */
static int deliver(relay_pg_t *pg, psync_portal_t *portal, const psync_config_t *cfg, PGresult *rows, int i,
                   int *acked)
{
    const char *id = PQgetvalue(rows, i, 0);
    const char *code = PQgetvalue(rows, i, 1);
    int version = atoi(PQgetvalue(rows, i, 2));
    const char *payload = PQgetvalue(rows, i, 3);
    int attempts = atoi(PQgetvalue(rows, i, 4));
    int status;
    char reason[PSYNC_REASON_MAX];
    int rc = psync_portal_put(portal, code, version, payload, (size_t)PQgetlength(rows, i, 3), &status, reason);
    if (rc == CONG_OK) {
        const char *params[] = {id};
        rc = relay_pg_exec(pg, ACK_SQL, 1, params);
        if (rc == CONG_OK)
            (*acked)++;
        return rc;
    }
    char delay[16];
    snprintf(delay, sizeof delay, "%d", psync_backoff_ms(attempts + 1, cfg->initial_backoff_ms, cfg->max_backoff_ms));
    relay_log_failure(status ? "portal-http" : "portal-transport", "dossier %s version %d: %s (attempt %d)", code,
                      version, reason, attempts + 1);
    const char *params[] = {id, reason, delay};
    return relay_pg_exec(pg, FAIL_SQL, 3, params);
}

int psync_outbox_pass(relay_pg_t *pg, psync_portal_t *portal, const psync_config_t *cfg, int *sent, int *acked)
{
    *sent = *acked = 0;
    int rc = relay_pg_exec(pg, "BEGIN", 0, NULL);
    if (rc != CONG_OK)
        return rc;
    char batch[16];
    snprintf(batch, sizeof batch, "%d", cfg->batch);
    const char *params[] = {batch};
    PGresult *rows;
    rc = relay_pg_query(pg, CLAIM_SQL, 1, params, &rows);
    if (rc != CONG_OK) {
        relay_pg_rollback(pg);
        return rc;
    }
    int n = PQntuples(rows);
    for (int i = 0; i < n && rc == CONG_OK && !relay_stopping(); i++) {
        rc = deliver(pg, portal, cfg, rows, i, acked);
        (*sent)++;
    }
    PQclear(rows);
    if (rc == CONG_OK)
        rc = relay_pg_exec(pg, "COMMIT", 0, NULL);
    else
        relay_pg_rollback(pg);
    if (rc != CONG_OK)
        *acked = 0; /* not committed: those rows will be sent again (the portal counts them as duplicates) */
    return rc;
}
