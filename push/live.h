/*
 * push/live.h — the live logs: the bounded record of what happened, read by the gateway's Server-Sent Events
 * (GET /v1/me/events, modules/push) and written by the delivery side (cong-push-worker for a person's events,
 * cong-push-fanout for broadcasts). This file is the contract between those writers and that reader; the whole
 * pipeline around it is described in push/pipeline.h.
 *
 * In Redis:
 *   - "cong:user:<subject>:log" — a person's log: a stream, capped near PUSH_LIVE_LOG_MAXLEN entries, expiring
 *     PUSH_LIVE_LOG_TTL_S after its last append. One entry per (event, person), with the fields
 *         k  the event key: "push_outbox:<id>" for a module's event ("broadcast:<id>" in entries written before
 *            broadcasts got area logs)
 *         e  the SSE event name: the topic ("dossier.status"...)
 *         d  the SSE data, a JSON object on one line:
 *              {"event_key": k, "topic": e, "inbox_id": <the push_inbox / broadcast inbox id, or null>,
 *               "title_vi", "body_vi", "title_en", "body_en": the rendered texts (may be ""),
 *               "data": the event's payload object without "subject"}
 *   - "cong:area:<ward_code>:log" (a ward's or commune's broadcasts) and PUSH_LIVE_CITY_LOG (the city-wide ones) —
 *     the area logs: ONE entry per broadcast, however many people it reaches, shaped as a person's entry (k
 *     "broadcast:<id>", e "broadcast.message", d with inbox_id the broadcast's id and data {broadcast_id, area,
 *     ward_code}) plus
 *         a  when the broadcast was made, microseconds since the epoch (decimal): a reader shows it only to a person
 *            whose area_since (push_subscribers) is at or before it, as the inbox does.
 *     Capped near PUSH_LIVE_AREA_LOG_MAXLEN entries, expiring PUSH_LIVE_AREA_LOG_TTL_S after the last append: a ward
 *     sends a few broadcasts a day, so the cap keeps months of them and the TTL is what usually bounds it; an area
 *     log costs the same whether 10 or 8.5 million people follow it.
 *   - The once-only marks of appends, kept PUSH_LIVE_DEDUPE_TTL_S: "cong:push:live:<event key>:<subject>" for a
 *     person's, PUSH_LIVE_AREA_MARK_PREFIX "<event key>" for an area's. An event relayed twice, re-read after a worker
 *     died, or a fan-out page done twice is appended once. The mark and the append are one Lua script, so they cannot
 *     part.
 *   - PUBLISH on PUSH_LIVE_CHANNEL after appends: the message is lines separated by "\n" (one or many), each either
 *         <subject>            that person's log may have grown
 *         area <ward_code>     that ward's area log grew (PUSH_LIVE_AREA_LINE_PREFIX)
 *         area *               the city log grew (PUSH_LIVE_CITY_LINE)
 *     A subject never contains a space (printable ASCII, no space, 1..128), so no subject line reads as an area
 *     line. A line may be named although nothing new was appended — a reader then finds nothing new. An area's line
 *     is published by the same Lua script that appended (only when it appended), so a rerun publishes nothing.
 *     Every gateway worker of every instance subscribes (module ABI 1.7 register_channel) and, for each subject or
 *     area it has open event streams for, reads the log after the last id it sent. Pub/Sub loses what is published
 *     while a subscriber is away, so a reader re-reads its streams' logs after each (re)subscription: the logs, not
 *     the channel, are the record.
 *
 * The reader (modules/push events.c) follows three logs per open stream: the person's, the area log of the person's
 * ward (push_subscribers.ward_code, read when the stream opens; none without a ward) and the city log (none for a
 * person who is no subscriber: the inbox shows them no broadcast either). Its SSE ids are composite cursors over
 * the three (modules/push/live_id.c).
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
#define PUSH_LIVE_CITY_LOG "cong:city:log"
#define PUSH_LIVE_AREA_LOG_MAXLEN 1000
#define PUSH_LIVE_AREA_LOG_TTL_S (30 * 86400)
#define PUSH_LIVE_AREA_MARK_PREFIX "cong:push:live-area:"
#define PUSH_LIVE_AREA_LINE_PREFIX "area "
#define PUSH_LIVE_CITY_LINE "area *"

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

/* One broadcast for its area log. */
typedef struct push_live_area_item {
    const char *ward_code; /* the ward or commune ([A-Z0-9-], 1..32), or NULL for city-wide */
    const char *event_key; /* "broadcast:<id>" (1..128, no space) */
    const char *topic;     /* the SSE event name */
    const char *data_json; /* the SSE data, a JSON object on ONE line */
    long long made_us;     /* when the broadcast was made: the entry's field a */
} push_live_area_item_t;

/** Appends `item` to its area log once per event key and, when it appended, publishes the area's line — one Lua
 *  script, one round trip. *appended (may be NULL): 1 when it was new. 0; CONG_EINVAL; CONG_EUNAVAILABLE;
 *  CONG_EQUERY. */
int push_live_area_append(redisContext *redis, const push_live_area_item_t *item, int *appended);

/** The area log's key of a ward (NULL: the city log), written to out. 0, or CONG_EINVAL. */
int push_live_area_log_key(const char *ward_code, char *out, size_t out_size);

/** The log key of a subject, written to out (NUL-terminated). 0, or CONG_EINVAL when it does not fit. */
int push_live_log_key(const char *subject, char *out, size_t out_size);

#endif
