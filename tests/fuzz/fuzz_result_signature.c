/*
 * tests/fuzz/fuzz_result_signature.c — libFuzzer target for auth/signed_document.c and auth/document_ring.c: the signed
 * electronic results anyone may post to POST /v1/results/verify (cong_document_verify against the ring of every
 * document key cong has used), and their signing (cong_document_sign).
 *
 * The ring is built once, on the first call, the way the gateway builds it from its history (the JWKS of a current and
 * a previous document key, two fixed test keys written below), so that the corpus can hold documents genuinely signed
 * by them. A third, random "stranger" key signs documents that claim cong's kids.
 *
 * Every input is used four ways. Oracles beyond "no crash, no leak":
 *   - verified as a document: the result is 0 or CONG_EINVAL; when it verifies, the payload is NUL-terminated and is
 *     byte for byte one of SIGNED_PAYLOADS below, the only payloads the corpus' genuine documents were signed over
 *     (a forgery, or anything verifying over bytes cong never signed, aborts);
 *   - a bit index (first two bytes) over one of three fixed valid documents (current key, previous key, a Vietnamese
 *     payload): that document with the bit flipped, truncated there, or with that byte replaced by the third input
 *     byte never verifies, while the document itself always does;
 *   - a JSON object input (at most 4 KiB) signed with cong's document key always verifies, to exactly its compact
 *     form;
 *   - the same object signed by the stranger key under cong's current or previous kid, or by the previous key under
 *     the current kid, never verifies; nor does it when signed as a JWT (typ "JWT") by cong's own current key: the
 *     "typ" keeps access tokens and documents apart even over one key. And a document carrying valid access-token
 *     claims never passes cong_jwt_verify with the key that signed it.
 */
#include "auth/auth.h"
#include "auth/identity.h"
#include "auth/signed_document.h"
#include "cong/module.h"

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SIGN_INPUT 4096

/* Test-only keys (generated for this fuzzer with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`);
 * they sign nothing but the corpus. */
