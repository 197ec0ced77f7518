/*
 * tools/payment_standin/app.h — the stand-in VNPay's configuration, test modes and state, shared by its parts.
 *
 * One loop thread answers every request, one at a time: the store and the modes are touched only there, so nothing
 * here is locked. IPN calls run on their own threads (ipn.h) with copies of what they send.
 */
#ifndef PAY_APP_H
#define PAY_APP_H

#include "store.h"

#include <stddef.h>
#include <uv.h>

#define PAY_SECRET_MAX 256
#define PAY_TOKEN_MAX 512
#define PAY_TMN_CODE_LEN 8 /* VNPay: vnp_TmnCode is Alphanumeric[8] */
#define PAY_MAX_TRANSACTIONS 100000
#define PAY_API_HOLD_MS 35000 /* api "timeout": the request is held this long, then answered 504 */

typedef struct pay_config {
    int port;                                /* 127.0.0.1:port (0: any free port, printed on stderr) */
    char tmn_code[PAY_TMN_CODE_LEN + 1];     /* the one merchant (website) this gateway knows */
    char secret[PAY_SECRET_MAX + 1];         /* vnp_HashSecret, from --secret-file; never logged */
    size_t secret_len;
    const char *ipn_url;                     /* the merchant's IPN URL */
    int ipn_retry_ms, ipn_max_attempts;
    char control_token[PAY_TOKEN_MAX + 1];   /* "": /control/ needs no token */
} pay_config_t;

/* What the next IPNs look like (POST /control/mode). */
typedef enum pay_ipn_mode {
    PAY_IPN_NORMAL,       /* one delivery, at once */
    PAY_IPN_NONE,         /* no IPN at all */
    PAY_IPN_DUPLICATE,    /* two deliveries of the same IPN, started together */
    PAY_IPN_LATE,         /* one delivery, after late_ms (the browser is redirected at once) */
    PAY_IPN_BAD_HASH,     /* the IPN's vnp_SecureHash is corrupted */
    PAY_IPN_WRONG_AMOUNT, /* vnp_Amount + 100, signed correctly */
} pay_ipn_mode_t;

/* How the merchant API answers (POST /control/mode). */
typedef enum pay_api_mode {
    PAY_API_NORMAL,
    PAY_API_FAIL,    /* vnp_ResponseCode 99, signed */
    PAY_API_TIMEOUT, /* no answer: the request is held PAY_API_HOLD_MS */
} pay_api_mode_t;

typedef struct pay_app {
    pay_config_t config;
    pay_store_t store;
    pay_ipn_mode_t ipn_mode;
    int late_ms;
    pay_api_mode_t api_mode;
    uv_loop_t *loop;
} pay_app_t;

#endif
