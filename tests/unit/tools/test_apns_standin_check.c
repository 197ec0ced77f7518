/* Unit tests for tools/apns_standin's checks, the pure functions behind apns-standin: the provider token (apns_jwt.c:
 * ES256 tokens signed here with OpenSSL directly, each claim and part spoiled in turn, the hour's edge and the
 * future's), the device token, the apns-* headers and the payload (apns_check.c, every reason and the order they are
 * checked in), and the per-connection refresh rule and device marks (store.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "apns_check.h"
#include "apns_jwt.h"
#include "store.h"

#define KID "ABC123DEFG"
#define TEAM "DEF123GHIJ"
#define BUNDLE "vn.gov.hanoi.cong"
#define NOW 1800000000LL
#define DEVICE "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static EVP_PKEY *key, *other_key;

static int setup(void **state)
{
    (void)state;
    key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    other_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    return key && other_key ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(key);
    EVP_PKEY_free(other_key);
    return 0;
}

static size_t b64url(const unsigned char *in, size_t n, char *out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = abc[v >> 6 & 63];
        if (i + 2 < n)
            out[o++] = abc[v & 63];
    }
    out[o] = '\0';
    return o;
}

/* "bearer " + header.claims.signature: the JSON texts as given, ES256 by `signer` (R||S). */
static char *token_with(EVP_PKEY *signer, const char *header, const char *claims)
{
    static char out[8192];
    size_t n = (size_t)snprintf(out, sizeof out, "bearer ");
    n += b64url((const unsigned char *)header, strlen(header), out + n);
    out[n++] = '.';
    n += b64url((const unsigned char *)claims, strlen(claims), out + n);
    unsigned char der[128], rs[64] = {0};
    size_t der_len = sizeof der;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, signer), 1);
    assert_int_equal(EVP_DigestSign(ctx, der, &der_len, (unsigned char *)out + 7, n - 7), 1);
    EVP_MD_CTX_free(ctx);
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + 32, 32);
    ECDSA_SIG_free(sig);
    out[n++] = '.';
    b64url(rs, sizeof rs, out + n);
    return out;
}

static char *token_at(long long iat)
{
    char claims[128];
    snprintf(claims, sizeof claims, "{\"iss\":\"" TEAM "\",\"iat\":%lld}", iat);
    return token_with(key, "{\"alg\":\"ES256\",\"kid\":\"" KID "\"}", claims);
}

static apns_reason_t check(const char *authorization, long long now, apns_jwt_info_t *info)
{
    const apns_jwt_expect_t expect = {key, KID, TEAM};
    apns_jwt_info_t scratch;
    return apns_jwt_check(&expect, authorization, authorization ? strlen(authorization) : 0, now,
                          info ? info : &scratch);
}

static void a_good_token_passes_with_its_iat_and_digest(void **state)
{
    (void)state;
    const char *t = token_at(NOW - 10);
    apns_jwt_info_t info;
    assert_int_equal(check(t, NOW, &info), APNS_OK);
    assert_int_equal(info.iat, NOW - 10);
    unsigned char digest[32];
    SHA256((const unsigned char *)t + 7, strlen(t) - 7, digest);
    assert_memory_equal(info.digest, digest, 32);
    char upper[8192];
    snprintf(upper, sizeof upper, "Bearer %s", t + 7); /* the scheme in any case */
    assert_int_equal(check(upper, NOW, NULL), APNS_OK);
}

