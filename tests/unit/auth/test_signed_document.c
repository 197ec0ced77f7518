/*
 * tests/unit/auth/test_signed_document.c — documents cong signs (auth/signed_document.c) and the ring of every
 * document key it has used (auth/document_ring.c): round trip, verification across rotations by kid, the header
 * pinned (alg, typ, crit, kid), access tokens and documents never taken for one another, the ring's parsing and what
 * it publishes, the signer's loading.
 *
 * Headers other than cong's are signed here with this file's own code (EVP, DER → JOSE), so the verifier is checked
 * against a signer independent of auth/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "auth_test_helpers.h"

#include "auth/identity.h"
#include "auth/signed_document.h"
#include "cong/module.h"

#include <jansson.h>
#include <openssl/ecdsa.h>
#include <unistd.h>

#define RESULT "{\"typ\":\"cong-result\",\"dossier\":\"HN-2026-0000001\",\"sha256\":\"ab\"}"

typedef struct test_key {
    EVP_PKEY *pkey;
    cong_document_signer_t signer;
} test_key_t;

static test_key_t keys[3]; /* three generations of the document key */

static void make_key(test_key_t *k)
{
    k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(k->pkey);
    size_t len = 0;
    char *pem = pem_of(k->pkey, 1, &len);
    assert_int_equal(cong_jwt_key_load_private_pem(pem, len, &k->signer.key), 0);
    assert_int_equal(cong_jwt_key_id(k->signer.key, k->signer.kid), 0);
    free(pem);
}

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++)
        make_key(&keys[i]);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) {
        cong_document_signer_free(&keys[i].signer);
        EVP_PKEY_free(keys[i].pkey);
    }
    return 0;
}

/* The history's JWKS text for keys[from..to). */
static char *history(int from, int to)
{
    const cong_jwt_key_t *k[3];
    const char *kids[3];
    for (int i = from; i < to; i++) {
        k[i - from] = keys[i].signer.key;
        kids[i - from] = keys[i].signer.kid;
    }
    char *jwks = NULL;
    assert_int_equal(cong_jwks_public_json(k, (size_t)(to - from), kids, NULL, &jwks), 0);
    return jwks;
}

static cong_document_ring_t *ring_of(int from, int to)
{
    char *jwks = history(from, to);
    cong_document_ring_t *ring = NULL;
    assert_int_equal(cong_document_ring_parse(jwks, strlen(jwks), &ring), 0);
    free(jwks);
    return ring;
}

/* noinline: inlined, GCC 12 takes the returned buffer for the address of this frame's `doc` (-Wdangling-pointer) */
__attribute__((noinline)) static char *sign(const test_key_t *k, const char *payload)
{
    char *doc = NULL;
    assert_int_equal(cong_document_sign(&k->signer, payload, &doc), 0);
    return doc;
}

static int verify(const cong_document_ring_t *ring, const char *doc)
{
    char *payload = NULL;
    size_t len = 0;
    int rc = cong_document_verify(ring, doc, strlen(doc), &payload, &len);
    assert_true(rc == 0 ? payload != NULL && strlen(payload) == len : payload == NULL);
    free(payload);
    return rc;
}

/* header.payload signed by the test's own ES256 (EVP, DER converted to JOSE R||S). */
static char *sign_raw(EVP_PKEY *pkey, const char *header, const char *payload)
{
    char *h = b64(header, strlen(header)), *p = b64(payload, strlen(payload));
    char *input = xprintf("%s.%s", h, p);
    unsigned char der[80], rs[64] = {0};
    size_t der_len = sizeof der;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey), 1);
    assert_int_equal(EVP_DigestSign(md, der, &der_len, (const unsigned char *)input, strlen(input)), 1);
    EVP_MD_CTX_free(md);
    const unsigned char *q = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &q, (long)der_len);
    assert_non_null(sig);
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + 32, 32);
    ECDSA_SIG_free(sig);
    char *s = b64(rs, sizeof rs);
    char *jws = xprintf("%s.%s", input, s);
    free(h), free(p), free(input), free(s);
    return jws;
}

