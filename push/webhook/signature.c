/* push/webhook/signature.c — Standard Webhooks "v1" signatures: the MAC, the header a sender writes, the header a
 * receiver parses, and verification with its reasons (signature.h has the contract and the order of the checks). */
#include "base64.h"
#include "signature.h"

#include <inttypes.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const char *const verdict_names[WEBHOOK_VERDICT_COUNT] = {
    [WEBHOOK_OK] = "ok",
    [WEBHOOK_MISSING_ID] = "missing_id",
    [WEBHOOK_MISSING_TIMESTAMP] = "missing_timestamp",
    [WEBHOOK_MISSING_SIGNATURE] = "missing_signature",
    [WEBHOOK_BAD_ID] = "bad_id",
    [WEBHOOK_BAD_TIMESTAMP] = "bad_timestamp",
    [WEBHOOK_MALFORMED_SIGNATURE] = "malformed_signature",
    [WEBHOOK_NO_V1_SIGNATURE] = "no_v1_signature",
    [WEBHOOK_TOO_OLD] = "too_old",
    [WEBHOOK_TOO_NEW] = "too_new",
    [WEBHOOK_NO_MATCHING_SIGNATURE] = "no_matching_signature",
    [WEBHOOK_NO_SECRET] = "no_secret",
    [WEBHOOK_CRYPTO_FAILED] = "crypto_failed",
};

const char *webhook_verdict_name(webhook_verdict_t verdict)
{
    return (unsigned)verdict < WEBHOOK_VERDICT_COUNT ? verdict_names[verdict] : "unknown";
}

int webhook_id_valid(const char *id, size_t len)
{
    if (!id || len == 0 || len > WEBHOOK_ID_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (id[i] < 0x21 || id[i] > 0x7e || id[i] == '.' || id[i] == ',')
            return 0;
    return 1;
}

/* ---- the MAC ---- */

static EVP_MAC *hmac;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void fetch_hmac(void)
{
    hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

/* HMAC-SHA256 under `secret` over the parts one after the other. 0, or -1. */
static int mac_parts(const webhook_secret_t *secret, const void *const *parts, const size_t *lens, size_t n,
                     unsigned char mac[WEBHOOK_MAC_BYTES])
{
    pthread_once(&hmac_once, fetch_hmac);
    EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0), OSSL_PARAM_END};
    size_t out_len = 0;
    int ok = ctx && EVP_MAC_init(ctx, secret->key, secret->len, params) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = EVP_MAC_update(ctx, parts[i], lens[i]) == 1;
    ok = ok && EVP_MAC_final(ctx, mac, &out_len, WEBHOOK_MAC_BYTES) == 1 && out_len == WEBHOOK_MAC_BYTES;
    EVP_MAC_CTX_free(ctx);
    if (!ok)
        ERR_clear_error();
    return ok ? 0 : -1;
}

/* The MAC with the timestamp as its text (what the receiver got, or what the sender prints). */
static int mac_with_text(const char *id, size_t id_len, const char *ts, size_t ts_len, const void *body,
                         size_t body_len, const webhook_secret_t *secret, unsigned char mac[WEBHOOK_MAC_BYTES])
{
    const void *parts[] = {id, ".", ts, ".", body ? body : ""};
    const size_t lens[] = {id_len, 1, ts_len, 1, body_len};
    return mac_parts(secret, parts, lens, 5, mac);
}

int webhook_mac(const char *id, size_t id_len, int64_t timestamp, const void *body, size_t body_len,
                const webhook_secret_t *secret, unsigned char mac[WEBHOOK_MAC_BYTES])
{
    char ts[24];
    if (!webhook_id_valid(id, id_len) || timestamp < 0 || !secret || secret->len == 0)
        return -1;
    int ts_len = snprintf(ts, sizeof ts, "%" PRId64, timestamp);
    return mac_with_text(id, id_len, ts, (size_t)ts_len, body, body_len, secret, mac);
}

long webhook_sign(const char *id, size_t id_len, int64_t timestamp, const void *body, size_t body_len,
                  const webhook_secret_t *secrets, size_t n_secrets, char *out, size_t cap)
{
    if (n_secrets == 0 || cap < n_secrets * (WEBHOOK_SIGNATURE_LEN + 1))
        return -1;
    size_t len = 0;
    for (size_t i = 0; i < n_secrets; i++) {
        unsigned char mac[WEBHOOK_MAC_BYTES];
        if (webhook_mac(id, id_len, timestamp, body, body_len, &secrets[i], mac) != 0) {
            out[0] = '\0';
            return -1;
        }
        if (i > 0)
            out[len++] = ' ';
        memcpy(out + len, "v1,", 3);
        len += 3 + webhook_b64_encode(mac, sizeof mac, out + len + 3);
    }
    out[len] = '\0';
    return (long)len;
}

/* ---- the receiver's side ---- */