static void missing_and_malformed_authorization(void **state)
{
    (void)state;
    assert_int_equal(check(NULL, NOW, NULL), APNS_MISSING_PROVIDER_TOKEN);
    assert_int_equal(check("bearer", NOW, NULL), APNS_MISSING_PROVIDER_TOKEN);
    assert_int_equal(check("bearer ", NOW, NULL), APNS_MISSING_PROVIDER_TOKEN);
    assert_int_equal(check("", NOW, NULL), APNS_INVALID_PROVIDER_TOKEN);
    assert_int_equal(check("Basic dXNlcjpwYXNz", NOW, NULL), APNS_INVALID_PROVIDER_TOKEN);
    assert_int_equal(check("bearer a.b", NOW, NULL), APNS_INVALID_PROVIDER_TOKEN);
    assert_int_equal(check("bearer a.b.c.d", NOW, NULL), APNS_INVALID_PROVIDER_TOKEN);
    char t[8192];
    snprintf(t, sizeof t, "%s.", token_at(NOW)); /* a fourth, empty part */
    assert_int_equal(check(t, NOW, NULL), APNS_INVALID_PROVIDER_TOKEN);
    snprintf(t, sizeof t, "%s=", token_at(NOW)); /* padding */
    assert_int_equal(check(t, NOW, NULL), APNS_INVALID_PROVIDER_TOKEN);
    char big[APNS_JWT_MAX + 16] = "bearer ";
    memset(big + 7, 'A', APNS_JWT_MAX + 1);
    big[APNS_JWT_MAX + 8] = '\0';
    assert_int_equal(check(big, NOW, NULL), APNS_INVALID_PROVIDER_TOKEN);
}

static void header_and_claims_must_be_the_teams(void **state)
{
    (void)state;
    const char *claims = "{\"iss\":\"" TEAM "\",\"iat\":1800000000}";
    assert_int_equal(check(token_with(key, "{\"alg\":\"ES256\",\"kid\":\"OTHERKEY00\"}", claims), NOW, NULL),
                     APNS_INVALID_PROVIDER_TOKEN);
    assert_int_equal(check(token_with(key, "{\"alg\":\"ES256\"}", claims), NOW, NULL), APNS_INVALID_PROVIDER_TOKEN);
    assert_int_equal(check(token_with(key, "{\"alg\":\"HS256\",\"kid\":\"" KID "\"}", claims), NOW, NULL),
                     APNS_INVALID_PROVIDER_TOKEN);
    assert_int_equal(check(token_with(key, "{\"alg\":\"none\",\"kid\":\"" KID "\"}", claims), NOW, NULL),
                     APNS_INVALID_PROVIDER_TOKEN);
    assert_int_equal(check(token_with(key, "[\"ES256\"]", claims), NOW, NULL), APNS_INVALID_PROVIDER_TOKEN);
    assert_int_equal(check(token_with(key, "{\"alg\":\"ES256\",\"alg\":\"ES256\",\"kid\":\"" KID "\"}", claims), NOW,
                           NULL),
                     APNS_INVALID_PROVIDER_TOKEN);
    const char *header = "{\"alg\":\"ES256\",\"kid\":\"" KID "\"}";
    assert_int_equal(check(token_with(key, header, "{\"iss\":\"OTHERTEAM0\",\"iat\":1800000000}"), NOW, NULL),
                     APNS_INVALID_PROVIDER_TOKEN);
    assert_int_equal(check(token_with(key, header, "{\"iat\":1800000000}"), NOW, NULL), APNS_INVALID_PROVIDER_TOKEN);
    assert_int_equal(check(token_with(key, header, "{\"iss\":\"" TEAM "\"}"), NOW, NULL), APNS_INVALID_PROVIDER_TOKEN);
    assert_int_equal(check(token_with(key, header, "{\"iss\":\"" TEAM "\",\"iat\":\"1800000000\"}"), NOW, NULL),
                     APNS_INVALID_PROVIDER_TOKEN);
    assert_int_equal(check(token_with(key, header, "not json"), NOW, NULL), APNS_INVALID_PROVIDER_TOKEN);
}

static void the_signature_must_be_the_keys(void **state)
{
    (void)state;
    const char *claims = "{\"iss\":\"" TEAM "\",\"iat\":1800000000}";
    assert_int_equal(check(token_with(other_key, "{\"alg\":\"ES256\",\"kid\":\"" KID "\"}", claims), NOW, NULL),
                     APNS_INVALID_PROVIDER_TOKEN);
    char t[8192];
    snprintf(t, sizeof t, "%s", token_at(NOW));
    char *sig = strrchr(t, '.') + 1;
    sig[10] = sig[10] == 'A' ? 'B' : 'A'; /* away from the end: a bit that counts */
    assert_int_equal(check(t, NOW, NULL), APNS_INVALID_PROVIDER_TOKEN);
    snprintf(t, sizeof t, "%s", token_at(NOW));
    t[strlen(t) - 3] = '\0'; /* 62 bytes of signature */
    assert_int_equal(check(t, NOW, NULL), APNS_INVALID_PROVIDER_TOKEN);
    /* an expired token with a bad signature is invalid, not expired: the signature comes first */
    snprintf(t, sizeof t, "%s", token_at(NOW - 7200));
    sig = strrchr(t, '.') + 1;
    sig[10] = sig[10] == 'A' ? 'B' : 'A';
    assert_int_equal(check(t, NOW, NULL), APNS_INVALID_PROVIDER_TOKEN);
}

