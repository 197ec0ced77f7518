/*
 * push/live.h — each person's live log: the bounded record of what happened to them, read by the gateway's
 * Server-Sent Events (GET /v1/me/events, modules/push) and written by the delivery side (cong-push-worker for
 * events, cong-push-fanout for broadcasts). This file is the contract between those writers and that reader; the
 * whole pipeline around it is described in push/pipeline.h.
 *
 * In Redis:
 *   - "cong:user:<subject>:log" — a stream, capped near PUSH_LIVE_LOG_MAXLEN entries, expiring PUSH_LIVE_LOG_TTL_S
 *     after its last append. One entry per (event, person), with the fields
 *         k  the event key: "push_outbox:<id>" for a module's event, "broadcast:<id>" for a broadcast
 *         e  the SSE event name: the topic ("dossier.status", "broadcast.message"...)
 *         d  the SSE data, a JSON object on one line:
 *              {"event_key": k, "topic": e, "inbox_id": <the push_inbox / broadcast inbox id, or null>,
 *               "title_vi", "body_vi", "title_en", "body_en": the rendered texts (may be ""),
 *               "data": the event's payload object without "subject"}
 *     The entry's stream id is the SSE event's `id`: a client resuming with Last-Event-ID X reads the entries after X
 *     (XRANGE key (X +). When X is older than the log's first entry and the log was trimmed or expired, there may be
 *     a gap: the reader says so (event "reset": reload the inbox) rather than pretend there is none.
 *   - "cong:push:live:<event key>:<subject>" — the once-only mark of an append, kept PUSH_LIVE_DEDUPE_TTL_S: an
 *     event relayed twice, or re-read after a worker died, is appended once. The mark and the append are one Lua
 *     script, so they cannot part.
 *   - PUBLISH on PUSH_LIVE_CHANNEL after appends: the message is the subjects whose log may have grown, separated by
 *     "\n" (one or many; a subject may be named although nothing new was appended — a reader then finds nothing new).
 *     Every gateway worker of every instance subscribes (module ABI 1.7 register_channel) and, for each subject it
 *     has open event streams for, reads the log after the last id it sent. Pub/Sub loses what is published while a
 *     subscriber is away, so a reader re-reads its streams' logs after each (re)subscription: the log, not the
 *     channel, is the record.
 *
 * Threading: blocking hiredis, for the delivery processes only (never a gateway worker).
 */
#ifndef CONG_PUSH_LIVE_H
#define CONG_PUSH_LIVE_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#define PUSH_LIVE_CHANNEL "cong:live"
#define PUSH_LIVE_LOG_MAXLEN 1000
#define PUSH_LIVE_LOG_TTL_S (30 * 86400)
#define PUSH_LIVE_DEDUPE_TTL_S (7 * 86400)
#define PUSH_LIVE_BATCH_MAX 10000 /* items in one push_live_append */

typedef struct push_live_item {
    const char *subject;   /* the person (a pseudonymous subject: printable ASCII, no space, 1..128) */
    const char *event_key; /* "push_outbox:<id>" or "broadcast:<id>" (1..128, no space) */
    const char *topic;     /* the SSE event name */
    const char *data_json; /* the SSE data, a JSON object on ONE line (no CR or LF), shaped as above */
} push_live_item_t;

/** Appends n items (1..PUSH_LIVE_BATCH_MAX), each to its subject's log once per (event key, subject), and publishes
 *  one message naming their subjects — all pipelined in one round trip. *appended (may be NULL) counts the items
 *  that were new. 0; CONG_EINVAL (a bad item: nothing sent); CONG_EUNAVAILABLE (the connection failed: the caller
 *  drops it and calls again later; the marks make that safe); CONG_EQUERY (Redis refused a command). */
int push_live_append(redisContext *redis, const push_live_item_t *items, size_t n, size_t *appended);

/** The log key of a subject, written to out (NUL-terminated). 0, or CONG_EINVAL when it does not fit. */
int push_live_log_key(const char *subject, char *out, size_t out_size);

#endif
