/*
 * tools/apns_standin/store.h — what the stand-in APNs remembers, in memory, bounded: the device tokens the tests
 * marked (Unregistered...), the notifications received, each connection's current provider token, and counters.
 * Loop thread only (app.h).
 */
#ifndef APNS_STORE_H
#define APNS_STORE_H

#include "apns_check.h"
#include "apns_jwt.h"

#include <jansson.h>
#include <stdint.h>

#define APNS_MAX_NOTIFICATIONS 10000 /* the oldest is dropped beyond */
#define APNS_MAX_MARKS 100000
#define APNS_MAX_CONNS 1024          /* connections whose token is remembered; the least recently used is forgotten */
#define APNS_TOKEN_REFRESH_MIN_S 1200 /* Apple: a provider token is refreshed at most once every 20 minutes */

typedef struct apns_conn_state {
    uint64_t conn_id; /* 0: free */
    unsigned char digest[32];
    int64_t iat;
    uint64_t last_used;
} apns_conn_state_t;

typedef struct apns_store {
    json_t *marks;         /* lower-case device token → {"reason": name, "timestamp": ms} */
    json_t *notifications; /* [{...}], oldest first */
    apns_conn_state_t conns[APNS_MAX_CONNS];
    uint64_t clock;        /* uses of conns, for least-recently-used */
    long long by_reason[APNS_REASON_COUNT];
    long long requests, token_updates;
} apns_store_t;

int apns_store_init(apns_store_t *s);
/** Forgets everything (POST /control/reset). */
void apns_store_reset(apns_store_t *s);

/** Marks a device token (hex, any case) with a reason and its timestamp (ms), or clears it (reason APNS_OK). 0, or -1
 *  (out of memory, too many marks). */
int apns_store_mark(apns_store_t *s, const char *token, size_t len, apns_reason_t reason, int64_t timestamp_ms);
/** The token's mark (APNS_OK when none) and its timestamp. */
apns_reason_t apns_store_marked(const apns_store_t *s, const char *token, size_t len, int64_t *timestamp_ms);

/** The provider token check that needs the connection: the same token as before on this connection, or the first one,
 *  → OK (remembered); another one whose iat is less than APNS_TOKEN_REFRESH_MIN_S after the current one's →
 *  TOO_MANY_PROVIDER_TOKEN_UPDATES (the current one stays); another, later enough → OK (it becomes the current one,
 *  counted as an update). */
apns_reason_t apns_store_use_token(apns_store_t *s, uint64_t conn_id, const apns_jwt_info_t *token);

/** Records a notification request (takes `record`); counts it under `reason`. */
void apns_store_record(apns_store_t *s, json_t *record, apns_reason_t reason);

#endif
