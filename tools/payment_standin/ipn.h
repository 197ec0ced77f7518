/*
 * tools/payment_standin/ipn.h — the IPN calls: GET <--ipn-url>?<signed return parameters>, off the loop, with VNPay's
 * retries, and the log of every attempt.
 *
 * Each delivery runs on its own detached thread (at most PAY_IPN_MAX_DELIVERIES at once; beyond that the delivery is
 * logged as dropped): it waits delay_ms, then calls the merchant with libcurl (10 s timeout per attempt). The merchant
 * must answer 200 with JSON {"RspCode":"..","Message":".."}; RspCode 00 or 02 ends the delivery, anything else
 * (another code, not JSON, not 200, a timeout, a refused connection) is retried after retry_ms, up to max_attempts
 * attempts in all. The delivery owns copies of everything it needs: it never touches the store. The attempt log is
 * shared with the loop's thread under a mutex; it keeps the latest PAY_IPN_LOG_MAX attempts.
 */
#ifndef PAY_IPN_H
#define PAY_IPN_H

#include <jansson.h>

#define PAY_IPN_MAX_DELIVERIES 256
#define PAY_IPN_LOG_MAX 10000
#define PAY_IPN_TIMEOUT_MS 10000

typedef struct pay_ipn_delivery {
    const char *ipn_url; /* the merchant's IPN URL (a query is appended with '?' or '&') */
    const char *query;   /* the signed parameters */
    const char *txn_ref; /* for the log */
    const char *mode;    /* for the log: the IPN mode it was sent under */
    int delay_ms, retry_ms, max_attempts;
} pay_ipn_delivery_t;

/** Call once, before any thread starts (curl_global_init). 0, or -1. */
int pay_ipn_init(void);
/** Starts a delivery (everything is copied). 0, or -1 (logged as a dropped attempt) when it could not be started. */
int pay_ipn_send(const pay_ipn_delivery_t *delivery);
/** The attempts logged for txn_ref (NULL: all), oldest first: [{"time","txn_ref","delivery","attempt","mode",
 *  "http_status","rsp_code","message","error","done"}]. NULL when out of memory. */
json_t *pay_ipn_log(const char *txn_ref);

#endif
