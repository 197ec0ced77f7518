/* Unit tests for push/webhook/signature.h, the Standard Webhooks "v1" signatures: the specification's published test
 * vector, secrets (parse, generate, the size bounds, canonical base64 only), the signature header's parser (several
 * entries, other versions skipped, every malformation), and verification's reasons in their order, its tolerance
 * edges, a body changed by one byte, and a rotation (two secrets signing, either verifying). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "push/webhook/signature.h"

/* The test vector of the Standard Webhooks reference libraries: github.com/standard-webhooks/standard-webhooks,
 * libraries/go/webhook_test.go (TestWebhookSign; the same values in the JavaScript, Python and Rust libraries' tests):
 * secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, id msg_p5jXN8AQM9LWM0D4loKWxJek, timestamp 1614265330, payload
 * {"test": 2432232314} → v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= */
#define VECTOR_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define VECTOR_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define VECTOR_TS 1614265330
#define VECTOR_BODY "{\"test\": 2432232314}"
#define VECTOR_SIGNATURE "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
/* a signature of another secret, from the same libraries' tests ("invalid signature is invalid") */
#define FOREIGN_SIGNATURE "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="

static webhook_secret_t parsed(const char *text)
{
    webhook_secret_t s;
    assert_int_equal(webhook_secret_parse(text, strlen(text), &s), 0);
    return s;
}

static webhook_headers_t headers(const char *id, const char *ts, const char *sig)
{
    return (webhook_headers_t){
        .id = {id, id ? strlen(id) : 0},
        .timestamp = {ts, ts ? strlen(ts) : 0},
        .signature = {sig, sig ? strlen(sig) : 0},
    };
}

static webhook_verdict_t verify_vector(const char *id, const char *ts, const char *sig, const char *body, int64_t now)
{
    webhook_secret_t s = parsed(VECTOR_SECRET);
    webhook_headers_t h = headers(id, ts, sig);
    return webhook_verify(&h, body, strlen(body), &s, 1, now, WEBHOOK_TOLERANCE_S, NULL);
}

static void the_specifications_test_vector(void **state)
{
    (void)state;
    webhook_secret_t s = parsed(VECTOR_SECRET);
    assert_int_equal(s.len, 24);
    char out[WEBHOOK_SIGNATURE_LEN + 1];
    long n = webhook_sign(VECTOR_ID, strlen(VECTOR_ID), VECTOR_TS, VECTOR_BODY, strlen(VECTOR_BODY), &s, 1, out,
                          sizeof out);
    assert_int_equal(n, WEBHOOK_SIGNATURE_LEN);
    assert_string_equal(out, VECTOR_SIGNATURE);
    int64_t ts = 0;
    webhook_headers_t h = headers(VECTOR_ID, "1614265330", VECTOR_SIGNATURE);
    assert_int_equal(webhook_verify(&h, VECTOR_BODY, strlen(VECTOR_BODY), &s, 1, VECTOR_TS + 10, 300, &ts),
                     WEBHOOK_OK);
    assert_int_equal(ts, VECTOR_TS);
    assert_int_equal(webhook_sign(VECTOR_ID, strlen(VECTOR_ID), VECTOR_TS, VECTOR_BODY, strlen(VECTOR_BODY), &s, 1,
                                  out, sizeof out - 1),
                     -1); /* no room for the NUL */
}

static void a_body_or_header_changed_by_one_byte(void **state)
{
    (void)state;
    assert_int_equal(verify_vector(VECTOR_ID, "1614265330", VECTOR_SIGNATURE, "{\"test\": 2432232315}", VECTOR_TS),
                     WEBHOOK_NO_MATCHING_SIGNATURE);
    assert_int_equal(verify_vector(VECTOR_ID, "1614265330", VECTOR_SIGNATURE, "{\"test\":2432232314}", VECTOR_TS),
                     WEBHOOK_NO_MATCHING_SIGNATURE);
    assert_int_equal(verify_vector("msg_p5jXN8AQM9LWM0D4loKWxJeK", "1614265330", VECTOR_SIGNATURE, VECTOR_BODY,
                                   VECTOR_TS),
                     WEBHOOK_NO_MATCHING_SIGNATURE);
    assert_int_equal(verify_vector(VECTOR_ID, "1614265331", VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_TS),
                     WEBHOOK_NO_MATCHING_SIGNATURE);
    /* the timestamp as sent is what is signed: a leading zero is another text */
    assert_int_equal(verify_vector(VECTOR_ID, "01614265330", VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_TS),
                     WEBHOOK_NO_MATCHING_SIGNATURE);
    assert_int_equal(verify_vector(VECTOR_ID, "1614265330", FOREIGN_SIGNATURE, VECTOR_BODY, VECTOR_TS),
                     WEBHOOK_NO_MATCHING_SIGNATURE);
    /* one bit of the MAC flipped (g→h in base64) */
    assert_int_equal(verify_vector(VECTOR_ID, "1614265330", "v1,h0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
                                   VECTOR_BODY, VECTOR_TS),
                     WEBHOOK_NO_MATCHING_SIGNATURE);
}

