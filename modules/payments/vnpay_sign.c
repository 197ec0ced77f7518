/*
 * modules/payments/vnpay_sign.c — VNPay 2.1.0's canonical strings and HMAC-SHA512 (the rules are in vnpay.h). Pure:
 * no cong API call, no I/O; safe on any thread. Unit-tested by tests/unit/payments/test_vnpay_sign.c.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cong/errors.h>

#include "vnpay.h"

#define GMT7_SECONDS (7 * 3600)

void vnpay_buf_add(vnpay_buf_t *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *data = realloc(b->data, cap);
        if (data == NULL) {
            b->failed = 1;
            return;
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void vnpay_buf_adds(vnpay_buf_t *b, const char *s) { vnpay_buf_add(b, s, strlen(s)); }

void vnpay_buf_add_urlencoded(vnpay_buf_t *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.') {
            vnpay_buf_add(b, (const char *)&s[i], 1);
        } else if (c == ' ') {
            vnpay_buf_add(b, "+", 1);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            vnpay_buf_add(b, esc, 3);
        }
    }
}

char *vnpay_buf_take(vnpay_buf_t *b)
{
    if (b->failed || b->data == NULL) {
        free(b->data);
        *b = (vnpay_buf_t){0};
        return b->failed ? NULL : strdup("");
    }
    char *s = b->data;
    *b = (vnpay_buf_t){0};
    return s;
}

/* ---- parameters ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A query component decoded ('+' a space, %XX a byte): malloc'd, or NULL (*bad set for a bad escape or a NUL). */
static char *decode(const char *s, size_t n, int *bad)
{
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 2 < n ? hexval(s[i + 1]) : -1, lo = i + 2 < n ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                *bad = 1;
                free(out);
                return NULL;
            }
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        if (c == '\0') {
            *bad = 1;
            free(out);
            return NULL;
        }
        out[k++] = c;
    }
    out[k] = '\0';
    return out;
}

int vnpay_params_add(vnpay_params_t *p, const char *name, const char *value)
{
    if (p->count == VNPAY_MAX_PARAMS)
        return CONG_ETOOBIG;
    char *n = strdup(name), *v = strdup(value);
    if (n == NULL || v == NULL) {
        free(n);
        free(v);
        return CONG_ENOMEM;
    }
    p->items[p->count++] = (vnpay_param_t){n, v};
    return 0;
}

int vnpay_params_parse(const char *query, size_t len, vnpay_params_t *out)
{
    out->count = 0;
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && query[end] != '&')
            end++;
        if (end > i) {
            const char *eq = memchr(query + i, '=', end - i);
            size_t nlen = eq != NULL ? (size_t)(eq - (query + i)) : end - i;
            const char *v = eq != NULL ? eq + 1 : query + end;
            int bad = 0;
            char *name = decode(query + i, nlen, &bad), *value = NULL;
            if (name != NULL)
                value = decode(v, (size_t)(query + end - v), &bad);
            if (value == NULL) {
                free(name);
                return bad ? CONG_EPARSE : CONG_ENOMEM;
            }
            if (vnpay_params_get(out, name) != NULL || out->count == VNPAY_MAX_PARAMS) {
                free(name);
                free(value);
                return CONG_EPARSE;
            }
            out->items[out->count++] = (vnpay_param_t){name, value};
        }
        i = end + 1;
    }
    return 0;
}

void vnpay_params_free(vnpay_params_t *p)
{
    for (size_t i = 0; i < p->count; i++) {
        free(p->items[i].name);
        free(p->items[i].value);
    }
    p->count = 0;
}

const char *vnpay_params_get(const vnpay_params_t *p, const char *name)
{
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->items[i].name, name) == 0)
            return p->items[i].value;
    return NULL;
}

/* ---- what is signed ---- */

static int signed_name(const char *name)
{
    return strncmp(name, "vnp_", 4) == 0 && strcmp(name, "vnp_SecureHash") != 0 &&
           strcmp(name, "vnp_SecureHashType") != 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const vnpay_param_t *const *)a)->name, (*(const vnpay_param_t *const *)b)->name);
}