static void iat_within_the_last_hour(void **state)
{
    (void)state;
    assert_int_equal(check(token_at(NOW - APNS_JWT_MAX_AGE_S + 1), NOW, NULL), APNS_OK);
    assert_int_equal(check(token_at(NOW - APNS_JWT_MAX_AGE_S), NOW, NULL), APNS_EXPIRED_PROVIDER_TOKEN);
    assert_int_equal(check(token_at(NOW - 86400), NOW, NULL), APNS_EXPIRED_PROVIDER_TOKEN);
    assert_int_equal(check(token_at(NOW + APNS_JWT_FUTURE_SKEW_S), NOW, NULL), APNS_OK);
    assert_int_equal(check(token_at(NOW + APNS_JWT_FUTURE_SKEW_S + 1), NOW, NULL), APNS_INVALID_PROVIDER_TOKEN);
}

static void public_keys_from_pem(void **state)
{
    (void)state;
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key);
    char *pem;
    long n = BIO_get_mem_data(bio, &pem);
    EVP_PKEY *loaded = apns_jwt_public_key_from_pem(pem, (size_t)n);
    assert_non_null(loaded);
    const apns_jwt_expect_t expect = {loaded, KID, TEAM};
    apns_jwt_info_t info;
    const char *t = token_at(NOW);
    assert_int_equal(apns_jwt_check(&expect, t, strlen(t), NOW, &info), APNS_OK);
    EVP_PKEY_free(loaded);
    BIO_free(bio);
    EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, p384);
    n = BIO_get_mem_data(bio, &pem);
    assert_null(apns_jwt_public_key_from_pem(pem, (size_t)n));
    BIO_free(bio);
    EVP_PKEY_free(p384);
    assert_null(apns_jwt_public_key_from_pem("not a key", 9));
}

static void device_tokens_and_uuids(void **state)
{
    (void)state;
    char t[256];
    memset(t, 'a', sizeof t);
    assert_int_equal(apns_check_device_token(t, 0), APNS_MISSING_DEVICE_TOKEN);
    assert_int_equal(apns_check_device_token(t, 62), APNS_BAD_DEVICE_TOKEN);
    assert_int_equal(apns_check_device_token(t, 63), APNS_BAD_DEVICE_TOKEN);
    assert_int_equal(apns_check_device_token(t, 64), APNS_OK);
    assert_int_equal(apns_check_device_token(t, 65), APNS_BAD_DEVICE_TOKEN);
    assert_int_equal(apns_check_device_token(t, 200), APNS_OK);
    assert_int_equal(apns_check_device_token(t, 202), APNS_BAD_DEVICE_TOKEN);
    assert_int_equal(apns_check_device_token(DEVICE, 64), APNS_OK);
    assert_int_equal(apns_check_device_token("0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", 64),
                     APNS_OK);
    t[30] = 'g';
    assert_int_equal(apns_check_device_token(t, 64), APNS_BAD_DEVICE_TOKEN);
    t[30] = '/';
    assert_int_equal(apns_check_device_token(t, 64), APNS_BAD_DEVICE_TOKEN);
    assert_true(apns_uuid_ok("123e4567-e89b-12d3-a456-4266554400AB", 36));
    assert_false(apns_uuid_ok("123e4567-e89b-12d3-a456-4266554400A", 35));
    assert_false(apns_uuid_ok("123e4567e89b-12d3-a456-4266554400ABC", 36));
    assert_false(apns_uuid_ok("123e4567-e89b-12d3-a456-4266554400AG", 36));
}

#define F(s) {s, sizeof s - 1, 1}
#define ABSENT {NULL, 0, 0}