static void reasons_in_their_order(void **state)
{
    (void)state;
    const char *ts = "1614265330";
    assert_int_equal(verify_vector(NULL, ts, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_TS), WEBHOOK_MISSING_ID);
    assert_int_equal(verify_vector(VECTOR_ID, NULL, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_TS),
                     WEBHOOK_MISSING_TIMESTAMP);
    assert_int_equal(verify_vector(VECTOR_ID, ts, NULL, VECTOR_BODY, VECTOR_TS), WEBHOOK_MISSING_SIGNATURE);
    assert_int_equal(verify_vector("", ts, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_TS), WEBHOOK_BAD_ID);
    assert_int_equal(verify_vector("msg.1", ts, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_TS), WEBHOOK_BAD_ID);
    assert_int_equal(verify_vector("msg 1", ts, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_TS), WEBHOOK_BAD_ID);
    assert_int_equal(verify_vector(VECTOR_ID, "", VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_TS), WEBHOOK_BAD_TIMESTAMP);
    assert_int_equal(verify_vector(VECTOR_ID, "-1", VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_TS), WEBHOOK_BAD_TIMESTAMP);
    assert_int_equal(verify_vector(VECTOR_ID, "1614265330.5", VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_TS),
                     WEBHOOK_BAD_TIMESTAMP);
    assert_int_equal(verify_vector(VECTOR_ID, "1234567890123456", VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_TS),
                     WEBHOOK_BAD_TIMESTAMP);
    assert_int_equal(verify_vector(VECTOR_ID, ts, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", VECTOR_BODY,
                                   VECTOR_TS),
                     WEBHOOK_MALFORMED_SIGNATURE);
    assert_int_equal(verify_vector(VECTOR_ID, ts, "v1a,AAAA", VECTOR_BODY, VECTOR_TS), WEBHOOK_NO_V1_SIGNATURE);
    /* a malformed signature header is told before a stale timestamp, a stale timestamp before a wrong MAC */
    assert_int_equal(verify_vector(VECTOR_ID, ts, "v1", VECTOR_BODY, VECTOR_TS + 1000), WEBHOOK_MALFORMED_SIGNATURE);
    assert_int_equal(verify_vector(VECTOR_ID, ts, FOREIGN_SIGNATURE, VECTOR_BODY, VECTOR_TS + 1000), WEBHOOK_TOO_OLD);
    webhook_headers_t h = headers(VECTOR_ID, ts, VECTOR_SIGNATURE);
    assert_int_equal(webhook_verify(&h, VECTOR_BODY, strlen(VECTOR_BODY), NULL, 0, VECTOR_TS, 300, NULL),
                     WEBHOOK_NO_SECRET);
    assert_string_equal(webhook_verdict_name(WEBHOOK_NO_MATCHING_SIGNATURE), "no_matching_signature");
    assert_string_equal(webhook_verdict_name(WEBHOOK_TOO_OLD), "too_old");
    for (int v = 0; v < WEBHOOK_VERDICT_COUNT; v++)
        assert_string_not_equal(webhook_verdict_name((webhook_verdict_t)v), "unknown");
    assert_string_equal(webhook_verdict_name(WEBHOOK_VERDICT_COUNT), "unknown");
}

static void the_tolerance_either_way(void **state)
{
    (void)state;
    const char *ts = "1614265330";
    assert_int_equal(verify_vector(VECTOR_ID, ts, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_TS + 300), WEBHOOK_OK);
    assert_int_equal(verify_vector(VECTOR_ID, ts, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_TS + 301), WEBHOOK_TOO_OLD);
    assert_int_equal(verify_vector(VECTOR_ID, ts, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_TS - 300), WEBHOOK_OK);
    assert_int_equal(verify_vector(VECTOR_ID, ts, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_TS - 301), WEBHOOK_TOO_NEW);
}

