/*
 * tools/apns_standin/apns_check.h — what APNs checks in a notification request, as pure functions over bytes (no
 * h2o, no clock, no state): the reasons and their statuses, the device token in the path, the apns-* headers and the
 * payload. The provider token is apns_jwt.h's. Unit-tested (tests/unit/tools/test_apns_standin_check.c) and fuzzed
 * (tests/fuzz/fuzz_apns_standin.c): every input here comes from the network.
 */
#ifndef APNS_CHECK_H
#define APNS_CHECK_H

#include <stddef.h>
#include <stdint.h>

/* Apple's reasons ("Handling notification responses from APNs"), in the JSON body {"reason": ...} of an error. */
typedef enum apns_reason {
    APNS_OK = 0,
    APNS_BAD_COLLAPSE_ID,
    APNS_BAD_DEVICE_TOKEN,
    APNS_BAD_EXPIRATION_DATE,
    APNS_BAD_MESSAGE_ID,
    APNS_BAD_PRIORITY,
    APNS_BAD_TOPIC,
    APNS_DEVICE_TOKEN_NOT_FOR_TOPIC,
    APNS_DUPLICATE_HEADERS,
    APNS_INVALID_PUSH_TYPE,
    APNS_MISSING_DEVICE_TOKEN,
    APNS_MISSING_TOPIC,
    APNS_PAYLOAD_EMPTY,
    APNS_TOPIC_DISALLOWED,
    APNS_EXPIRED_PROVIDER_TOKEN,
    APNS_INVALID_PROVIDER_TOKEN,
    APNS_MISSING_PROVIDER_TOKEN,
    APNS_BAD_PATH,
    APNS_METHOD_NOT_ALLOWED,
    APNS_EXPIRED_TOKEN,
    APNS_UNREGISTERED,
    APNS_PAYLOAD_TOO_LARGE,
    APNS_TOO_MANY_PROVIDER_TOKEN_UPDATES,
    APNS_TOO_MANY_REQUESTS,
    APNS_INTERNAL_SERVER_ERROR,
    APNS_SERVICE_UNAVAILABLE,
    APNS_REASON_COUNT
} apns_reason_t;

/** Apple's name of a reason ("BadDeviceToken"), "" for APNS_OK. */
const char *apns_reason_name(apns_reason_t r);
/** Its HTTP status (400, 403, 404, 405, 410, 413, 429, 500, 503; 200 for APNS_OK). */
int apns_reason_status(apns_reason_t r);
/** The reason named exactly `name` (NUL-terminated), or -1. */
int apns_reason_parse(const char *name);

#define APNS_DEVICE_TOKEN_MIN 64 /* hex digits: 32 bytes, today's tokens */
#define APNS_DEVICE_TOKEN_MAX 200
#define APNS_COLLAPSE_ID_MAX 64
#define APNS_PAYLOAD_MAX 4096      /* bytes, every push type but voip */
#define APNS_PAYLOAD_MAX_VOIP 5120 /* voip */
#define APNS_TOPIC_MAX 255
#define APNS_UUID_LEN 36

/** MISSING_DEVICE_TOKEN for an empty token, BAD_DEVICE_TOKEN unless it is hex of an even length within
 *  APNS_DEVICE_TOKEN_MIN..MAX, else OK. */
apns_reason_t apns_check_device_token(const char *token, size_t len);
/** 1 when s is a UUID in its canonical text form (8-4-4-4-12 hex digits, either case). */
int apns_uuid_ok(const char *s, size_t len);

/* One request header: base NULL when absent; count > 1 when repeated. */
typedef struct apns_field {
    const char *base;
    size_t len;
    int count;
} apns_field_t;

/* The apns-* request headers (the authorization header is apns_jwt.h's). */
typedef struct apns_headers {
    apns_field_t id, topic, push_type, priority, expiration, collapse_id;
} apns_headers_t;

/* The push types Apple knows (apns-push-type), each with the suffix its apns-topic carries after the bundle id. */
typedef enum apns_push_type {
    APNS_PUSH_ALERT = 0,
    APNS_PUSH_BACKGROUND,
    APNS_PUSH_LOCATION,
    APNS_PUSH_VOIP,
    APNS_PUSH_COMPLICATION,
    APNS_PUSH_FILEPROVIDER,
    APNS_PUSH_MDM,
    APNS_PUSH_LIVEACTIVITY,
    APNS_PUSH_PUSHTOTALK,
    APNS_PUSH_WIDGETS,
    APNS_PUSH_TYPE_COUNT
} apns_push_type_t;

/** What the headers said, when they pass. */
typedef struct apns_notification_meta {
    apns_push_type_t push_type;
    int priority;       /* 10 when absent */
    int64_t expiration; /* seconds since the epoch; -1 when absent */
} apns_notification_meta_t;

/** "alert", "voip"... */
const char *apns_push_type_name(apns_push_type_t t);

/** Checks the headers against the one app of the stand-in (`bundle`, its bundle id), in this order: any apns-* header
 *  repeated → DUPLICATE_HEADERS; apns-id present and not a UUID → BAD_MESSAGE_ID; apns-topic absent → MISSING_TOPIC,
 *  empty, over APNS_TOPIC_MAX or not printable ASCII without spaces → BAD_TOPIC, neither the bundle id nor the bundle
 *  id followed by a known push type's suffix → TOPIC_DISALLOWED; apns-push-type absent or unknown → INVALID_PUSH_TYPE;
 *  the topic not the one of the push type (e.g. voip to the bare bundle id) → DEVICE_TOKEN_NOT_FOR_TOPIC;
 *  apns-priority other than 1, 5 or 10 → BAD_PRIORITY, and background with a priority other than 5 (absent counts as
 *  10) → BAD_PRIORITY; apns-expiration not 1..10 decimal digits → BAD_EXPIRATION_DATE; apns-collapse-id over
 *  APNS_COLLAPSE_ID_MAX bytes → BAD_COLLAPSE_ID. On OK *meta is filled. */
apns_reason_t apns_check_headers(const apns_headers_t *h, const char *bundle, apns_notification_meta_t *meta);

/** The payload: over the push type's maximum (APNS_PAYLOAD_MAX, voip APNS_PAYLOAD_MAX_VOIP) → PAYLOAD_TOO_LARGE;
 *  empty, not a JSON object (duplicate members refused), or without an "aps" object → PAYLOAD_EMPTY. */
apns_reason_t apns_check_payload(const char *body, size_t len, apns_push_type_t type);

#endif
