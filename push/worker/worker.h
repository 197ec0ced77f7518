/*
 * push/worker/worker.h — cong-push-worker: reads the event streams with the consumer group PUSH_GROUP, appends each
 * event to its person's live log and delivers it to the person's devices through the provider adapters
 * (push/delivery/provider.h). The contract is push/pipeline.h's "cong-push-worker" section; this header adds what the
 * contract leaves to the process:
 *
 *   - Configuration: flags, each with an environment variable (worker_config_t). Provider adapters are opened from
 *     repeated `--fcm key=value` / `--apns key=value` flags (the adapters' own keys: secrets only as file paths). A
 *     platform without an adapter keeps its devices' sends as retries (reason "no adapter") until one is configured
 *     or the message ages out.
 *   - The delivery mark hash "cong:push:dlv:<event key>" holds, besides sent / dropped / gone, "retry:<attempt>"
 *     while a retry is scheduled: it is written in the same MULTI as the ZADD, so a reclaimed entry skips a device a
 *     retry owns, and a retry member whose attempt is not the mark's (a leftover) is removed without sending.
 *   - Sends of a batch go platform by platform (FCM, then APNs), each platform's outcomes written before the next
 *     platform is tried, so a crash during one platform's sends never resends another's. A batch thus takes up to
 *     2 × --deadline-ms; --claim-idle-ms must exceed that by 2 s (checked at start): an entry a live worker still
 *     works on is never reclaimed.
 *   - Redis or PostgreSQL down: nothing is acknowledged; the loop waits with backoff (250 ms doubling to 5 s) and
 *     retries; entries left pending come back through XAUTOCLAIM. The process never exits for a store.
 *   - Logging (common/log.h, component "cong-push-worker"): failures rate-limited per class (common/relay_runtime),
 *     a dropped message once with its provider's reason, and a totals line at most every 10 s when something was
 *     done ("sent N, retry N, gone N, dropped N, ended N, acked N"); never a token, a credential, a payload, a text
 *     or a subject (an event key and a device id, which name nothing, are logged).
 *
 * Single-threaded: blocking hiredis and libpq on the main thread; the adapters use their own connection threads.
 */
#ifndef CONG_PUSH_WORKER_H
#define CONG_PUSH_WORKER_H

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdint.h>

#include "common/relay_runtime/relay_runtime.h"
#include "push/delivery/provider.h"

#define WORKER_MAX_OPTIONS 32
#define WORKER_MAX_TOPICS 256
#define WORKER_PLATFORMS 2 /* fcm, apns */

typedef struct worker_config {
    const char *pg_conninfo;  /* --pg, CONG_POSTGRES_CONNINFO */
    const char *redis_host;   /* --redis-host, CONG_REDIS_HOST (127.0.0.1) */
    int redis_port;           /* --redis-port, CONG_REDIS_PORT (6379) */
    int batch;                /* --batch, CONG_PUSH_WORKER_BATCH: entries per XREADGROUP / XAUTOCLAIM / retries (50) */
    int block_ms;             /* --block-ms, CONG_PUSH_WORKER_BLOCK_MS: XREADGROUP's BLOCK (1000) */
    int deadline_ms;          /* --deadline-ms, CONG_PUSH_WORKER_DEADLINE_MS: one provider batch (10000) */
    int claim_idle_ms;        /* --claim-idle-ms, CONG_PUSH_WORKER_CLAIM_IDLE_MS: reclaim and lease time (30000) */
    int claim_every_ms;       /* --claim-every-ms, CONG_PUSH_WORKER_CLAIM_EVERY_MS: XAUTOCLAIM period (5000) */
    int retry_base_ms;        /* --retry-base-ms, CONG_PUSH_WORKER_RETRY_BASE_MS: first backoff (1000) */
    int retry_max_ms;         /* --retry-max-ms, CONG_PUSH_WORKER_RETRY_MAX_MS: backoff cap (900000) */
    int retry_max_age_s;      /* --retry-max-age-s, CONG_PUSH_WORKER_RETRY_MAX_AGE_S: then dropped (86400) */
    const char *fcm_options[WORKER_MAX_OPTIONS + 1];  /* --fcm KEY=VALUE... */
    const char *apns_options[WORKER_MAX_OPTIONS + 1]; /* --apns KEY=VALUE... */
} worker_config_t;

/* redis.c — on the runtime's Redis connection (relay_runtime.h: relay_redis_t; its generation counts connections
 * made, and the consumer groups are made again on a new one). */
/** A reply that is neither NULL nor an error; else the connection is dropped (NULL) or the error logged. */
int worker_reply_ok(relay_redis_t *r, redisReply *reply, const char *what);

