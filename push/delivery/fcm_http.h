/*
 * push/delivery/fcm_http.h — the libcurl settings every FCM call shares (messages:send and the OAuth token endpoint),
 * and the buffer an answer is read into. As gateway/outbound does it: TLS always verified (a private CA through
 * ca_file), no proxy from the environment, no redirects, http/https only.
 */
#ifndef CONG_PUSH_DELIVERY_FCM_HTTP_H
#define CONG_PUSH_DELIVERY_FCM_HTTP_H

#include <curl/curl.h>
#include <stddef.h>

#define FCM_ANSWER_MAX 65536 /* FCM's answers are small JSON; more is cut (and then fails to parse) */

typedef struct fcm_transport {
    const char *ca_file;    /* NULL: the system's CAs */
    long connect_timeout_ms;
} fcm_transport_t;

/** What came back: the body (at most FCM_ANSWER_MAX bytes, NUL-terminated) and the Retry-After, -1 when none. */
typedef struct fcm_answer_buf {
    char *body;
    size_t len;
    int retry_after_s;
} fcm_answer_buf_t;

/** curl_global_init, once per process. 0 or CONG_ENOMEM. */
int fcm_http_global_init(void);
/** The shared settings on `e` for `url`, with the overall timeout and the answer read into `buf` (zeroed here). */
void fcm_http_setup(CURL *e, const fcm_transport_t *t, const char *url, long timeout_ms, fcm_answer_buf_t *buf);
void fcm_answer_buf_free(fcm_answer_buf_t *buf);
/** 1 for an http:// or https:// URL whose host is 127.0.0.1, [::1] or localhost; else 0. */
int fcm_url_is_loopback(const char *url);
/** 1 when `url` may carry a credential: https://, or http:// to the loopback (the stand-ins). */
int fcm_url_allowed(const char *url);

#endif