static const char CURRENT_KEY_PEM[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgF866hL5ZsY5ewxGC\n"
    "9tZzWkS8UO2aGoxfEeK+m7VzX6KhRANCAAQagfXeWtZMnRwD0ZqnU/kym7cQ6Kke\n"
    "bU0aHWjLb5sgSOxyCh4q2gs2hx8z9YCCLrK/M7WbarM9DOFed/5lQBEy\n"
    "-----END PRIVATE KEY-----\n";
static const char PREVIOUS_KEY_PEM[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgKAAR/56j0LB1Zp6f\n"
    "DiOWTOq9hWexKjP58mHxmccwoN+hRANCAASFFCxMYngXZMvH44RJZGU3nX+v+8OV\n"
    "iSaQCQX798A0ycO4sXX3gpjTZGnNcIqwfakQ/xCV6v/z4Kii13ahA9ry\n"
    "-----END PRIVATE KEY-----\n";

/* The payloads cong's test keys have signed, in their compact form (what cong_document_sign signs). The
 * corpus' genuine documents are signed over these; documents that must not verify carry other payloads. */
static const char *const SIGNED_PAYLOADS[] = {
    "{\"typ\":\"cong-result\",\"dossier\":\"HS-2026-000123\",\"sha256\":"
    "\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\",\"media_type\":\"application/pdf\","
    "\"issued_at\":\"2026-11-02T08:15:00Z\"}",
    "{\"typ\":\"cong-result\",\"dossier\":\"HS-2026-004711\",\"sha256\":"
    "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"media_type\":\"image/jpeg\","
    "\"issued_at\":\"2026-12-31T23:59:59Z\"}",
    "{\"typ\":\"cong-result\",\"dossier\":\"HS-2025-999999\",\"sha256\":"
    "\"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae\",\"media_type\":\"application/pdf\","
    "\"issued_at\":\"2025-01-01T00:00:00Z\",\"ghi_chu\":\"Giấy khai sinh — bản sao điện tử, Phường Hoàn Kiếm\"}",
    "{}",
    "{\"a\":[1,2.5,true,null,{\"b\":\"\\u0001\\\"\\\\\"}]}",
};
#define N_SIGNED (sizeof SIGNED_PAYLOADS / sizeof SIGNED_PAYLOADS[0])

static cong_document_ring_t *ring;  /* what the gateway verifies with: current + previous key */
static cong_document_signer_t current, previous;
static cong_document_signer_t stranger; /* another P-256 key claiming cong's kid */
static char *fixed_docs[3];
static int ready;

static void load_signer(const char *pem, cong_document_signer_t *s)
{
    if (cong_jwt_key_load_private_pem(pem, strlen(pem), &s->key) != CONG_OK ||
        cong_jwt_key_kind(s->key) != CONG_JWT_KEY_EC_P256 || cong_jwt_key_id(s->key, s->kid) != 0)
        abort();
}

/* Signs and checks that it verifies (with the ring) to exactly `payload`, or does not verify at all (`expect` 0). */
static char *sign_checked(const cong_document_signer_t *signer, const char *payload, int expect)
{
    char *doc = NULL, *out = NULL;
    size_t out_len = 0;
    if (cong_document_sign(signer, payload, &doc) != 0 || doc == NULL)
        abort();
    int rc = cong_document_verify(ring, doc, strlen(doc), &out, &out_len);
    if (expect ? rc != 0 || out_len != strlen(payload) || strcmp(out, payload) != 0 : rc != CONG_EINVAL || out != NULL)
        abort();
    free(out);
    return doc;
}

/* A document over valid access-token claims is still not an access token for the key that signed it. */
static void check_document_is_no_token(void)
{
    static const char claims[] = "{\"iss\":\"https://id.cong.test\",\"aud\":\"cong\",\"sub\":\"s\","
                                 "\"iat\":1700000000,\"exp\":4102444800}";
    char *doc = NULL, *token = NULL;
    cong_jwt_policy_t policy = {.key = current.key, .issuer = "https://id.cong.test", .audience = "cong"};
    if (cong_document_sign(&current, claims, &doc) != 0 ||
        cong_jwt_sign(current.key, CONG_JWT_ALG_ES256, current.kid, claims, &token) != 0 ||
        cong_jwt_verify(&policy, token, strlen(token), 1700000001, NULL) != CONG_JWT_OK || /* the control */
        cong_jwt_verify(&policy, doc, strlen(doc), 1700000001, NULL) == CONG_JWT_OK)
        abort();
    free(doc);
    free(token);
}

static void init(void)
{
    if (ready)
        return;
    ready = 1;
    load_signer(CURRENT_KEY_PEM, &current);
    load_signer(PREVIOUS_KEY_PEM, &previous);
    /* As the gateway builds it from the history (gateway/host/document_keys.c). */
    const cong_jwt_key_t *keys[2] = {current.key, previous.key};
    const char *kids[2] = {current.kid, previous.kid};
    char *jwks = NULL;
    if (cong_jwks_public_json(keys, 2, kids, NULL, &jwks) != 0 ||
        cong_document_ring_parse(jwks, strlen(jwks), &ring) != 0 || cong_document_ring_count(ring) != 2)
        abort();
    free(jwks);
    if (cong_document_signer_generate(&stranger) != 0)
        abort();
    memcpy(stranger.kid, current.kid, sizeof stranger.kid);

    /* No ring: CONG_ENOTFOUND, never a verification. */
    char *out = NULL;
    size_t out_len = 0;
    if (cong_document_verify(NULL, "a.b.c", 5, &out, &out_len) != CONG_ENOTFOUND || out != NULL)
        abort();

    /* Every payload round-trips through both of cong's keys; the stranger's documents never verify. */
    for (size_t i = 0; i < N_SIGNED; i++) {
        free(sign_checked(&current, SIGNED_PAYLOADS[i], 1));
        free(sign_checked(&previous, SIGNED_PAYLOADS[i], 1));
        free(sign_checked(&stranger, SIGNED_PAYLOADS[i], 0));
    }
    fixed_docs[0] = sign_checked(&current, SIGNED_PAYLOADS[0], 1);
    fixed_docs[1] = sign_checked(&previous, SIGNED_PAYLOADS[1], 1);
    fixed_docs[2] = sign_checked(&current, SIGNED_PAYLOADS[2], 1);
    check_document_is_no_token();
}

static int known_payload(const char *payload, size_t len)
{
    for (size_t i = 0; i < N_SIGNED; i++)
        if (strlen(SIGNED_PAYLOADS[i]) == len && memcmp(SIGNED_PAYLOADS[i], payload, len) == 0)
            return 1;
    return 0;
}

/* The input as a posted document: it verifies only if it is one of the corpus' genuine documents. */
static void check_verify(const uint8_t *data, size_t size)
{
    char *payload = NULL;
    size_t payload_len = 0;
    int rc = cong_document_verify(ring, (const char *)data, size, &payload, &payload_len);
    if (rc == 0) {
        if (payload == NULL || payload[payload_len] != '\0' || !known_payload(payload, payload_len))
            abort(); /* verified over bytes cong's keys never signed */
        free(payload);
    } else if (rc != CONG_EINVAL || payload != NULL) {
        abort();
    }
}

static int verifies(const char *doc, size_t len)
{
    char *payload = NULL;
    size_t payload_len = 0;
    int rc = cong_document_verify(ring, doc, len, &payload, &payload_len);
    free(payload);
    return rc == 0;
}

/* A fixed valid document, damaged at the bit the input names: flipped, cut there, or that byte replaced. */
static void check_tamper(const uint8_t *data, size_t size)
{
    if (size < 2)
        return;
    const char *doc = fixed_docs[size % 3];
    size_t len = strlen(doc);
    size_t bit = ((size_t)data[0] | (size_t)data[1] << 8) % (len * 8);
    char *copy = malloc(len);
    if (!copy)
        return;
    memcpy(copy, doc, len);
    if (!verifies(copy, len))
        abort();
    copy[bit / 8] ^= (char)(1u << bit % 8);
    if (verifies(copy, len))
        abort();
    copy[bit / 8] = doc[bit / 8];
    if (verifies(copy, bit / 8)) /* a strict prefix */
        abort();
    if (size >= 3 && (char)data[2] != doc[bit / 8]) {
        copy[bit / 8] = (char)data[2];
        if (verifies(copy, len))
            abort();
    }
    free(copy);
}

/* A JSON object cong signs verifies to its compact form; the same object signed by the stranger never does. */
static void check_sign(const uint8_t *data, size_t size)
{
    if (size == 0 || size > MAX_SIGN_INPUT || memchr(data, '\0', size) != NULL)
        return;
    json_t *obj = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return;
    }
    char *text = malloc(size + 1);
    char *compact = json_dumps(obj, JSON_COMPACT);
    if (!text || !compact)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    char *doc = NULL, *payload = NULL;
    size_t payload_len = 0;
    if (cong_document_sign(&current, text, &doc) != 0 ||
        cong_document_verify(ring, doc, strlen(doc), &payload, &payload_len) != 0 ||
        payload_len != strlen(compact) || memcmp(payload, compact, payload_len) != 0)
        abort();
    free(doc);
    free(payload);
    /* Forgeries: the stranger's key under the current kid or the previous kid, or the previous key under the current
     * kid (a genuine cong key, but not the one the header names). */
    cong_document_signer_t claim = {0};
    claim.key = size % 3 == 2 ? previous.key : stranger.key;
    memcpy(claim.kid, size % 3 == 1 ? previous.kid : current.kid, sizeof claim.kid);
    if (cong_document_sign(&claim, text, &doc) != 0 || verifies(doc, strlen(doc)))
        abort();
    free(doc);
    /* The object as a JWT (typ "JWT") under cong's own current key and kid: a token is never a document. */
    if (cong_jwt_sign(current.key, CONG_JWT_ALG_ES256, current.kid, text, &doc) != 0 || verifies(doc, strlen(doc)))
        abort();
    free(doc);
    free(text);
    free(compact);
    json_decref(obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init();
    check_verify(data, size);
    check_tamper(data, size);
    check_sign(data, size);
    return 0;
}
