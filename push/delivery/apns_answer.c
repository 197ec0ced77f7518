/*
 * push/delivery/apns_answer.c — APNs' answers onto push outcomes (apns_answer.h).
 */
#include "apns_answer.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRY_AFTER_MAX_S 86400

int apns_retry_after_s(const char *value, int64_t now_s)
{
    if (value == NULL)
        return 0;
    while (*value == ' ' || *value == '\t')
        value++;
    if (*value == '\0')
        return 0;
    char *end = NULL;
    long long s = strtoll(value, &end, 10);
    if (end != value && strspn(end, " \t\r\n") == strlen(end) && *value != '-' && *value != '+')
        return s > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : (int)s;
    time_t at = curl_getdate(value, NULL); /* an HTTP-date */
    if (at == (time_t)-1 || (int64_t)at <= now_s)
        return 0;
    return at - now_s > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : (int)(at - now_s);
}

/* The body's "reason" (printable ASCII only) into r->reason, and its "timestamp" (ms) into *timestamp_ms. */
static void read_body(const char *body, size_t len, push_result_t *r, int64_t *timestamp_ms)
{
    r->reason[0] = '\0';
    *timestamp_ms = 0;
    if (body == NULL || len == 0)
        return;
    json_t *root = json_loadb(body, len, 0, NULL);
    const char *reason = json_string_value(json_object_get(root, "reason"));
    size_t n = 0;
    for (; reason != NULL && reason[n] != '\0' && n + 1 < sizeof r->reason; n++)
        r->reason[n] = reason[n] > ' ' && reason[n] < 0x7f ? reason[n] : '?';
    r->reason[n] = '\0';
    json_t *ts = json_object_get(root, "timestamp");
    if (json_is_integer(ts) && json_integer_value(ts) > 0)
        *timestamp_ms = json_integer_value(ts);
    json_decref(root);
}

void apns_answer_map(int status, const char *body, size_t body_len, const char *retry_after, int64_t now_s,
                     push_result_t *r)
{
    int64_t timestamp_ms = 0;
    *r = (push_result_t){.http_status = status};
    read_body(body, body_len, r, &timestamp_ms);
    if (status == 200) {
        r->outcome = PUSH_SENT;
    } else if (status == 410) {
        r->outcome = PUSH_GONE;
        r->gone_at_ms = timestamp_ms;
    } else if (status == 400 && strcmp(r->reason, "BadDeviceToken") == 0) {
        r->outcome = PUSH_GONE;
    } else if (status == 403 && strstr(r->reason, "ProviderToken") != NULL) {
        r->outcome = PUSH_RETRY;
    } else if (status >= 400 && status < 500 && status != 429) {
        r->outcome = PUSH_DROP;
    } else { /* 429, 5xx, anything APNs does not answer */
        r->outcome = PUSH_RETRY;
        r->retry_after_s = apns_retry_after_s(retry_after, now_s);
    }
}

void apns_answer_no_answer(const char *reason, push_result_t *r)
{
    *r = (push_result_t){.outcome = PUSH_RETRY};
    snprintf(r->reason, sizeof r->reason, "%s", reason);
}

int apns_answer_token_refused(const push_result_t *r)
{
    return r->http_status == 403 &&
           (strcmp(r->reason, "ExpiredProviderToken") == 0 || strcmp(r->reason, "InvalidProviderToken") == 0);
}