static void several_entries_and_other_versions(void **state)
{
    (void)state;
    const char *ts = "1614265330";
    /* the libraries' "valid multi sig is valid": a v2 and other v1 entries around the right one */
    assert_int_equal(verify_vector(VECTOR_ID, ts,
                                   FOREIGN_SIGNATURE " v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= " VECTOR_SIGNATURE
                                                     " " FOREIGN_SIGNATURE,
                                   VECTOR_BODY, VECTOR_TS),
                     WEBHOOK_OK);
    assert_int_equal(verify_vector(VECTOR_ID, ts, "  " VECTOR_SIGNATURE "   v1a,xyz  ", VECTOR_BODY, VECTOR_TS),
                     WEBHOOK_OK);
}

static webhook_verdict_t parse(const char *value, webhook_signatures_t *sigs)
{
    return webhook_parse_signatures(value, strlen(value), sigs);
}

static void the_signature_header_parser(void **state)
{
    (void)state;
    webhook_signatures_t sigs;
    assert_int_equal(parse(VECTOR_SIGNATURE " v1a,abc " FOREIGN_SIGNATURE, &sigs), WEBHOOK_OK);
    assert_int_equal(sigs.n_v1, 2);
    assert_int_equal(sigs.n_other, 1);
    assert_int_equal(sigs.v1[0][0], 0x83); /* base64 "g0hM" → 0x83 0x48 0x4c */
    assert_int_equal(parse("v1a,abc v2,def", &sigs), WEBHOOK_NO_V1_SIGNATURE);
    const char *malformed[] = {
        "", "   ", "v1", "v1,", ",abc", "v1,abc", VECTOR_SIGNATURE "\t", VECTOR_SIGNATURE ",",
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE",      /* no padding */
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=",     /* non-zero unused bits: not canonical */
        "v1,g0hM9SsE-OTPJTGt_tmIKtSyZlE3uFJELVlNIOLJ1OE=",     /* base64url */
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=AAAA", /* 35 bytes */
        "v1,AAAA",                                              /* 3 bytes */
    };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
        if (parse(malformed[i], &sigs) != WEBHOOK_MALFORMED_SIGNATURE)
            fail_msg("not refused as malformed: \"%s\"", malformed[i]);
    char many[WEBHOOK_MAX_SIGNATURES * 10 + 16] = "";
    for (int i = 0; i < WEBHOOK_MAX_SIGNATURES; i++)
        strcat(many, "v1a,abc ");
    assert_int_equal(parse(many, &sigs), WEBHOOK_NO_V1_SIGNATURE);
    strcat(many, "v1a,abc");
    assert_int_equal(parse(many, &sigs), WEBHOOK_MALFORMED_SIGNATURE);
    char nul[] = VECTOR_SIGNATURE;
    nul[5] = '\0';
    assert_int_equal(webhook_parse_signatures(nul, sizeof nul - 1, &sigs), WEBHOOK_MALFORMED_SIGNATURE);
}

static void a_rotation_signs_with_both(void **state)
{
    (void)state;
    char fresh[WEBHOOK_SECRET_TEXT_LEN + 1];
    assert_int_equal(webhook_secret_generate(fresh), 0);
    webhook_secret_t both[2] = {parsed(fresh), parsed(VECTOR_SECRET)}; /* the new secret first, the old one after */
    char header[2 * (WEBHOOK_SIGNATURE_LEN + 1)];
    long n = webhook_sign(VECTOR_ID, strlen(VECTOR_ID), VECTOR_TS, VECTOR_BODY, strlen(VECTOR_BODY), both, 2, header,
                          sizeof header);
    assert_int_equal(n, 2 * WEBHOOK_SIGNATURE_LEN + 1);
    assert_string_equal(header + WEBHOOK_SIGNATURE_LEN + 1, VECTOR_SIGNATURE);
    assert_int_equal(header[WEBHOOK_SIGNATURE_LEN], ' ');
    webhook_headers_t h = headers(VECTOR_ID, "1614265330", header);
    /* a receiver holding only the old secret, only the new one, or both: verified */
    for (size_t first = 0; first < 2; first++)
        assert_int_equal(webhook_verify(&h, VECTOR_BODY, strlen(VECTOR_BODY), &both[first], 1, VECTOR_TS, 300, NULL),
                         WEBHOOK_OK);
    assert_int_equal(webhook_verify(&h, VECTOR_BODY, strlen(VECTOR_BODY), both, 2, VECTOR_TS, 300, NULL), WEBHOOK_OK);
    /* a sender signing with the new secret alone, a receiver still on the old one: refused; given both: verified */
    n = webhook_sign(VECTOR_ID, strlen(VECTOR_ID), VECTOR_TS, VECTOR_BODY, strlen(VECTOR_BODY), both, 1, header,
                     sizeof header);
    h = headers(VECTOR_ID, "1614265330", header);
    assert_int_equal(webhook_verify(&h, VECTOR_BODY, strlen(VECTOR_BODY), &both[1], 1, VECTOR_TS, 300, NULL),
                     WEBHOOK_NO_MATCHING_SIGNATURE);
    assert_int_equal(webhook_verify(&h, VECTOR_BODY, strlen(VECTOR_BODY), both, 2, VECTOR_TS, 300, NULL), WEBHOOK_OK);
    webhook_secret_wipe(&both[0]);
    assert_int_equal(both[0].len, 0);
}

