/*
 * push/delivery/apns_request.h — what the APNs adapter (apns.c) puts on the wire for one push_message_t (provider.h):
 * the JSON payload, the apns-* headers and the request's path, as Apple's "Sending notification requests to APNs"
 * asks. Pure (no network, no clock: the caller passes now); apns.c owns the connection and the provider token.
 *
 * A message APNs would refuse for its own content is refused here, before anything is sent: a collapse id over 64
 * bytes (BadCollapseId), a payload over 4096 bytes (PayloadTooLarge), data that is not a JSON object (BadData) — all
 * PUSH_DROP; a device token that is not 1..200 hex digits (BadDeviceToken, PUSH_GONE, as APNs' 400 would be: it also
 * keeps anything but hex out of the URL's path).
 */
#ifndef CONG_PUSH_DELIVERY_APNS_REQUEST_H
#define CONG_PUSH_DELIVERY_APNS_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "provider.h"

#define APNS_PAYLOAD_MAX 4096     /* bytes, for alert and background pushes */
#define APNS_COLLAPSE_ID_MAX 64   /* bytes */
#define APNS_DEVICE_TOKEN_MAX 200 /* hex digits (Apple's are 64 today; 100 bytes reserved) */

typedef struct apns_request {
    char *payload;              /* malloc'd JSON, payload_len bytes (no NUL counted) */
    size_t payload_len;
    const char *push_type;      /* "alert" (a title or a body) or "background" */
    int priority;               /* 10: alert and high_priority; else 5 (background must be 5) */
    int64_t expiration;         /* seconds since the epoch; 0: deliver once, now or never */
    char apns_id[37];           /* the event id when it is a UUID (lower-cased), else "" */
    const char *collapse_id;    /* the message's, or NULL */
} apns_request_t;

/** Builds msgs' request at now_s (seconds since the epoch). 0; or -1 with *result set (DROP or GONE, its reason) and
 *  nothing to free. */
int apns_request_build(const push_message_t *m, int64_t now_s, apns_request_t *out, push_result_t *result);
void apns_request_free(apns_request_t *req);

/** 1 when s is a UUID in its 8-4-4-4-12 hex form. */
int apns_is_uuid(const char *s);
/** 1 when token is 1..APNS_DEVICE_TOKEN_MAX hex digits. */
int apns_device_token_ok(const char *token);

/** The request's header lines ("name: value"), NULL-terminated, into lines[] (at most APNS_HEADER_LINES, each
 *  malloc'd; free with apns_headers_free). authorization is "bearer <jwt>". 0 or -1 (out of memory). */
#define APNS_HEADER_LINES 8
int apns_request_headers(const apns_request_t *req, const char *topic, const char *jwt,
                         char *lines[APNS_HEADER_LINES + 1]);
void apns_headers_free(char *lines[APNS_HEADER_LINES + 1]);

#endif