char *vnpay_canonical(const vnpay_params_t *params)
{
    const vnpay_param_t *sorted[VNPAY_MAX_PARAMS];
    size_t n = 0;
    for (size_t i = 0; i < params->count && n < VNPAY_MAX_PARAMS; i++)
        if (signed_name(params->items[i].name))
            sorted[n++] = &params->items[i];
    qsort(sorted, n, sizeof sorted[0], by_name);
    vnpay_buf_t b = {0};
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            vnpay_buf_add(&b, "&", 1);
        vnpay_buf_add_urlencoded(&b, sorted[i]->name, strlen(sorted[i]->name));
        vnpay_buf_add(&b, "=", 1);
        vnpay_buf_add_urlencoded(&b, sorted[i]->value, strlen(sorted[i]->value));
    }
    return vnpay_buf_take(&b);
}

char *vnpay_pipe_join(const char *const *values, size_t count)
{
    vnpay_buf_t b = {0};
    for (size_t i = 0; i < count; i++) {
        if (i > 0)
            vnpay_buf_add(&b, "|", 1);
        if (values[i] != NULL)
            vnpay_buf_adds(&b, values[i]);
    }
    return vnpay_buf_take(&b);
}

int vnpay_hmac_hex(const char *secret, const char *data, size_t len, char out[VNPAY_HASH_HEX + 1])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (HMAC(EVP_sha512(), secret, (int)strlen(secret), (const unsigned char *)data, len, mac, &mac_len) == NULL ||
        mac_len != VNPAY_HASH_HEX / 2)
        return CONG_EIO;
    static const char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < mac_len; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[VNPAY_HASH_HEX] = '\0';
    OPENSSL_cleanse(mac, sizeof mac);
    return 0;
}

int vnpay_hash_equal(const char *given, const char *expected)
{
    if (given == NULL || strlen(given) != VNPAY_HASH_HEX || strlen(expected) != VNPAY_HASH_HEX)
        return 0;
    unsigned char diff = 0;
    for (size_t i = 0; i < VNPAY_HASH_HEX; i++) {
        unsigned char c = (unsigned char)given[i];
        c = (unsigned char)(c | ((unsigned char)(c - 'A') < 26 ? 0x20 : 0)); /* lower case, without a branch */
        diff |= (unsigned char)(c ^ (unsigned char)expected[i]);
    }
    return diff == 0;
}

/* ---- VNPay's clock and amounts ---- */

void vnpay_format_date(long long t, char out[VNPAY_DATE_LEN + 1])
{
    time_t local = (time_t)(t + GMT7_SECONDS);
    struct tm tm;
    gmtime_r(&local, &tm);
    strftime(out, VNPAY_DATE_LEN + 1, "%Y%m%d%H%M%S", &tm);
}

long long vnpay_parse_date(const char *s)
{
    if (s == NULL || strlen(s) != VNPAY_DATE_LEN || strspn(s, "0123456789") != VNPAY_DATE_LEN)
        return -1;
    int v[6], widths[6] = {4, 2, 2, 2, 2, 2};
    for (int i = 0, at = 0; i < 6; at += widths[i], i++) {
        v[i] = 0;
        for (int k = 0; k < widths[i]; k++)
            v[i] = v[i] * 10 + (s[at + k] - '0');
    }
    struct tm tm = {.tm_year = v[0] - 1900, .tm_mon = v[1] - 1, .tm_mday = v[2], .tm_hour = v[3], .tm_min = v[4],
                    .tm_sec = v[5]};
    time_t t = timegm(&tm);
    char again[VNPAY_DATE_LEN + 1];
    if (t == (time_t)-1)
        return -1;
    vnpay_format_date((long long)t - GMT7_SECONDS, again);
    return strcmp(again, s) == 0 ? (long long)t - GMT7_SECONDS : -1; /* 20260230... is no date */
}

long long vnpay_parse_amount(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n > 15 || strspn(s, "0123456789") != n || s[0] == '0')
        return -1;
    long long v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v % 100 == 0 ? v / 100 : -1;
}
