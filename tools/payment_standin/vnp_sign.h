/*
 * tools/payment_standin/vnp_sign.h — VNPay 2.1.0's signing rules, pure and thread-safe: the form encoding and the
 * canonical query string of the payment URL / return URL / IPN, the '|'-joined strings of the merchant API, HMAC-SHA512
 * in hex, a constant-time comparison, a query parser and a small string builder. Linked into payment-standin and into
 * tests/unit/tools/test_payment_standin_sign.c; nothing here knows about HTTP or the stand-in's state.
 *
 * The canonical query string (what vnp_SecureHash signs on the payment URL, the return URL and the IPN):
 *   every parameter whose name starts with "vnp_", except vnp_SecureHash and vnp_SecureHashType (VNPay's PHP sample
 *   keeps an empty value, its Java sample skips it: the stand-in refuses a payment URL with an empty vnp_* value and
 *   never sends one, so the two agree on everything it accepts; this function keeps them, like PHP),
 *   sorted by name in byte order (strcmp), each written as urlencode(name) "=" urlencode(value), joined with '&'.
 *   urlencode is PHP's urlencode() (VNPay's PHP sample; RFC 1738 form encoding): A-Z a-z 0-9 '-' '_' '.' stay, a
 *   space becomes '+', every other byte (UTF-8 bytes too, '~' and '*' included) becomes %XX with upper-case hex.
 *   VNPay's Java sample (URLEncoder.encode(v, US_ASCII)) differs from that only in leaving '*' as it is (and in
 *   turning non-ASCII into "%3F", but the stand-in refuses non-ASCII values): VNP_ENCODE_JAVA builds that variant,
 * which the stand-in also accepts on a payment URL. Everything the stand-in signs uses the PHP form.
 */
#ifndef VNP_SIGN_H
#define VNP_SIGN_H

#include <stddef.h>

#include "standin_buf.h"

#define VNP_HASH_HEX_LEN 128 /* HMAC-SHA512: 64 bytes, 128 hex digits */

/* the growable string of tools/standin_common/standin_buf.h */

typedef enum vnp_encoding {
    VNP_ENCODE_PHP = 0, /* PHP urlencode: the rule (see above) */
    VNP_ENCODE_JAVA,    /* Java URLEncoder: the same, but '*' stays */
} vnp_encoding_t;

/** s form-encoded (see above) onto b. */
void vnp_buf_add_urlencoded(standin_buf_t *b, const char *s, vnp_encoding_t encoding);

/* ---- parameters: a query string or a form body, decoded ---- */
#define VNP_MAX_PARAMS 64

typedef struct vnp_param {
    char *name;
    char *value;
} vnp_param_t;

typedef struct vnp_params {
    size_t count;
    vnp_param_t items[VNP_MAX_PARAMS];
} vnp_params_t;

typedef enum vnp_parse_result {
    VNP_PARSE_OK = 0,
    VNP_PARSE_BAD, /* a bad %-escape, %00, a parameter given twice, or more than VNP_MAX_PARAMS */
    VNP_PARSE_NO_MEMORY,
} vnp_parse_result_t;

/** Parses name=value&... ('+' is a space, %XX a byte). Free with vnp_params_free, also after an error. */
vnp_parse_result_t vnp_params_parse(const char *text, size_t len, vnp_params_t *params);
void vnp_params_free(vnp_params_t *params);
/** The value, or NULL when absent. */
const char *vnp_params_get(const vnp_params_t *params, const char *name);
/** Adds a copy of name and value (no check for duplicates). 0, or -1 when full or out of memory. */
int vnp_params_add(vnp_params_t *params, const char *name, const char *value);

/** The canonical query string of params (see above), malloc'd; NULL when out of memory. */
char *vnp_canonical_query(const vnp_params_t *params, vnp_encoding_t encoding);
/** The canonical query string followed by "&vnp_SecureHash=<hex>" signed with key: the query a return URL or an IPN
 *  carries. malloc'd; NULL when out of memory. */
char *vnp_signed_query(const vnp_params_t *params, const char *key, size_t key_len);

/** values[0] "|" values[1] "|" ... (a NULL value counts as ""), malloc'd; NULL when out of memory. */
char *vnp_pipe_join(const char *const *values, size_t count);

/** HMAC-SHA512(key, data) in lower-case hex, NUL-terminated. 0, or -1 when OpenSSL fails. */
int vnp_hmac_sha512_hex(const char *key, size_t key_len, const char *data, size_t data_len,
                        char out[VNP_HASH_HEX_LEN + 1]);
/** Whether given (hex in either case) equals expected (lower-case hex, VNP_HASH_HEX_LEN digits), in time that depends
 *  on neither value (only on given's length being right). */
int vnp_hash_equal(const char *given, const char *expected);

/* ---- VNPay's clock: yyyyMMddHHmmss in GMT+7 ---- */
#define VNP_DATE_LEN 14
/** t as yyyyMMddHHmmss in GMT+7. */
void vnp_format_date(long long t, char out[VNP_DATE_LEN + 1]);
/** The instant yyyyMMddHHmmss (GMT+7) names, or -1 when s is not exactly 14 digits of a real date and time. */
long long vnp_parse_date(const char *s);

#endif
