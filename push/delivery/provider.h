/*
 * push/delivery/provider.h — how cong's delivery side hands notifications to a push provider (FCM HTTP v1, APNs), and
 * what it learns back. The contract every provider adapter keeps; the delivery worker (issue 14, to come) and the
 * operators' tool cong-push-send (send_tool.c) are its callers.
 *
 * Why a process and not the gateway: delivery waits on Google's and Apple's servers, retries for minutes and holds
 * provider credentials; it must never take a request worker's time or memory, it scales with the number of devices
 * rather than with requests, and the house plan puts it in push/ (common, auth). It speaks HTTP/2 through libcurl's
 * multi interface, as the gateway's outbound client does: ONE connection per provider endpoint, every message of a
 * batch a stream on it (CURLPIPE_MULTIPLEX, CURLOPT_PIPEWAIT), verified TLS (a private CA through `ca_file` for the
 * stand-ins; plain h2c only when `h2_prior_knowledge=1`, for 127.0.0.1 tests).
 *
 * An adapter:
 *   - is opened from "key=value" options (each adapter's own keys, listed in its file's comment; an unknown key, a
 *     missing required one or a bad value is an error naming the key, never the value), and reads its secrets (service
 *     account, APNs auth key) from files: never from options' values, argv or the environment;
 *   - sends a batch: every message of it is attempted (concurrently, on the one connection), and `send` returns once
 *     each has its result or the deadline passed (a message not answered by then is PUSH_RETRY, reason "timeout");
 *   - keeps its provider credential cached (FCM: the OAuth access token, fetched by signing an RS256 JWT with the
 *     service account and refreshed once before it expires; APNs: the ES256 provider token, reused 20..60 minutes,
 *     since refreshing more often earns 429 TooManyProviderTokenUpdates). Refreshing is single-flight: however many
 *     messages or threads need a credential at once, one fetch or signature is made and the others wait for it;
 *   - may be used by several threads at once (its credential cache and connection are guarded inside it); the
 *     results array is the caller's;
 *   - never logs a device token whole (the first 8 characters at most), a credential, or a payload.
 *
 * Outcomes are what the delivery worker does next, so each adapter maps its provider's answers onto them:
 *   PUSH_SENT   accepted by the provider (FCM 200 with a message name; APNs 200 with apns-id).
 *   PUSH_RETRY  try again later: 429 (FCM QUOTA_EXCEEDED; APNs TooManyRequests), 5xx (UNAVAILABLE, INTERNAL,
 *               ServiceUnavailable, InternalServerError), a connection failure, a timeout, or a credential that could
 *               not be obtained (the token endpoint down). retry_after_s: the provider's Retry-After when it sent one,
 *               else 0 (the worker backs off on its own).
 *   PUSH_GONE   the device token is dead: delete the device (FCM 404 UNREGISTERED, or 400 INVALID_ARGUMENT naming the
 *               token; APNs 410 Unregistered — `gone_at_ms` carries APNs' timestamp — and 400 BadDeviceToken).
 *   PUSH_DROP   never retry this message, the device stays: FCM INVALID_ARGUMENT about the payload, SENDER_ID_MISMATCH,
 *               APNs DeviceTokenNotForTopic, PayloadTooLarge, any other 4xx. Logged once with the provider's reason.
 */
#ifndef CONG_PUSH_DELIVERY_PROVIDER_H
#define CONG_PUSH_DELIVERY_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#define PUSH_REASON_SIZE 64 /* the provider's reason ("UNREGISTERED", "BadDeviceToken", "timeout"...) and its NUL */

/** One notification for one device. Owned by the caller; the adapter copies what it keeps past `send`. */
typedef struct push_message {
    const char *device_token; /* the provider's token for the device (FCM registration token; APNs hex token) */
    const char *title;        /* already in the device's language (templates are rendered before), may be NULL */
    const char *body;         /* idem, may be NULL (a data-only message) */
    const char *data_json;    /* a JSON object of string values for the app (event type, ids), or NULL */
    const char *collapse_id;  /* a newer message with the same id replaces an undelivered older one, or NULL */
    const char *event_id;     /* cong's id of the event (for APNs' apns-id when it is a UUID, and the logs) */
    int ttl_s;                /* how long the provider keeps it for an offline device (0: the provider's default) */
    int high_priority;        /* 1: wake the device now (FCM android.priority HIGH, APNs 10), 0: normal (APNs 5) */
} push_message_t;

typedef enum push_outcome { PUSH_SENT = 0, PUSH_RETRY = 1, PUSH_GONE = 2, PUSH_DROP = 3 } push_outcome_t;

typedef struct push_result {
    push_outcome_t outcome;
    int http_status;                /* the provider's status, 0 when no answer came */
    int retry_after_s;              /* PUSH_RETRY: the provider's Retry-After (seconds), else 0 */
    int64_t gone_at_ms;             /* PUSH_GONE from APNs: when the token stopped being valid, else 0 */
    char reason[PUSH_REASON_SIZE];  /* the provider's error code or reason, "" on success */
} push_result_t;

typedef struct push_provider push_provider_t; /* one adapter instance: its connection and credential cache */

typedef struct push_provider_ops {
    const char *name; /* "fcm", "apns": the platform name of devices (push_devices.platform) */
    /** Opens an adapter from `options` (a NULL-terminated array of "key=value"). 0 and *out, or a negative CONG_E*
     *  code with a one-line reason in err (naming the key, never a secret). Makes no network call. */
    int (*open)(const char *const *options, push_provider_t **out, char *err, size_t err_size);
    /** Sends n messages concurrently on the adapter's connection; results[i] is msgs[i]'s. Returns when all have a
     *  result or after deadline_ms. 0, or a negative CONG_E* code only when nothing could be attempted (all results
     *  are then PUSH_RETRY). */
    int (*send)(push_provider_t *p, const push_message_t *msgs, size_t n, push_result_t *results, int deadline_ms);
    /** Closes the connection and frees the adapter (NULL is fine). */
    void (*close)(push_provider_t *p);
} push_provider_ops_t;

extern const push_provider_ops_t push_fcm_provider;  /* fcm.c */
extern const push_provider_ops_t push_apns_provider; /* apns.c */

/** The adapter for a platform name, NULL if unknown. */
const push_provider_ops_t *push_provider_find(const char *name);

/** The outcome's name ("sent", "retry", "gone", "drop") for logs and the tool's output. */
const char *push_outcome_name(push_outcome_t outcome);

#endif
