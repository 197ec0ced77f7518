/*
 * tests/fuzz/fuzz_apns_standin.c — libFuzzer target for tools/apns_standin's checks (apns_jwt.c, apns_check.c): what
 * the stand-in APNs reads from the network before anything else looks at it.
 *
 * Input: the same bytes go to each check.
 *   1. as an authorization header value → apns_jwt_check against a fixed P-256 public key (its private half made one
 *      token for the seed corpus, so the signed path is reached), at a fixed time;
 *   2. as a device token → apns_check_device_token;
 *   3. split at '\n' into apns-id, apns-topic, apns-push-type, apns-priority, apns-expiration, apns-collapse-id (a
 *      line that is exactly "-" is absent; a line starting with '+' counts twice) → apns_check_headers;
 *   4. as a payload, for the push type the first byte picks → apns_check_payload.
 *
 * Oracles beyond "no crash, no leak, no read outside the input": each answers one of the reasons its contract
 * lists, the same twice; an accepted token's iat lies within the hour before the time given (or the skew after it)
 * and its digest is SHA-256 of the token; an accepted device token is even-length hex within bounds; accepted headers
 * give a priority of 1, 5 or 10 (5 for background), an expiration of -1 or 0..9999999999, a topic equal to the bundle
 * id plus the push type's suffix; an accepted payload fits the push type's limit and is a JSON object with "aps".
 */
#include "apns_check.h"
#include "apns_jwt.h"

#include <jansson.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1800000000LL /* the seed token's iat is 1799999990 */
#define BUNDLE "vn.gov.hanoi.cong"

/* Test-only key, made for this fuzzer; its private half signed the seed token and nothing else. */
static const char PUBLIC_PEM[] = "-----BEGIN PUBLIC KEY-----\n"
                                 "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfdFfaXiyJhw1Z4/KZU/RP4KPtBS9\n"
                                 "jjDSZkJd+KvnD6mRJHvX04efgQe8CR3uJj+/tTG+E7cR9trOnSZZyuTmDQ==\n"
                                 "-----END PUBLIC KEY-----\n";

static EVP_PKEY *key;

static void check_jwt(const char *data, size_t size)
{
    const apns_jwt_expect_t expect = {key, "ABC123DEFG", "DEF123GHIJ"};
    apns_jwt_info_t info, again;
    apns_reason_t r = apns_jwt_check(&expect, data, size, NOW, &info);
    if (r != apns_jwt_check(&expect, data, size, NOW, &again))
        abort();
    if (r != APNS_OK && r != APNS_MISSING_PROVIDER_TOKEN && r != APNS_INVALID_PROVIDER_TOKEN &&
        r != APNS_EXPIRED_PROVIDER_TOKEN)
        abort();
    if (r == APNS_OK) {
        unsigned char digest[32];
        SHA256((const unsigned char *)data + 7, size - 7, digest);
        if (info.iat <= NOW - APNS_JWT_MAX_AGE_S || info.iat > NOW + APNS_JWT_FUTURE_SKEW_S ||
            memcmp(digest, info.digest, sizeof digest) != 0)
            abort();
    }
}

static void check_device_token(const char *data, size_t size)
{
    apns_reason_t r = apns_check_device_token(data, size);
    if (r == APNS_MISSING_DEVICE_TOKEN ? size != 0 : r != APNS_OK && r != APNS_BAD_DEVICE_TOKEN)
        abort();
    if (r == APNS_OK) {
        if (size % 2 || size < APNS_DEVICE_TOKEN_MIN || size > APNS_DEVICE_TOKEN_MAX)
            abort();
        for (size_t i = 0; i < size; i++)
            if (!strchr("0123456789abcdefABCDEF", data[i]) || data[i] == '\0')
                abort();
    }
}

/* The next line as a header field (see above). */
static apns_field_t next_field(const char **p, const char *end)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *line_end = nl ? nl : end;
    apns_field_t f = {*p, (size_t)(line_end - *p), 1};
    if (f.len == 1 && f.base[0] == '-')
        f = (apns_field_t){NULL, 0, 0};
    else if (f.len > 0 && f.base[0] == '+')
        f.count = 2;
    *p = nl ? nl + 1 : end;
    return f;
}

static const char *const SUFFIXES[APNS_PUSH_TYPE_COUNT] = {
    "", "", ".location-query", ".voip", ".complication", ".pushkit.fileprovider", "", ".push-type.liveactivity",
    ".voip-ptt", ".push-type.widgets"};

static void check_headers(const char *data, size_t size)
{
    const char *p = data, *end = data + size;
    apns_headers_t h;
    h.id = next_field(&p, end);
    h.topic = next_field(&p, end);
    h.push_type = next_field(&p, end);
    h.priority = next_field(&p, end);
    h.expiration = next_field(&p, end);
    h.collapse_id = next_field(&p, end);
    apns_notification_meta_t meta, again;
    apns_reason_t r = apns_check_headers(&h, BUNDLE, &meta);
    if (r != apns_check_headers(&h, BUNDLE, &again) || (unsigned)r >= APNS_REASON_COUNT ||
        (r != APNS_OK && apns_reason_status(r) != 400))
        abort();
    if (r != APNS_OK)
        return;
    if ((meta.priority != 1 && meta.priority != 5 && meta.priority != 10) ||
        (meta.push_type == APNS_PUSH_BACKGROUND && meta.priority != 5) || meta.expiration < -1 ||
        meta.expiration > 9999999999LL || (unsigned)meta.push_type >= APNS_PUSH_TYPE_COUNT)
        abort();
    const char *suffix = SUFFIXES[meta.push_type];
    size_t b = strlen(BUNDLE), s = strlen(suffix);
    if (h.topic.len != b + s || memcmp(h.topic.base, BUNDLE, b) != 0 || memcmp(h.topic.base + b, suffix, s) != 0)
        abort();
    if (h.collapse_id.base && h.collapse_id.len > APNS_COLLAPSE_ID_MAX)
        abort();
}

static void check_payload(const char *data, size_t size)
{
    apns_push_type_t type = size > 0 ? (apns_push_type_t)((unsigned char)data[0] % APNS_PUSH_TYPE_COUNT) : 0;
    apns_reason_t r = apns_check_payload(data, size, type);
    if (r != APNS_OK && r != APNS_PAYLOAD_EMPTY && r != APNS_PAYLOAD_TOO_LARGE)
        abort();
    if (r == APNS_OK) {
        json_t *doc = json_loadb(data, size, JSON_REJECT_DUPLICATES, NULL);
        if (size > (type == APNS_PUSH_VOIP ? APNS_PAYLOAD_MAX_VOIP : APNS_PAYLOAD_MAX) ||
            !json_is_object(json_object_get(doc, "aps")))
            abort();
        json_decref(doc);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (key == NULL && (key = apns_jwt_public_key_from_pem(PUBLIC_PEM, sizeof PUBLIC_PEM - 1)) == NULL)
        abort();
    if (size > 16384)
        return 0;
    const char *text = (const char *)data;
    check_jwt(text, size);
    check_device_token(text, size);
    check_headers(text, size);
    check_payload(text, size);
    return 0;
}
