/*
 * modules/procedures/portal_sync/portal_sync.h — cong-portal-sync, the relay of the procedures' portal outbox: dossier
 * versions to the National Public Service Portal. A process of its own (blocking libpq and libcurl), never inside the
 * gateway; several may run against one database. (The procedures' push events, push_outbox, leave through push/'s own
 * relay, cong-push-relay: push/relay/relay.h.)
 *
 * The delivery contract (portal_outbox → the portal)
 *   - Written with the dossier: every creation and transition of a dossier inserts one portal_outbox row (dossier_id,
 *     dossier_code, version, payload) in the same transaction, so a committed change always has its row, and a rolled
 *     back one never does.
 *   - At-least-once transport: a row is sent until the portal answers 2xx, then acked_at is set. A worker killed after
 *     the portal applied a version but before its ack was committed sends it again.
 *   - Idempotent receiver: the portal keys versions by (dossier_code, version) and applies each once; a repeat is
 *     answered 2xx and not applied again. At-least-once + idempotent by key = exactly once applied.
 *   - Order per dossier: only the lowest unacked version of a dossier is ever due, so version n+1 is never sent
 *     while version n is unacked (it waits behind n's backoff too). Different dossiers do not wait for each other.
 *   - Several workers: rows are claimed with FOR UPDATE SKIP LOCKED inside a transaction that stays open while they
 *     are sent; a dossier's next version cannot be claimed while an earlier one is unacked, so two workers never send
 *     two versions of one dossier at once. A worker that dies releases its rows when its connection drops.
 *   - Retries: any answer but 2xx (409 "out of order" included), a timeout or a connection error sets
 *     attempts = attempts + 1, last_error = a short reason ("http 503", "curl CURLE_OPERATION_TIMEDOUT"; never a
 *     token or a payload) and next_attempt_at = now + backoff: initial_backoff_ms doubled per failed attempt up to
 *     max_backoff_ms, with jitter (a uniformly random time between half the delay and the delay). A 2xx sets
 *     acked_at and clears last_error; attempts counts every send, the successful one included. Rows are never given
 *     up on: the gateway's GET /v1/admin/sync shows what is stuck and why.
 *
 * The blocking runtime (PostgreSQL connection, stop flag, rate-limited log, pass loop) is the relays' shared one,
 * common/relay_runtime/relay_runtime.h: the one header beyond the cong/ headers that a module's own program may include.
 * Everything returns 0 or a negative CONG_E* code (include/cong/errors.h). Logging: one line per failure class at
 * most every RELAY_LOG_INTERVAL_S seconds, with the number of lines held back; never payloads or tokens.
 */
#ifndef CONG_PORTAL_SYNC_H
#define CONG_PORTAL_SYNC_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "relay_runtime.h"

#define PSYNC_TOKEN_MAX 512
#define PSYNC_REASON_MAX 64

typedef struct psync_config {
    const char *pg_conninfo;  /* --pg, CONG_POSTGRES_CONNINFO */
    const char *portal_url;   /* --portal-url, CONG_PORTAL_URL: base URL, e.g. http://127.0.0.1:8091 */
    char token[PSYNC_TOKEN_MAX + 1]; /* first line of --portal-token-file / CONG_PORTAL_TOKEN_FILE */
    int batch;                /* --batch, CONG_PORTAL_SYNC_BATCH: rows claimed per pass (20) */
    int timeout_ms;           /* --timeout-ms, CONG_PORTAL_TIMEOUT_MS: per request to the portal (5000) */
    int initial_backoff_ms;   /* --initial-backoff-ms (500) */
    int max_backoff_ms;       /* --max-backoff-ms, CONG_PORTAL_SYNC_MAX_BACKOFF_MS (300000) */
    int poll_ms;              /* --poll-ms: idle sleep between passes (250) */
    int once;                 /* --once: passes until nothing is due, then exit */
} psync_config_t;

/* log.c — the writer of relay_log_failure / relay_log_info: "cong-portal-sync: <UTC time> <class>: <message>" on
 * stderr ("info" as the class of an info line). */
void psync_log_writer(const char *cls, long held_back, const char *msg);

/* backoff.c */
/** The delay before the next attempt after `attempts` failed ones (≥ 1): initial · 2^(attempts-1) capped at max,
 *  then jittered uniformly into [delay/2, delay]. */
int psync_backoff_ms(int attempts, int initial_ms, int max_ms);

/* portal_client.c — PUT {portal_url}/api/v1/dossiers/{code}/versions/{version}, Authorization: Bearer <token>. */
typedef struct psync_portal {
    CURL *curl;
    struct curl_slist *headers; /* holds the Authorization header: freed (and wiped) by close */
    const char *base_url;       /* borrowed from the config */
    int timeout_ms;
} psync_portal_t;

/** 0, CONG_ENOMEM. The token is copied into the header list. */
int psync_portal_open(psync_portal_t *p, const char *base_url, const char *token, int timeout_ms);
void psync_portal_close(psync_portal_t *p);
/** Sends one version. 0 when the portal answered 2xx; else CONG_EIO with reason = "http <status>" or
 *  "curl <CURLE name>" (NUL-terminated, never the token). *http_status = the status, 0 without an answer. */
int psync_portal_put(psync_portal_t *p, const char *code, int version, const char *payload, size_t len,
                     int *http_status, char reason[PSYNC_REASON_MAX]);

/* outbox.c — one pass over portal_outbox. */
/** Claims up to cfg->batch due rows (the lowest unacked version of each dossier), sends each, records the outcome,
 *  commits. *sent = rows attempted, *acked = rows the portal took. Stops early (committing what was done) when a
 *  stop is requested. 0, or a PostgreSQL error code. */
int psync_outbox_pass(relay_pg_t *pg, psync_portal_t *portal, const psync_config_t *cfg, int *sent, int *acked);

#endif
