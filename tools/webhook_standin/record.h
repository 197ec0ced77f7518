/*
 * tools/webhook_standin/record.h — what the stand-in receiver got, in memory and bounded (GET /control/deliveries):
 * one entry per webhook-id, however many times it came (the spec's idempotency key), and one entry per delivery that
 * carried no usable id.
 *
 * An entry: {"id": str or null, "path", "type": the body's "type" member or null, "timestamp": the last attempt's
 * webhook-timestamp or null, "verified": whether the last attempt verified, "reason": its verdict name ("ok",
 * "no_matching_signature"...), "attempts", "verified_attempts", "status": the last answer (0 while held),
 * "abandoned": attempts whose sender left before the answer, "first_at_ms", "last_at_ms"}. Totals: requests, verified,
 * refused, duplicates (verified attempts of an id already verified before: what at-least-once delivery may cost).
 *
 * Entries are jansson objects owned by the record; a caller that keeps one across a wait (a held answer) takes a
 * reference (json_incref) and releases it: the entry may be dropped from the record meanwhile (reset, the bound).
 * Loop thread only (app.h).
 */
#ifndef WEBHOOK_STANDIN_RECORD_H
#define WEBHOOK_STANDIN_RECORD_H

#include "push/webhook/signature.h"

#include <jansson.h>
#include <stdint.h>

#define WH_MAX_ENTRIES 10000 /* the oldest entry is dropped beyond */
#define WH_TYPE_MAX 128

typedef struct wh_record {
    json_t *entries; /* [entry], oldest first */
    json_t *by_id;   /* webhook-id → entry (the same objects) */
    long long requests, verified, refused, duplicates;
} wh_record_t;

/* One delivery attempt as the receiver saw it. */
typedef struct wh_attempt {
    const char *id; /* NULL when absent or not a valid webhook-id */
    size_t id_len;
    int64_t timestamp; /* -1: none that parsed */
    const char *path;  /* NUL-terminated, printable */
    const char *body;
    size_t body_len;
    webhook_verdict_t verdict;
    int64_t at_ms;
} wh_attempt_t;

int wh_record_init(wh_record_t *r);
void wh_record_reset(wh_record_t *r);
/** Records an attempt; the entry it went to (borrowed), or NULL when out of memory (the totals still count it). */
json_t *wh_record_add(wh_record_t *r, const wh_attempt_t *a);
/** Notes the answer an attempt got (status), or that its sender left first (status 0). */
void wh_record_answered(json_t *entry, int status);
/** The event type of a body: its top-level "type" string (1..WH_TYPE_MAX bytes), copied into out; 0, or -1. */
int wh_event_type(const char *body, size_t len, char out[WH_TYPE_MAX + 1]);
/** {"deliveries": [...] (only `id`'s when id is non-NULL), "requests", "verified", "refused", "duplicates",
 *  "unique_ids"} (NULL: out of memory). */
json_t *wh_record_json(const wh_record_t *r, const char *id);

#endif