static void test_round_trip_and_header(void **state)
{
    (void)state;
    cong_document_ring_t *ring = ring_of(0, 1);
    char *doc = sign(&keys[0], "{ \"typ\" : \"cong-result\", \"n\": 1 }");
    char *payload = NULL;
    size_t len = 0;
    assert_int_equal(cong_document_verify(ring, doc, strlen(doc), &payload, &len), 0);
    assert_string_equal(payload, "{\"typ\":\"cong-result\",\"n\":1}"); /* re-serialised compactly */
    free(payload);
    unsigned char header[256];
    long n = cong_b64url_decode(doc, (size_t)(strchr(doc, '.') - doc), header);
    assert_true(n > 0);
    header[n] = '\0';
    char *want = xprintf("{\"alg\":\"ES256\",\"typ\":\"cong-document+jwt\",\"kid\":\"%s\"}", keys[0].signer.kid);
    assert_string_equal((char *)header, want);
    char kid[CONG_JWK_KID_MAX + 1];
    assert_int_equal(cong_document_kid(doc, strlen(doc), kid), 0);
    assert_string_equal(kid, keys[0].signer.kid);
    assert_int_equal(cong_document_kid("x.y.z", 5, kid), CONG_EINVAL);
    free(want);
    free(doc);
    /* not an object, no signer, no ring */
    char *out = NULL;
    assert_int_equal(cong_document_sign(&keys[0].signer, "[1]", &out), CONG_EINVAL);
    assert_int_equal(cong_document_sign(&keys[0].signer, "{\"a\":1,\"a\":2}", &out), CONG_EINVAL);
    assert_int_equal(cong_document_sign(NULL, RESULT, &out), CONG_ENOTFOUND);
    assert_null(out);
    assert_int_equal(cong_document_verify(NULL, "a.b.c", 5, &out, &len), CONG_ENOTFOUND);
    cong_document_ring_release(ring);
}

/* Two rotations later, a document signed with the first key still verifies against the history, by kid. */
static void test_verifies_across_rotations(void **state)
{
    (void)state;
    char *first = sign(&keys[0], RESULT), *third = sign(&keys[2], RESULT);
    cong_document_ring_t *all = ring_of(0, 3), *recent = ring_of(1, 3);
    assert_int_equal(cong_document_ring_count(all), 3);
    assert_int_equal(verify(all, first), 0);
    assert_int_equal(verify(all, third), 0);
    assert_int_equal(verify(recent, first), CONG_EINVAL); /* a key no longer in the history: not verified */
    /* the first key's signature under the second key's kid */
    char *moved = sign_raw(keys[0].pkey, "{\"alg\":\"ES256\",\"typ\":\"cong-document+jwt\",\"kid\":\"x\"}", RESULT);
    assert_int_equal(verify(all, moved), CONG_EINVAL);
    free(moved);
    char *header = xprintf("{\"alg\":\"ES256\",\"typ\":\"cong-document+jwt\",\"kid\":\"%s\"}", keys[1].signer.kid);
    moved = sign_raw(keys[0].pkey, header, RESULT);
    assert_int_equal(verify(all, moved), CONG_EINVAL);
    free(moved);
    free(header);
    /* tampered payload */
    char *dot = strchr(third, '.');
    dot[2] = dot[2] == 'A' ? 'B' : 'A';
    assert_int_equal(verify(all, third), CONG_EINVAL);
    free(first), free(third);
    cong_document_ring_release(all);
    cong_document_ring_release(recent);
}