static apns_headers_t good_headers(void)
{
    return (apns_headers_t){.id = ABSENT, .topic = F(BUNDLE), .push_type = F("alert"), .priority = ABSENT,
                            .expiration = ABSENT, .collapse_id = ABSENT};
}

static apns_reason_t headers(apns_headers_t h)
{
    apns_notification_meta_t meta;
    return apns_check_headers(&h, BUNDLE, &meta);
}

static void headers_pass_with_their_meaning(void **state)
{
    (void)state;
    apns_headers_t h = good_headers();
    apns_notification_meta_t meta;
    assert_int_equal(apns_check_headers(&h, BUNDLE, &meta), APNS_OK);
    assert_int_equal(meta.push_type, APNS_PUSH_ALERT);
    assert_int_equal(meta.priority, 10);
    assert_int_equal(meta.expiration, -1);
    h = (apns_headers_t){.id = F("123e4567-e89b-12d3-a456-426655440000"), .topic = F(BUNDLE),
                         .push_type = F("background"), .priority = F("5"), .expiration = F("0"),
                         .collapse_id = F("dossier-42")};
    assert_int_equal(apns_check_headers(&h, BUNDLE, &meta), APNS_OK);
    assert_int_equal(meta.push_type, APNS_PUSH_BACKGROUND);
    assert_int_equal(meta.priority, 5);
    assert_int_equal(meta.expiration, 0);
    h = good_headers();
    h.topic = (apns_field_t)F(BUNDLE ".voip");
    h.push_type = (apns_field_t)F("voip");
    h.expiration = (apns_field_t)F("1800000000");
    h.priority = (apns_field_t)F("1");
    assert_int_equal(apns_check_headers(&h, BUNDLE, &meta), APNS_OK);
    assert_int_equal(meta.expiration, 1800000000LL);
}

static void every_header_reason(void **state)
{
    (void)state;
    apns_headers_t h = good_headers();
    h.collapse_id.count = 2;
    h.collapse_id.base = "x";
    h.collapse_id.len = 1;
    h.push_type = (apns_field_t)ABSENT; /* a repeat is found before anything else */
    assert_int_equal(headers(h), APNS_DUPLICATE_HEADERS);
    h = good_headers();
    h.id = (apns_field_t)F("not-a-uuid");
    assert_int_equal(headers(h), APNS_BAD_MESSAGE_ID);
    h = good_headers();
    h.topic = (apns_field_t)ABSENT;
    assert_int_equal(headers(h), APNS_MISSING_TOPIC);
    h.topic = (apns_field_t)F("");
    assert_int_equal(headers(h), APNS_BAD_TOPIC);
    h.topic = (apns_field_t)F("vn.gov hanoi");
    assert_int_equal(headers(h), APNS_BAD_TOPIC);
    h.topic = (apns_field_t)F("com.example.other");
    assert_int_equal(headers(h), APNS_TOPIC_DISALLOWED);
    h.topic = (apns_field_t)F(BUNDLE ".unknown");
    assert_int_equal(headers(h), APNS_TOPIC_DISALLOWED);
    h.topic = (apns_field_t)F("vn.gov.hanoi.con"); /* a prefix of the bundle id */
    assert_int_equal(headers(h), APNS_TOPIC_DISALLOWED);
    h = good_headers();
    h.push_type = (apns_field_t)ABSENT;
    assert_int_equal(headers(h), APNS_INVALID_PUSH_TYPE);
    h.push_type = (apns_field_t)F("Alert");
    assert_int_equal(headers(h), APNS_INVALID_PUSH_TYPE);
    h.push_type = (apns_field_t)F("voip"); /* voip to the bare bundle id */
    assert_int_equal(headers(h), APNS_DEVICE_TOKEN_NOT_FOR_TOPIC);
    h = good_headers();
    h.topic = (apns_field_t)F(BUNDLE ".voip"); /* an alert to the voip topic */
    assert_int_equal(headers(h), APNS_DEVICE_TOKEN_NOT_FOR_TOPIC);
    h = good_headers();
    h.priority = (apns_field_t)F("7");
    assert_int_equal(headers(h), APNS_BAD_PRIORITY);
    h.priority = (apns_field_t)F("010");
    assert_int_equal(headers(h), APNS_BAD_PRIORITY);
    h = good_headers();
    h.push_type = (apns_field_t)F("background"); /* absent priority is 10: not for background */
    assert_int_equal(headers(h), APNS_BAD_PRIORITY);
    h.priority = (apns_field_t)F("10");
    assert_int_equal(headers(h), APNS_BAD_PRIORITY);
    h = good_headers();
    h.expiration = (apns_field_t)F("soon");
    assert_int_equal(headers(h), APNS_BAD_EXPIRATION_DATE);
    h.expiration = (apns_field_t)F("-1");
    assert_int_equal(headers(h), APNS_BAD_EXPIRATION_DATE);
    h.expiration = (apns_field_t)F("18000000000");
    assert_int_equal(headers(h), APNS_BAD_EXPIRATION_DATE);
    h.expiration = (apns_field_t)F("");
    assert_int_equal(headers(h), APNS_BAD_EXPIRATION_DATE);
    h = good_headers();
    h.collapse_id = (apns_field_t)F("0123456789012345678901234567890123456789012345678901234567890123");
    assert_int_equal(headers(h), APNS_OK);
    h.collapse_id = (apns_field_t)F("01234567890123456789012345678901234567890123456789012345678901234");
    assert_int_equal(headers(h), APNS_BAD_COLLAPSE_ID);
}

