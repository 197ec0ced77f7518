/*
 * push/fanout/fanout.h — cong-push-fanout: sends broadcasts (modules/push, POST /v1/broadcasts): ONE entry in the
 * area log of the broadcast's ward, or the city log (push/live.h), read by every open event stream of that area, and,
 * for recipients with a device, one delivery entry each on "cong:events:broadcast.message".
 * A process of its own (blocking libpq and hiredis), never inside the gateway; several may run against one database.
 *
 * The contract is push/pipeline.h ("cong-push-fanout"); in short:
 *   - A pass takes ONE broadcast in state queued or sending, least recently advanced first, with FOR UPDATE SKIP
 *     LOCKED (so processes share broadcasts, and DELETE /v1/broadcasts/{id} waits for the pass under way), and does
 *     up to P pages of it in that transaction (P = --rate / page, 1..FANOUT_PAGES_PER_PASS_MAX: about a second of
 *     --rate): at the first page, state 'sending' and targeted = the recipients counted; each page of recipients
 *     (push_subscribers of the area that chose it before the broadcast was made, by subject after the cursor); at the
 *     first page only (cursor NULL), push_live_area_append of the broadcast to its area log (one Lua script:
 *     once-mark, XADD, EXPIRE, PUBLISH of the area's line); one XADD per recipient with a device (push/push.h
 *     encoding, topic broadcast.message, request id "broadcast:<id>", data: subject, broadcast_id (text), title_vi,
 *     body_vi, title_en, body_en, live_done true), pipelined — a recipient without a device writes nothing to Redis.
 *     A page's XADDs are written out and PostgreSQL reads the next page while Redis adds them; their replies are all
 *     read before the next page is sent, and before the commit. Then the cursor, delivered += the pass's recipients,
 *     and 'done' after the last page, committed (synchronous_commit off: a commit lost with PostgreSQL is a pass
 *     done again, below).
 *   - A crash between Redis and the commit does the pass again: the area log's mark appends (and publishes) once; the
 *     delivery workers' marks (per event key and device) send once. So SIGKILL anywhere loses nothing and doubles
 *     nothing a citizen sees.
 *   - Cancelled (state 'cancelled'): no pass starts after the cancel commits.
 *   - Paced: a page is at most --rate recipients, a pass at most about --rate, and a pass of n takes at least
 *     n / --rate seconds (per process).
 *   - Back-pressure: the broadcast stream is capped near CONG_EVENT_STREAM_MAXLEN like every event stream, so no page
 *     is sent while the delivery workers' group (PUSH_GROUP) has more than --max-backlog entries not yet read or not
 *     yet acknowledged (XINFO GROUPS lag + pending; a lag Redis cannot tell counts as behind): entries are never
 *     trimmed before a worker read them. Without the group (no worker ever ran) there is nothing to wait for and
 *     nothing is held back. Checked before each page.
 *
 * Logging (common/log.h, component "cong-push-fanout"): one line per failure class at most every RELAY_LOG_INTERVAL_S
 * seconds (the relays' runtime), a line per broadcast started and finished; never a subject or a text.
 */
#ifndef CONG_PUSH_FANOUT_H
#define CONG_PUSH_FANOUT_H

#include <hiredis/hiredis.h>
#include <stdint.h>

#include "common/relay_runtime/relay_runtime.h"

#define FANOUT_PAGES_PER_PASS_MAX 10 /* pages one pass (one transaction) may do */

typedef struct fanout_config {
    const char *pg_conninfo; /* --pg, CONG_POSTGRES_CONNINFO */
    const char *redis_host;  /* --redis-host, CONG_REDIS_HOST (127.0.0.1) */
    int redis_port;          /* --redis-port, CONG_REDIS_PORT (6379) */
    int rate;                /* --rate, CONG_PUSH_FANOUT_RATE: recipients a second at most (20000) */
    int page;                /* --page, CONG_PUSH_FANOUT_PAGE: recipients a page, at most (1000) */
    int max_backlog;         /* --max-backlog, CONG_PUSH_FANOUT_MAX_BACKLOG: see above (50000) */
    int poll_ms;             /* --poll-ms, CONG_PUSH_FANOUT_POLL_MS: idle sleep between passes (250) */
    int once;                /* --once: passes until no broadcast is left to send, then exit */
} fanout_config_t;

/* log.c */
void fanout_log_writer(const char *cls, long held_back, const char *msg);

/* redis.c — the workers' backlog, on the runtime's Redis connection (relay_runtime.h). */
/** 1 when the delivery workers are behind by more than max_backlog entries of the broadcast stream, else 0; -1 when
 *  Redis failed (the connection is dropped). */
int fanout_redis_backlogged(relay_redis_t *redis, long long max_backlog);

/* pass.c — one page of one broadcast. */
/** *worked = recipients handled (0 when no broadcast was due, or it waits). 0; CONG_EUNAVAILABLE (Redis down: the
 *  page is rolled back); a PostgreSQL error code. */
int fanout_pass(relay_pg_t *pg, relay_redis_t *redis, const fanout_config_t *cfg, int *worked);

#endif