/* Only exactly {"alg":"ES256","typ":"cong-document+jwt","kid"} (no crit) verifies, even over a genuine key. */
static void test_header_pinned(void **state)
{
    (void)state;
    cong_document_ring_t *ring = ring_of(0, 1);
    const char *kid = keys[0].signer.kid;
    struct {
        const char *fmt;
        int want;
    } cases[] = {
        {"{\"alg\":\"ES256\",\"typ\":\"cong-document+jwt\",\"kid\":\"%s\"}", 0},
        {"{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", CONG_EINVAL},
        {"{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}", CONG_EINVAL},
        {"{\"alg\":\"ES256\",\"kid\":\"%s\"}", CONG_EINVAL},
        {"{\"alg\":\"ES256\",\"typ\":\"Cong-Document+JWT\",\"kid\":\"%s\"}", CONG_EINVAL},
        {"{\"alg\":\"none\",\"typ\":\"cong-document+jwt\",\"kid\":\"%s\"}", CONG_EINVAL},
        {"{\"alg\":\"ES256\",\"typ\":\"cong-document+jwt\",\"kid\":\"%s\",\"crit\":[\"x\"]}", CONG_EINVAL},
        {"{\"alg\":\"ES256\",\"typ\":\"cong-document+jwt\",\"kid\":\"%s\",\"kid\":\"%s\"}", CONG_EINVAL},
        {"{\"alg\":\"ES256\",\"typ\":\"cong-document+jwt\",\"kid\":\"%.5s\"}", CONG_EINVAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        char *header = xprintf(cases[i].fmt, kid, kid);
#pragma GCC diagnostic pop
        char *doc = sign_raw(keys[0].pkey, header, RESULT);
        if (verify(ring, doc) != cases[i].want)
            fail_msg("header %s", header);
        free(doc);
        free(header);
    }
    cong_document_ring_release(ring);
}

/* An access token signed with the very key of the ring is not a document, and a document over valid access-token
 * claims is not an access token for the key that signed it. */
static void test_tokens_and_documents_apart(void **state)
{
    (void)state;
    const char claims[] = "{\"iss\":\"https://id.cong.test\",\"aud\":\"cong\",\"sub\":\"s\",\"iat\":1700000000,"
                          "\"exp\":4102444800,\"typ\":\"cong-result\",\"dossier\":\"d\",\"sha256\":\"ab\"}";
    cong_document_ring_t *ring = ring_of(0, 1);
    char *token = NULL;
    assert_int_equal(cong_jwt_sign(keys[0].signer.key, CONG_JWT_ALG_ES256, keys[0].signer.kid, claims, &token), 0);
    assert_int_equal(verify(ring, token), CONG_EINVAL);
    cong_jwt_policy_t policy = {.key = keys[0].signer.key, .issuer = "https://id.cong.test", .audience = "cong"};
    assert_int_equal(cong_jwt_verify(&policy, token, strlen(token), 1700000001, NULL), CONG_JWT_OK); /* control */
    char *doc = sign(&keys[0], claims);
    assert_int_not_equal(cong_jwt_verify(&policy, doc, strlen(doc), 1700000001, NULL), CONG_JWT_OK);
    free(token);
    free(doc);
    cong_document_ring_release(ring);
}

static void test_ring_parse(void **state)
{
    (void)state;
    cong_document_ring_t *ring = NULL;
    assert_int_equal(cong_document_ring_parse("nope", 4, &ring), CONG_EPARSE);
    assert_int_equal(cong_document_ring_parse("{\"keys\":{}}", 11, &ring), CONG_EPARSE);
    assert_null(ring);
    assert_int_equal(cong_document_ring_parse("{\"keys\":[]}", 11, &ring), 0);
    assert_int_equal(cong_document_ring_count(ring), 0);
    assert_string_equal(cong_document_ring_json(ring, NULL), "{\"keys\":[]}");
    cong_document_ring_release(ring);

    /* the same kid twice refuses the whole history (a kid must name one key) */
    char *one = history(0, 1);
    json_t *doc = json_loads(one, 0, NULL);
    json_t *list = json_object_get(doc, "keys");
    json_array_append(list, json_array_get(list, 0));
    char *twice = json_dumps(doc, JSON_COMPACT);
    assert_int_equal(cong_document_ring_parse(twice, strlen(twice), &ring), CONG_EEXIST);
    free(twice);
    /* unusable keys are skipped and counted: a private member, RS256, another curve, a bad kid */
    json_array_remove(list, 1);
    json_t *bad[4];
    for (int i = 0; i < 4; i++) {
        bad[i] = json_deep_copy(json_array_get(list, 0));
        json_object_set_new(bad[i], "kid", json_sprintf("bad-%d", i));
    }
    json_object_set_new(bad[0], "d", json_string("AAAA"));
    json_object_set_new(bad[1], "alg", json_string("RS256"));
    json_object_set_new(bad[2], "crv", json_string("P-384"));
    json_object_set_new(bad[3], "kid", json_string("no spaces"));
    for (int i = 0; i < 4; i++)
        json_array_append_new(list, bad[i]);
    char *mixed = json_dumps(doc, JSON_COMPACT);
    assert_int_equal(cong_document_ring_parse(mixed, strlen(mixed), &ring), 0);
    assert_int_equal(cong_document_ring_count(ring), 1);
    assert_int_equal(cong_document_ring_skipped(ring), 4);
    const char *published = cong_document_ring_json(ring, NULL);
    assert_non_null(strstr(published, keys[0].signer.kid));
    assert_null(strstr(published, "bad-"));
    assert_null(strstr(published, "\"d\""));
    assert_non_null(strstr(published, "\"use\":\"sig\""));
    assert_non_null(strstr(published, "\"alg\":\"ES256\""));
    cong_document_ring_release(ring);
    free(mixed);
    json_decref(doc);

    /* parse_with: the signer is added when the history lacks it, once */
    assert_int_equal(cong_document_ring_parse_with(one, strlen(one), &keys[1].signer, &ring), 0);
    assert_int_equal(cong_document_ring_count(ring), 2);
    char *second = sign(&keys[1], RESULT);
    assert_int_equal(verify(ring, second), 0);
    cong_document_ring_release(ring);
    assert_int_equal(cong_document_ring_parse_with(one, strlen(one), &keys[0].signer, &ring), 0);
    assert_int_equal(cong_document_ring_count(ring), 1);
    cong_document_ring_t *again = cong_document_ring_retain(ring);
    cong_document_ring_release(ring);
    assert_int_equal(cong_document_ring_count(again), 1); /* still held */
    cong_document_ring_release(again);
    free(second);
    free(one);
}

static void test_public_jwk_and_signer(void **state)
{
    (void)state;
    char *jwk = NULL;
    assert_int_equal(cong_document_public_jwk(&keys[0].signer, &jwk), 0);
    json_t *j = json_loads(jwk, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "kid")), keys[0].signer.kid);
    assert_string_equal(json_string_value(json_object_get(j, "kty")), "EC");
    assert_null(json_object_get(j, "d"));
    json_decref(j);
    free(jwk);

    char path[] = "/tmp/cong-document-key-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = 0;
    char *pem = pem_of(keys[2].pkey, 1, &len);
    assert_int_equal(write(fd, pem, len), (ssize_t)len);
    close(fd);
    cong_document_signer_t loaded;
    assert_int_equal(cong_document_signer_load(path, &loaded), 0);
    assert_string_equal(loaded.kid, keys[2].signer.kid);
    cong_document_signer_free(&loaded);
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    free(pem);
    pem = pem_of(rsa, 1, &len);
    FILE *f = fopen(path, "w");
    fwrite(pem, 1, len, f);
    fclose(f);
    assert_int_equal(cong_document_signer_load(path, &loaded), CONG_EINVAL);
    assert_null(loaded.key);
    unlink(path);
    assert_int_not_equal(cong_document_signer_load(path, &loaded), 0);
    free(pem);
    EVP_PKEY_free(rsa);

    cong_document_signer_t fresh;
    assert_int_equal(cong_document_signer_generate(&fresh), 0);
    assert_int_equal(strlen(fresh.kid), CONG_KID_LEN);
    assert_string_not_equal(fresh.kid, keys[0].signer.kid);
    cong_document_signer_free(&fresh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_header),
        cmocka_unit_test(test_verifies_across_rotations),
        cmocka_unit_test(test_header_pinned),
        cmocka_unit_test(test_tokens_and_documents_apart),
        cmocka_unit_test(test_ring_parse),
        cmocka_unit_test(test_public_jwk_and_signer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
