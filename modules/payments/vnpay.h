/*
 * modules/payments/vnpay.h — VNPay 2.1.0's signing rules (vnpay_sign.c, pure: no API calls, thread-safe, unit-tested)
 * and the parts of the provider written elsewhere (vnpay_refund_*: the refunds engineer's file; weak until merged).
 *
 * The canonical query string, what vnp_SecureHash signs on the payment URL, the return URL and the IPN:
 *   every parameter whose name starts with "vnp_", except vnp_SecureHash and vnp_SecureHashType, empty values kept
 *   (VNPay's PHP sample keeps them; its Java sample skips them — VNPay sends none on these callbacks), sorted by name
 *   in byte order (strcmp), each written urlencode(name) "=" urlencode(value), joined with '&'.
 *   urlencode is PHP's urlencode() (VNPay's PHP sample, RFC 1738 form encoding): the bytes A-Z a-z 0-9 '-' '_' '.'
 *   stay, a space becomes '+', every other byte (each byte of UTF-8, '~' and '*' too) becomes %XX in upper-case hex.
 *   (Java's URLEncoder differs only by keeping '*': order information never holds one.)
 * The merchant API (querydr, refund) signs its JSON fields joined with '|' in an order fixed per command.
 * The signature is HMAC-SHA512 with the merchant's secret, in hex; compared in constant time, either case accepted.
 */
#ifndef CONG_MODULE_PAYMENTS_VNPAY_H
#define CONG_MODULE_PAYMENTS_VNPAY_H

#include <stddef.h>

#include "provider.h"

#define VNPAY_HASH_HEX 128 /* HMAC-SHA512: 64 bytes, 128 hex digits */
#define VNPAY_DATE_LEN 14  /* yyyyMMddHHmmss */
#define VNPAY_MAX_PARAMS 48
#define VNPAY_VERSION "2.1.0"

/* ---- a growable NUL-terminated string; `failed` once memory ran out (then its contents are incomplete) ---- */
typedef struct vnpay_buf {
    char *data;
    size_t len, cap;
    int failed;
} vnpay_buf_t;

void vnpay_buf_add(vnpay_buf_t *b, const char *s, size_t n);
void vnpay_buf_adds(vnpay_buf_t *b, const char *s);
/** s (n bytes) urlencoded as above. */
void vnpay_buf_add_urlencoded(vnpay_buf_t *b, const char *s, size_t n);
/** The string (the caller owns it), or NULL when memory ran out (then freed). */
char *vnpay_buf_take(vnpay_buf_t *b);

/* ---- parameters, decoded ---- */
typedef struct vnpay_param {
    char *name;
    char *value;
} vnpay_param_t;

typedef struct vnpay_params {
    size_t count;
    vnpay_param_t items[VNPAY_MAX_PARAMS];
} vnpay_params_t;

/** Parses a raw query string name=value&... ('+' a space, %XX a byte). 0; CONG_EPARSE for a bad %-escape, a NUL, a
 *  name given twice or more than VNPAY_MAX_PARAMS; CONG_ENOMEM. Free with vnpay_params_free, also after an error. */
int vnpay_params_parse(const char *query, size_t len, vnpay_params_t *out);
void vnpay_params_free(vnpay_params_t *params);
/** The value of `name`, or NULL. */
const char *vnpay_params_get(const vnpay_params_t *params, const char *name);
/** Adds copies (no check for duplicates). 0, CONG_ETOOBIG when full, CONG_ENOMEM. */
int vnpay_params_add(vnpay_params_t *params, const char *name, const char *value);

/** The canonical query string of params (above), malloc'd; NULL when out of memory. */
char *vnpay_canonical(const vnpay_params_t *params);
/** values joined with '|' (NULL counts as ""), malloc'd; NULL when out of memory. */
char *vnpay_pipe_join(const char *const *values, size_t count);
/** HMAC-SHA512(secret, data) in lower-case hex. 0 or CONG_EIO. */
int vnpay_hmac_hex(const char *secret, const char *data, size_t len, char out[VNPAY_HASH_HEX + 1]);
/** 1 when `given` (hex, either case) equals `expected` (lower-case hex), in time independent of both values. */
int vnpay_hash_equal(const char *given, const char *expected);

/** t (seconds since the epoch) as yyyyMMddHHmmss in GMT+7. */
void vnpay_format_date(long long t, char out[VNPAY_DATE_LEN + 1]);
/** The instant yyyyMMddHHmmss (GMT+7) names, or -1 unless s is exactly 14 digits of a real date and time. */
long long vnpay_parse_date(const char *s);
/** VNPay's amount (VND × 100, digits only, a whole number of VND, > 0) in VND, or -1. */
long long vnpay_parse_amount(const char *s);

/* ---- the refund half of the provider (provider.h), written with the refunds (weak until that file is merged) ---- */
int vnpay_refund_request(const payments_refund_ask_t *ask, char **body);
int vnpay_refund_answer(const char *body, size_t len, char provider_txn[41], char response_code[8]);

#endif
