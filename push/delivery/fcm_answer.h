/*
 * push/delivery/fcm_answer.h — what an FCM HTTP v1 answer means for a message (provider.h's outcomes). Pure: no I/O,
 * no state; fcm.c feeds it each transfer's status, body and Retry-After, the unit tests every row.
 */
#ifndef CONG_PUSH_DELIVERY_FCM_ANSWER_H
#define CONG_PUSH_DELIVERY_FCM_ANSWER_H

#include <stddef.h>

#include "provider.h"

/** Maps FCM's answer (HTTP status, the JSON body of `len` bytes — may be NULL or not JSON —, Retry-After in seconds
 *  or -1 when absent) onto *out:
 *    200 → SENT; 404 with errorCode UNREGISTERED → GONE; 400 INVALID_ARGUMENT → GONE when the error is about the
 *    registration token (a fieldViolation on message.token, or Google's "registration token is not a valid..."),
 *    else DROP; 401 → RETRY (our credential, not the message); 429 and every 5xx → RETRY with the Retry-After when
 *    given; any other 4xx (SENDER_ID_MISMATCH, PERMISSION_DENIED, a 404 that does not say UNREGISTERED) → DROP; any
 *    other status → RETRY.
 *  The reason is the FcmError detail's errorCode, else error.status, else "http NNN"; "" when sent. */
void fcm_answer_map(int status, const char *body, size_t len, int retry_after_s, push_result_t *out);

/** A Retry-After header's value (delta-seconds only, which is what FCM sends) → seconds capped at one day, or -1
 *  when absent or not a number (an HTTP-date is treated as absent: the worker backs off on its own). */
int fcm_retry_after_parse(const char *value, size_t len);

/** *out set for a message that got no answer: RETRY with `reason` ("timeout", "connection", "credential"...). */
void fcm_answer_no_answer(const char *reason, push_result_t *out);

#endif