static void secrets(void **state)
{
    (void)state;
    char a[WEBHOOK_SECRET_TEXT_LEN + 1], b[WEBHOOK_SECRET_TEXT_LEN + 1];
    assert_int_equal(webhook_secret_generate(a), 0);
    assert_int_equal(webhook_secret_generate(b), 0);
    assert_int_equal(strlen(a), WEBHOOK_SECRET_TEXT_LEN);
    assert_memory_equal(a, "whsec_", 6);
    assert_string_not_equal(a, b);
    webhook_secret_t s;
    assert_int_equal(webhook_secret_parse(a, strlen(a), &s), 0);
    assert_int_equal(s.len, WEBHOOK_SECRET_GENERATED_BYTES);
    const char *refused[] = {
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",       /* no prefix */
        "whsec_",                                 /* nothing */
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La",     /* not 4k long */
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLA==", /* 22 bytes: too short */
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw ", /* a trailing space */
        "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        if (webhook_secret_parse(refused[i], strlen(refused[i]), &s) != -1)
            fail_msg("secret accepted: \"%s\"", refused[i]);
        assert_int_equal(s.len, 0);
    }
    char longest[6 + 88 + 1] = "whsec_", too_long[6 + 92 + 1] = "whsec_";
    memset(longest + 6, 'A', 88); /* 66 bytes, over 64 */
    memset(too_long + 6, 'A', 92);
    longest[6 + 88] = too_long[6 + 92] = '\0';
    assert_int_equal(webhook_secret_parse(longest, strlen(longest), &s), -1);
    longest[6 + 84] = '\0'; /* 63 bytes */
    assert_int_equal(webhook_secret_parse(longest, strlen(longest), &s), 0);
    assert_int_equal(s.len, 63);
    assert_int_equal(webhook_secret_parse(too_long, strlen(too_long), &s), -1);
}

static void ids(void **state)
{
    (void)state;
    assert_true(webhook_id_valid(VECTOR_ID, strlen(VECTOR_ID)));
    assert_true(webhook_id_valid("evt-01J~x", 9));
    assert_false(webhook_id_valid("a.b", 3));
    assert_false(webhook_id_valid("a,b", 3));
    assert_false(webhook_id_valid("a\x7f", 2));
    assert_false(webhook_id_valid("é", strlen("é")));
    char id[WEBHOOK_ID_MAX + 2];
    memset(id, 'a', sizeof id);
    assert_true(webhook_id_valid(id, WEBHOOK_ID_MAX));
    assert_false(webhook_id_valid(id, WEBHOOK_ID_MAX + 1));
    webhook_secret_t s = parsed(VECTOR_SECRET);
    unsigned char mac[WEBHOOK_MAC_BYTES];
    assert_int_equal(webhook_mac("a.b", 3, 1, "", 0, &s, mac), -1);
    assert_int_equal(webhook_mac("ab", 2, -1, "", 0, &s, mac), -1);
    assert_int_equal(webhook_mac("ab", 2, 0, NULL, 0, &s, mac), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_specifications_test_vector),
        cmocka_unit_test(a_body_or_header_changed_by_one_byte),
        cmocka_unit_test(reasons_in_their_order),
        cmocka_unit_test(the_tolerance_either_way),
        cmocka_unit_test(several_entries_and_other_versions),
        cmocka_unit_test(the_signature_header_parser),
        cmocka_unit_test(a_rotation_signs_with_both),
        cmocka_unit_test(secrets),
        cmocka_unit_test(ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