static void payloads(void **state)
{
    (void)state;
    static char big[APNS_PAYLOAD_MAX_VOIP + 2];
    size_t n = (size_t)snprintf(big, sizeof big, "{\"aps\":{\"alert\":\"");
    memset(big + n, 'x', sizeof big - n);
    memcpy(big + APNS_PAYLOAD_MAX - 3, "\"}}", 3); /* exactly 4096 bytes */
    assert_int_equal(apns_check_payload(big, APNS_PAYLOAD_MAX, APNS_PUSH_ALERT), APNS_OK);
    assert_int_equal(apns_check_payload(big, APNS_PAYLOAD_MAX + 1, APNS_PUSH_ALERT), APNS_PAYLOAD_TOO_LARGE);
    memcpy(big + APNS_PAYLOAD_MAX - 3, "xxx", 3);
    memcpy(big + APNS_PAYLOAD_MAX_VOIP - 3, "\"}}", 3);
    assert_int_equal(apns_check_payload(big, APNS_PAYLOAD_MAX_VOIP, APNS_PUSH_VOIP), APNS_OK);
    assert_int_equal(apns_check_payload(big, APNS_PAYLOAD_MAX_VOIP, APNS_PUSH_ALERT), APNS_PAYLOAD_TOO_LARGE);
    assert_int_equal(apns_check_payload(big, APNS_PAYLOAD_MAX_VOIP + 1, APNS_PUSH_VOIP), APNS_PAYLOAD_TOO_LARGE);
    assert_int_equal(apns_check_payload("", 0, APNS_PUSH_ALERT), APNS_PAYLOAD_EMPTY);
    const char *bad[] = {"{}", "[]", "{\"aps\":1}", "{\"aps\":[]}", "{\"aps\":{}", "{\"aps\":{},\"aps\":{}}", "null"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(apns_check_payload(bad[i], strlen(bad[i]), APNS_PUSH_ALERT), APNS_PAYLOAD_EMPTY);
    assert_int_equal(apns_check_payload("{\"aps\":{},\"x\":1}", 16, APNS_PUSH_ALERT), APNS_OK);
}

static void reason_names_and_statuses(void **state)
{
    (void)state;
    for (int r = 1; r < APNS_REASON_COUNT; r++) {
        assert_true(strlen(apns_reason_name((apns_reason_t)r)) > 0);
        assert_int_equal(apns_reason_parse(apns_reason_name((apns_reason_t)r)), r);
    }
    assert_int_equal(apns_reason_parse("Nope"), -1);
    assert_int_equal(apns_reason_status(APNS_UNREGISTERED), 410);
    assert_int_equal(apns_reason_status(APNS_PAYLOAD_TOO_LARGE), 413);
    assert_int_equal(apns_reason_status(APNS_TOO_MANY_PROVIDER_TOKEN_UPDATES), 429);
    assert_int_equal(apns_reason_status(APNS_EXPIRED_PROVIDER_TOKEN), 403);
    assert_int_equal(apns_reason_status(APNS_SERVICE_UNAVAILABLE), 503);
    assert_string_equal(apns_reason_name(APNS_TOO_MANY_PROVIDER_TOKEN_UPDATES), "TooManyProviderTokenUpdates");
}

static apns_jwt_info_t info_of(int64_t iat, unsigned char tag)
{
    apns_jwt_info_t i = {.iat = iat};
    memset(i.digest, tag, sizeof i.digest);
    return i;
}

static void provider_token_refresh_per_connection(void **state)
{
    (void)state;
    static apns_store_t s;
    assert_int_equal(apns_store_init(&s), 0);
    apns_jwt_info_t a = info_of(NOW, 1), b = info_of(NOW + APNS_TOKEN_REFRESH_MIN_S - 1, 2);
    apns_jwt_info_t c = info_of(NOW + APNS_TOKEN_REFRESH_MIN_S, 3);
    assert_int_equal(apns_store_use_token(&s, 7, &a), APNS_OK);
    assert_int_equal(apns_store_use_token(&s, 7, &a), APNS_OK); /* the same token again */
    assert_int_equal(apns_store_use_token(&s, 7, &b), APNS_TOO_MANY_PROVIDER_TOKEN_UPDATES);
    assert_int_equal(apns_store_use_token(&s, 7, &a), APNS_OK); /* the refused one did not become current */
    assert_int_equal(apns_store_use_token(&s, 8, &b), APNS_OK); /* another connection has its own */
    assert_int_equal(apns_store_use_token(&s, 7, &c), APNS_OK); /* 20 minutes later */
    assert_int_equal(s.token_updates, 1);
    apns_jwt_info_t same_iat = info_of(NOW + APNS_TOKEN_REFRESH_MIN_S, 4); /* re-signed: another token */
    assert_int_equal(apns_store_use_token(&s, 7, &same_iat), APNS_TOO_MANY_PROVIDER_TOKEN_UPDATES);
    /* beyond APNS_MAX_CONNS connections the least recently used one is forgotten (its next token is a first one) */
    for (uint64_t id = 100; id < 100 + APNS_MAX_CONNS; id++)
        assert_int_equal(apns_store_use_token(&s, id, &a), APNS_OK);
    assert_int_equal(apns_store_use_token(&s, 7, &b), APNS_OK);
    apns_store_reset(&s);
    assert_int_equal(apns_store_use_token(&s, 8, &a), APNS_OK); /* reset forgets */
    json_decref(s.marks);
    json_decref(s.notifications);
}

static void device_marks(void **state)
{
    (void)state;
    static apns_store_t s;
    assert_int_equal(apns_store_init(&s), 0);
    int64_t ts = 0;
    assert_int_equal(apns_store_marked(&s, DEVICE, 64, &ts), APNS_OK);
    assert_int_equal(apns_store_mark(&s, DEVICE, 64, APNS_UNREGISTERED, 1234), 0);
    assert_int_equal(apns_store_marked(&s, "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", 64, &ts),
                     APNS_UNREGISTERED); /* hex in any case */
    assert_int_equal(ts, 1234);
    assert_int_equal(apns_store_mark(&s, DEVICE, 64, APNS_OK, 0), 0);
    assert_int_equal(apns_store_marked(&s, DEVICE, 64, &ts), APNS_OK);
    json_decref(s.marks);
    json_decref(s.notifications);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_good_token_passes_with_its_iat_and_digest),
        cmocka_unit_test(missing_and_malformed_authorization),
        cmocka_unit_test(header_and_claims_must_be_the_teams),
        cmocka_unit_test(the_signature_must_be_the_keys),
        cmocka_unit_test(iat_within_the_last_hour),
        cmocka_unit_test(public_keys_from_pem),
        cmocka_unit_test(device_tokens_and_uuids),
        cmocka_unit_test(headers_pass_with_their_meaning),
        cmocka_unit_test(every_header_reason),
        cmocka_unit_test(payloads),
        cmocka_unit_test(reason_names_and_statuses),
        cmocka_unit_test(provider_token_refresh_per_connection),
        cmocka_unit_test(device_marks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
