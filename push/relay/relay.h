/*
 * push/relay/relay.h — cong-push-relay: the push events that modules commit to the push_outbox table, relayed into
 * Redis streams for the notification workers. A process of its own (blocking libpq and hiredis), never inside the
 * gateway; several may run against one database.
 *
 * The contract (push_outbox → Redis)
 *   - Written with the change: a module inserts a push_outbox row (subject, topic, payload) in the transaction that
 *     makes the change, so a committed change always has its event and a rolled back one never does. The table is
 *     created by the procedures module's migrations (modules/procedures/migrations/0002_dossiers.sql), the first module
 *     to write events this way; this relay reads it by name.
 *   - Unpublished rows in id order are XADDed to "cong:events:<topic>" (MAXLEN ~ CONG_EVENT_STREAM_MAXLEN, field "m")
 *     as push/push.h events: data = the row's payload object with "subject" set to the row's subject (a payload that
 *     is not an object goes under "value"), request_id = "push_outbox:<id>" (consumers may deduplicate on it),
 *     at_ms = created_at. Then published_at is set.
 *   - At-least-once: a crash between XADD and the commit publishes again. One relay at a time works (a
 *     transaction-scoped advisory lock), so the streams keep id order. If Redis is down the rows stay and are retried;
 *     a row that cannot be encoded (invalid topic) is logged and marked published so it does not block the ones
 *     behind it.
 *
 * Latency: an idle relay looks again every --poll-ms, so a row waits up to that long before its XADD; that wait is
 * most of the time from a module's commit to a citizen's screen (bench/push_sse.sh: p99 254 ms at 250 ms, 18-29 ms
 * at 10 ms). The default is 25 ms: an idle pass is four short statements, ~160 a second, nothing for PostgreSQL.
 * A wake-up by LISTEN/NOTIFY was not chosen: a transaction that NOTIFYs takes a database-wide lock at commit, which
 * would serialise the commits of every module writing push_outbox (dossier submissions among them, issue 17).
 *
 * The blocking runtime (PostgreSQL connection, stop flag, rate-limited log, pass loop) is common/relay_runtime/,
 * shared with cong-portal-sync. Everything returns 0 or a negative CONG_E* code (include/cong/errors.h). Logging
 * (common/log.h, component "cong-push-relay"): one line per failure class at most every RELAY_LOG_INTERVAL_S
 * seconds, with the number of lines held back; never payloads.
 */
#ifndef CONG_PUSH_RELAY_H
#define CONG_PUSH_RELAY_H

#include <hiredis/hiredis.h>
#include <stdint.h>

#include "common/relay_runtime/relay_runtime.h"

typedef struct push_relay_config {
    const char *pg_conninfo; /* --pg, CONG_POSTGRES_CONNINFO */
    const char *redis_host;  /* --redis-host, CONG_REDIS_HOST (127.0.0.1) */
    int redis_port;          /* --redis-port, CONG_REDIS_PORT (6379) */
    int batch;               /* --batch, CONG_PUSH_RELAY_BATCH: rows published per pass (20) */
    int poll_ms;             /* --poll-ms, CONG_PUSH_RELAY_POLL_MS: idle sleep between passes (25) */
    int once;                /* --once: passes until nothing is left to publish, then exit */
} push_relay_config_t;

/* log.c — the writer of relay_log_failure / relay_log_info: common/log.h lines, component "cong-push-relay". */
void push_relay_log_writer(const char *cls, long held_back, const char *msg);

/* pass.c — one pass over push_outbox. */
/** Publishes up to batch unpublished rows in id order. *published = rows marked published. 0; CONG_EUNAVAILABLE
 *  when Redis is down (rows kept); a PostgreSQL error code. */
int push_relay_pass(relay_pg_t *pg, relay_redis_t *redis, int batch, int *published);

#endif
