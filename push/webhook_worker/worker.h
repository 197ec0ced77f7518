/*
 * push/webhook_worker/worker.h — cong-webhook-worker: delivers the webhook deliveries of organizations' endpoints
 * (issue 18; the tables and functions of modules/orgs/migrations/0003_webhooks.sql, the rules of modules/orgs/orgs.h
 * "Webhooks"). A process of its own, like cong-push-worker: blocking libpq (common/relay_runtime/) and libcurl multi;
 * several run at once, on one host or many.
 *
 * Where the work comes from. The same outbox as push: a writer's push_outbox row about "org:<id>" makes, in its own
 * transaction (a trigger), one webhook_deliveries row per subscribed endpoint — once, by construction. This worker
 * does not read the Redis streams: the delivery log must be in PostgreSQL anyway (the API lists it, replays from it,
 * counts attempts), so a stream would only be copied into it, and an event could be lost between the two.
 *
 * Taking work: webhook_claim(batch, per_endpoint, lease_ms), FOR UPDATE SKIP LOCKED on the endpoint rows then the
 * deliveries: a taken delivery is leased for lease_ms (its next_attempt_at moves that far ahead), so a worker killed
 * mid-delivery lets it come due again and another worker (or its restart) sends it again — same webhook-id, same body:
 * the receiver may get it twice, and deduplicates. lease_ms is at least 2 x --deadline-ms + 2 s (longer than any
 * send). Chosen over XAUTOCLAIM because the lease and the log are one row: no second store to agree with.
 *
 * Isolation. At most --per-endpoint deliveries of one endpoint are under way at once, over all workers (counted under
 * the endpoint row's lock), and each send has --connect-ms and --deadline-ms (total) deadlines; the sends of one
 * worker run concurrently in one curl multi handle (at most --max-in-flight), so a receiver that never answers holds
 * --per-endpoint slots for --deadline-ms and nothing else: other organizations' deliveries are taken and sent
 * meanwhile. The ABI's outbound HTTP client is the gateway's (per request, on the worker loops); a process of its own
 * keeps retries that span a day off the gateway and scales apart from it, with the same libcurl and its defaults:
 * certificates always verified (--ca-file, else the system's), no proxy, no redirect, https only (http allowed for
 * 127.0.0.1 with --allow-http-loopback, development), and no connection to an internal address, checked after DNS
 * (push/webhook/address.h: private, link-local, loopback — loopback allowed with --allow-http-loopback).
 *
 * A send: POST url, body = the row's body (made once at the event), headers content-type application/json,
 * webhook-id "msg_<delivery id hex>", webhook-timestamp now, webhook-signature (push/webhook/signature.h) with the
 * endpoint's secret, opened from its sealed form with --key-file (push/webhook/seal.h) — and, while a rotation's
 * overlap runs (POST .../rotate-secret, modules.orgs.webhook_rotation_overlap_s; webhook_previous_secret in
 * modules/orgs/migrations/0004), with the previous secret too: two space-separated "v1,..." entries, the new first,
 * so a receiver holding either verifies. Any 2xx is delivered; anything
 * else (a status, a timeout, a refused connection, a TLS failure) is retried by push/webhook/schedule.h (--retry-*),
 * and once the schedule is exhausted the delivery has failed and webhook_record disables the endpoint when it
 * delivered nothing for that whole series and tells the organization (push_outbox topic webhook.endpoint_disabled).
 * The response body is read and dropped (at most 64 KiB), never logged or stored.
 *
 * Logs (common/log.h, component "cong-webhook-worker"): failures rate-limited per class, totals every 10 s; never a
 * secret, a signature, a body or a URL (a URL may carry a receiver's token): endpoints by id.
 * SIGTERM/SIGINT: stops taking, waits for the sends under way (their deadline at most), records them, exits 0.
 */
#ifndef CONG_PUSH_WEBHOOK_WORKER_H
#define CONG_PUSH_WEBHOOK_WORKER_H

#include <curl/curl.h>
#include <stdint.h>

#include "push/webhook/schedule.h"
#include "push/webhook/seal.h"
#include "relay_runtime.h"

typedef struct ww_config {
    const char *pg_conninfo, *key_file, *ca_file;
    int max_in_flight, per_endpoint, batch, poll_ms, connect_ms, deadline_ms;
    int retry_base_ms, retry_max_ms, retry_max_age_s, allow_http_loopback;
} ww_config_t;

typedef struct ww_totals {
    long delivered, retried, failed, disabled, stale, taken;
} ww_totals_t;

/* One send under way. */
typedef struct ww_send {
    char id[37], webhook_id[40], endpoint[37];
    int attempts, tries;
    int64_t series_ms;
    char *url, *body;
    struct curl_slist *headers;
    CURL *easy;
    long response_bytes;
    struct ww_send *next;
} ww_send_t;

typedef struct ww {
    const ww_config_t *cfg;
    relay_pg_t pg;
    CURLM *multi;
    unsigned char key[WEBHOOK_SEAL_KEY_BYTES];
    webhook_schedule_t schedule;
    int in_flight;
    ww_send_t *sends;
    ww_totals_t totals;
} ww_t;

/* claim.c — PostgreSQL: the lease and the outcome. */
/** Takes up to `room` due deliveries and starts their sends. *taken: how many. 0 or CONG_E*. */
int ww_claim(ww_t *w, int room, int *taken);
/** Records a finished send: delivered (status 2xx), or its retry / failure. */
void ww_record(ww_t *w, ww_send_t *s, long status, const char *error);

/* send.c — libcurl. */
/** Signs and starts s (owned by w from now on, freed by ww_send_finish). previous (previous_len 0: none): the sealed
 *  secret a rotation replaced, while its overlap runs — signed with too. 0, or -1 (s is recorded as failed). */
int ww_send_start(ww_t *w, ww_send_t *s, const unsigned char *sealed, size_t sealed_len,
                  const unsigned char *previous, size_t previous_len);
/** Runs the transfers for up to wait_ms and records the finished ones. */
void ww_send_run(ww_t *w, int wait_ms);
void ww_send_free(ww_send_t *s);

/* log.c */
void ww_log_writer(const char *cls, long held_back, const char *msg);
void ww_log_totals(ww_t *w, int force);
int64_t ww_wall_ms(void);

#endif