typedef struct worker_totals {
    long sent, retry, gone, dropped, ended, acked;
} worker_totals_t;

/* The process state every part shares. */
typedef struct worker {
    const worker_config_t *cfg;
    relay_pg_t pg;
    relay_redis_t redis;
    char consumer[300];                            /* "<hostname>:<pid>" */
    char *topics[WORKER_MAX_TOPICS];               /* the streams' topics, broadcast.message included */
    int ntopics, groups_generation;                /* groups made on the connection of that generation */
    int64_t topics_at_ms, claim_at_ms, consumers_at_ms;
    const push_provider_ops_t *ops[WORKER_PLATFORMS];
    push_provider_t *providers[WORKER_PLATFORMS]; /* NULL: no adapter configured */
    worker_totals_t totals;
    unsigned seed;
} worker_t;

/* An event of a batch (event.c). */
typedef struct worker_event {
    char topic[72];       /* the stream's topic */
    char entry_id[48];    /* the stream entry's id */
    char *event_key, *subject;
    json_t *data;         /* the event's payload */
    int live_done, broadcast, has_texts;
    char inbox_id[64];    /* "" when none */
    char *texts[4];       /* title_vi, body_vi, title_en, body_en ("" when none) */
    int unfinished;       /* device sends without a mark or a scheduled retry: not acknowledged while > 0 */
    int ok;               /* 0: a store failed for it; it stays pending */
} worker_event_t;

/* A send to one device (deliver.c). */
typedef struct worker_send {
    worker_event_t *ev;
    char device_id[40], session_id[160], locale[4];
    int platform;         /* index into worker_t.ops */
    char *token;
    int attempt;          /* 1 for a first send */
    char *retry_member;   /* the retry set's member this send came from, or NULL */
    push_result_t result;
    int skip;             /* 1: session ended (row deleted), or nothing to send */
} worker_send_t;

/* log.c */
void worker_log_writer(const char *cls, long held_back, const char *msg);
/** The totals line, at most every 10 s and only when something changed. */
void worker_log_totals(worker_t *w, int force);

/* streams.c — topics, groups, reading, reclaiming, acknowledging. */
/** Re-reads the topics from push_templates when due (every minute) and makes missing groups. 0 or CONG_E*. */
int worker_streams_prepare(worker_t *w);
/** Entries to work on, parsed into evs (at most cfg->batch; *nevs of them, each freed by worker_event_free):
 *  reclaimed ones (*reclaimed = 1) when a reclaim is due and finds some, else new ones (XREADGROUP, BLOCK). */
int worker_streams_next(worker_t *w, worker_event_t *evs, int *nevs, int *reclaimed);
/** XACK of the events whose devices are all done. */
int worker_streams_ack(worker_t *w, worker_event_t *evs, int nevs);
/** Deletes consumers idle for an hour without pending entries (every few minutes). */
void worker_streams_prune(worker_t *w);

/* event.c — an entry into an event; the texts; the live append. */
/** Fills ev from the entry's field "m" (push/push.h). 0, or CONG_EINVAL for an entry that is not an event. */
int worker_event_parse(worker_event_t *ev, const char *topic, const char *entry_id, const char *m, size_t m_len);
void worker_event_free(worker_event_t *ev);
/** Loads the texts of the events (their inbox rows; a broadcast's from its data). 0 or CONG_E*. */
int worker_events_texts(worker_t *w, worker_event_t *evs, int n);
/** Appends the events (not live_done) to their live logs. 0 or CONG_E*. */
int worker_events_live(worker_t *w, worker_event_t *evs, int n);

/* deliver.c — devices, sessions, sends, outcomes. */
/** Delivers the events to their people's devices not yet marked. Failures leave events' ok at 0. */
void worker_deliver_events(worker_t *w, worker_event_t *evs, int n);
/** Sends the prepared sends (sessions checked first) and writes their outcomes. */
void worker_deliver_sends(worker_t *w, worker_send_t *sends, int n);
void worker_send_free(worker_send_t *s);
/** The platform index of a name, -1 if unknown. */
int worker_platform(const char *name);

/* retry.c — the retry set. */
/** Writes, in one MULTI to be EXECed by the caller, the scheduling of s's next attempt (or its drop once too old);
 *  returns the outcome recorded: PUSH_RETRY, or PUSH_DROP when the message aged out. */
push_outcome_t worker_retry_schedule(worker_t *w, const worker_send_t *s, int *commands);
/** Takes due retries (a lease of claim_idle_ms) and handles them. *taken: how many. 0 or CONG_E*. */
int worker_retry_pass(worker_t *w, int *taken);
/** Wall clock in milliseconds (due times are shared by workers on several hosts). */
int64_t worker_wall_ms(void);

#endif
