/*
 * push/delivery/apns_answer.h — APNs' answer to one notification onto provider.h's outcomes (Apple's "Handling
 * notification responses from APNs"). Pure: apns.c hands it the status, the body and Retry-After it read.
 *
 *   200                                          SENT
 *   410 Unregistered / ExpiredToken              GONE, gone_at_ms = the body's "timestamp"
 *   400 BadDeviceToken                           GONE
 *   403 ExpiredProviderToken, InvalidProviderToken, MissingProviderToken
 *                                                RETRY (our credential, not the message: apns.c re-signs once first)
 *   429 TooManyRequests, TooManyProviderTokenUpdates; 5xx; no answer
 *                                                RETRY, retry_after_s from Retry-After (seconds or an HTTP date)
 *   any other 4xx (DeviceTokenNotForTopic, TopicDisallowed, BadCollapseId, 413 PayloadTooLarge...)
 *                                                DROP
 * reason is the body's "reason" (printable ASCII, cut to fit), else "".
 */
#ifndef CONG_PUSH_DELIVERY_APNS_ANSWER_H
#define CONG_PUSH_DELIVERY_APNS_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "provider.h"

/** Maps an answer. body may be NULL; retry_after the header's value or NULL; now_s for an HTTP-date Retry-After. */
void apns_answer_map(int status, const char *body, size_t body_len, const char *retry_after, int64_t now_s,
                     push_result_t *r);
/** A transfer that got no answer: RETRY with reason (e.g. "timeout", "tls-verification-failed"). */
void apns_answer_no_answer(const char *reason, push_result_t *r);
/** 1 when the answer refused our provider token (403 Expired/InvalidProviderToken): re-sign and try once more. */
int apns_answer_token_refused(const push_result_t *r);
/** Retry-After's value in seconds (0..86400), 0 when absent or unreadable. */
int apns_retry_after_s(const char *value, int64_t now_s);

#endif
