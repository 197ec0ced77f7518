/* tools/payment_standin/vnp_sign.c — VNPay's signing rules, parameters, strings and clock (see vnp_sign.h). */
#include "vnp_sign.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "standin_form.h"

#define GMT7_SECONDS (7 * 3600)

void vnp_buf_add_urlencoded(standin_buf_t *b, const char *s, vnp_encoding_t encoding)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || (c == '*' && encoding == VNP_ENCODE_JAVA)) {
            standin_buf_add_n(b, s, 1);
        } else if (c == ' ') {
            standin_buf_add_n(b, "+", 1);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            standin_buf_add_n(b, esc, 3);
        }
    }
}

/* One parameter (standin_form_each): kept, then a second one of the same name refused. */
static int add_param(void *ctx, char *name, char *value)
{
    vnp_params_t *params = ctx;
    int duplicate = vnp_params_get(params, name) != NULL;
    params->items[params->count++] = (vnp_param_t){name, value};
    return duplicate ? VNP_PARSE_BAD : 0;
}

vnp_parse_result_t vnp_params_parse(const char *text, size_t len, vnp_params_t *params)
{
    memset(params, 0, sizeof *params);
    int rc = standin_form_each(text, len, VNP_MAX_PARAMS, add_param, params);
    return rc == 0 ? VNP_PARSE_OK : rc == STANDIN_FORM_NO_MEMORY ? VNP_PARSE_NO_MEMORY : VNP_PARSE_BAD;
}

void vnp_params_free(vnp_params_t *params)
{
    for (size_t i = 0; i < params->count; i++) {
        free(params->items[i].name);
        free(params->items[i].value);
    }
    params->count = 0;
}

const char *vnp_params_get(const vnp_params_t *params, const char *name)
{
    for (size_t i = 0; i < params->count; i++)
        if (strcmp(params->items[i].name, name) == 0)
            return params->items[i].value;
    return NULL;
}

int vnp_params_add(vnp_params_t *params, const char *name, const char *value)
{
    if (params->count == VNP_MAX_PARAMS)
        return -1;
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return -1;
    }
    params->items[params->count++] = (vnp_param_t){n, v};
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const vnp_param_t *const *)a)->name, (*(const vnp_param_t *const *)b)->name);
}

static int is_signed(const char *name)
{
    return strncmp(name, "vnp_", 4) == 0 && strcmp(name, "vnp_SecureHash") != 0 &&
           strcmp(name, "vnp_SecureHashType") != 0;
}

char *vnp_canonical_query(const vnp_params_t *params, vnp_encoding_t encoding)
{
    const vnp_param_t *sorted[VNP_MAX_PARAMS];
    size_t n = 0;
    for (size_t i = 0; i < params->count; i++)
        if (is_signed(params->items[i].name))
            sorted[n++] = &params->items[i];
    qsort(sorted, n, sizeof sorted[0], by_name);
    standin_buf_t b = {0};
    standin_buf_add(&b, "");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            standin_buf_add(&b, "&");
        vnp_buf_add_urlencoded(&b, sorted[i]->name, encoding);
        standin_buf_add(&b, "=");
        vnp_buf_add_urlencoded(&b, sorted[i]->value, encoding);
    }
    if (b.failed) {
        standin_buf_free(&b);
        return NULL;
    }
    return b.data;
}

char *vnp_signed_query(const vnp_params_t *params, const char *key, size_t key_len)
{
    char *canonical = vnp_canonical_query(params, VNP_ENCODE_PHP);
    char hash[VNP_HASH_HEX_LEN + 1];
    if (!canonical || vnp_hmac_sha512_hex(key, key_len, canonical, strlen(canonical), hash) != 0) {
        free(canonical);
        return NULL;
    }
    standin_buf_t b = {.data = canonical, .len = strlen(canonical), .cap = strlen(canonical) + 1};
    standin_buf_printf(&b, "&vnp_SecureHash=%s", hash);
    if (b.failed) {
        standin_buf_free(&b);
        return NULL;
    }
    return b.data;
}

char *vnp_pipe_join(const char *const *values, size_t count)
{
    standin_buf_t b = {0};
    standin_buf_add(&b, "");
    for (size_t i = 0; i < count; i++) {
        if (i > 0)
            standin_buf_add(&b, "|");
        standin_buf_add(&b, values[i] ? values[i] : "");
    }
    if (b.failed) {
        standin_buf_free(&b);
        return NULL;
    }
    return b.data;
}

int vnp_hmac_sha512_hex(const char *key, size_t key_len, const char *data, size_t data_len,
                        char out[VNP_HASH_HEX_LEN + 1])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha512(), key, (int)key_len, (const unsigned char *)data, data_len, mac, &mac_len) ||
        mac_len * 2 != VNP_HASH_HEX_LEN)
        return -1;
    static const char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < mac_len; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[VNP_HASH_HEX_LEN] = '\0';
    OPENSSL_cleanse(mac, sizeof mac);
    return 0;
}

int vnp_hash_equal(const char *given, const char *expected)
{
    if (!given || strlen(given) != VNP_HASH_HEX_LEN)
        return 0;
    unsigned char diff = 0;
    for (size_t i = 0; i < VNP_HASH_HEX_LEN; i++) {
        unsigned char c = (unsigned char)given[i];
        c = (unsigned char)(c | ((c >= 'A' && c <= 'F') ? 0x20 : 0)); /* fold A-F only; other bytes mismatch */
        diff |= (unsigned char)(c ^ (unsigned char)expected[i]);
    }
    return diff == 0;
}

void vnp_format_date(long long t, char out[VNP_DATE_LEN + 1])
{
    time_t local = (time_t)(t + GMT7_SECONDS);
    struct tm tm;
    gmtime_r(&local, &tm);
    char text[64]; /* roomy: the compiler cannot tell the fields are two digits each */
    snprintf(text, sizeof text, "%04d%02d%02d%02d%02d%02d", (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
    memcpy(out, text, VNP_DATE_LEN);
    out[VNP_DATE_LEN] = '\0';
}

long long vnp_parse_date(const char *s)
{
    if (!s || strlen(s) != VNP_DATE_LEN || strspn(s, "0123456789") != VNP_DATE_LEN)
        return -1;
    int v[6];
    static const int widths[6] = {4, 2, 2, 2, 2, 2};
    for (int i = 0, at = 0; i < 6; at += widths[i], i++) {
        v[i] = 0;
        for (int k = 0; k < widths[i]; k++)
            v[i] = v[i] * 10 + (s[at + k] - '0');
    }
    struct tm tm = {
        .tm_year = v[0] - 1900, .tm_mon = v[1] - 1, .tm_mday = v[2], .tm_hour = v[3], .tm_min = v[4], .tm_sec = v[5]};
    time_t t = timegm(&tm);
    char back[VNP_DATE_LEN + 1];
    vnp_format_date((long long)t - GMT7_SECONDS, back);
    if (t == (time_t)-1 || strcmp(back, s) != 0) /* 20260231... normalises to another date: not a real one */
        return -1;
    return (long long)t - GMT7_SECONDS;
}