/* One "version,value" entry (len > 0, no space in it) added to *out. 0, or -1 when malformed. */
static int parse_entry(const char *e, size_t len, webhook_signatures_t *out)
{
    const char *comma = memchr(e, ',', len);
    if (!comma || comma == e || comma == e + len - 1)
        return -1;
    size_t version_len = (size_t)(comma - e), value_len = len - version_len - 1;
    if (version_len != 2 || memcmp(e, "v1", 2) != 0) {
        out->n_other++;
        return 0;
    }
    long n = webhook_b64_decode(comma + 1, value_len, out->v1[out->n_v1], WEBHOOK_MAC_BYTES);
    if (n != WEBHOOK_MAC_BYTES)
        return -1;
    out->n_v1++;
    return 0;
}

webhook_verdict_t webhook_parse_signatures(const char *value, size_t len, webhook_signatures_t *out)
{
    memset(out, 0, sizeof *out);
    if (!value || len > WEBHOOK_SIGNATURE_HEADER_MAX)
        return WEBHOOK_MALFORMED_SIGNATURE;
    size_t i = 0, entries = 0;
    while (i < len) {
        if (value[i] == ' ') {
            i++;
            continue;
        }
        size_t start = i;
        for (; i < len && value[i] != ' '; i++)
            if (value[i] < 0x21 || value[i] > 0x7e)
                return WEBHOOK_MALFORMED_SIGNATURE;
        if (++entries > WEBHOOK_MAX_SIGNATURES || parse_entry(value + start, i - start, out) != 0)
            return WEBHOOK_MALFORMED_SIGNATURE;
    }
    if (entries == 0)
        return WEBHOOK_MALFORMED_SIGNATURE;
    return out->n_v1 > 0 ? WEBHOOK_OK : WEBHOOK_NO_V1_SIGNATURE;
}

/* The timestamp header's value: 1..WEBHOOK_TIMESTAMP_MAX_DIGITS ASCII digits. 0, or -1. */
static int parse_timestamp(const webhook_header_t *h, int64_t *out)
{
    if (h->len == 0 || h->len > WEBHOOK_TIMESTAMP_MAX_DIGITS)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < h->len; i++) {
        if (h->base[i] < '0' || h->base[i] > '9')
            return -1;
        v = v * 10 + (h->base[i] - '0');
    }
    *out = v;
    return 0;
}

/* Whether any v1 MAC matches under any secret. Every secret and every entry is compared, without an early exit: the
 * time taken depends on their counts only, never on how many bytes of a forged MAC were right. */
static webhook_verdict_t match_any(const webhook_headers_t *h, const void *body, size_t body_len,
                                   const webhook_secret_t *secrets, size_t n_secrets, const webhook_signatures_t *sigs)
{
    int matched = 0;
    for (size_t s = 0; s < n_secrets; s++) {
        unsigned char mac[WEBHOOK_MAC_BYTES];
        if (mac_with_text(h->id.base, h->id.len, h->timestamp.base, h->timestamp.len, body, body_len, &secrets[s],
                          mac) != 0)
            return WEBHOOK_CRYPTO_FAILED;
        for (size_t i = 0; i < sigs->n_v1; i++)
            matched |= CRYPTO_memcmp(mac, sigs->v1[i], WEBHOOK_MAC_BYTES) == 0;
        OPENSSL_cleanse(mac, sizeof mac);
    }
    return matched ? WEBHOOK_OK : WEBHOOK_NO_MATCHING_SIGNATURE;
}

webhook_verdict_t webhook_verify(const webhook_headers_t *headers, const void *body, size_t body_len,
                                 const webhook_secret_t *secrets, size_t n_secrets, int64_t now_s, int64_t tolerance_s,
                                 int64_t *timestamp_out)
{
    if (!headers->id.base)
        return WEBHOOK_MISSING_ID;
    if (!headers->timestamp.base)
        return WEBHOOK_MISSING_TIMESTAMP;
    if (!headers->signature.base)
        return WEBHOOK_MISSING_SIGNATURE;
    if (!webhook_id_valid(headers->id.base, headers->id.len))
        return WEBHOOK_BAD_ID;
    int64_t ts;
    if (parse_timestamp(&headers->timestamp, &ts) != 0)
        return WEBHOOK_BAD_TIMESTAMP;
    if (timestamp_out)
        *timestamp_out = ts;
    webhook_signatures_t sigs;
    webhook_verdict_t v = webhook_parse_signatures(headers->signature.base, headers->signature.len, &sigs);
    if (v != WEBHOOK_OK)
        return v;
    if (ts < now_s - tolerance_s)
        return WEBHOOK_TOO_OLD;
    if (ts > now_s + tolerance_s)
        return WEBHOOK_TOO_NEW;
    if (!secrets || n_secrets == 0)
        return WEBHOOK_NO_SECRET;
    return match_any(headers, body, body_len, secrets, n_secrets, &sigs);
}
