/*
 * tests/fuzz/fuzz_jwt.c — libFuzzer target for auth/: JWT verification (one key and a keyset), base64url, and
 * ES256/RS256/PS256 signing.
 *
 * Every input is verified as a token under a fixed policy, both with the fixed EC key and against a fixed keyset
 * ("fuzz": that EC key, ES256; "fuzz-rs" and "fuzz-ps": one RSA key pinned to RS256 and to PS256), and decoded as
 * base64url. Keys and keyset are made once, on the first call. Oracles beyond "no crash, no leak":
 *   - a successful verification yields NUL-terminated claim strings, and an actor only with a mandate (not oneself);
 *   - whatever decodes as base64url re-encodes to exactly the input (strict, canonical decoding);
 *   - an input that is a JSON object, signed with a fixed key (the algorithm chosen by the input's length), never
 *     fails on the signature, the algorithm, the kid or "crit" when verified.
 */
#include "auth/auth.h"
#include "cong/module.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1760000000LL
#define MAX_SIGN_INPUT 4096

static cong_jwt_key_t *public_key, *private_key, *rsa_private_key;
static cong_jwks_t *keyset;

static cong_jwt_key_t *load(EVP_PKEY *pkey, int private)
{
    BIO *bio = BIO_new(BIO_s_mem());
    cong_jwt_key_t *key = NULL;
    char *pem;
    if (!bio)
        abort();
    int ok = private ? PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) : PEM_write_bio_PUBKEY(bio, pkey);
    long len = BIO_get_mem_data(bio, &pem);
    int rc = private ? cong_jwt_key_load_private_pem(pem, (size_t)len, &key)
                     : cong_jwt_key_load_public_pem(pem, (size_t)len, &key);
    BIO_free(bio);
    if (ok != 1 || rc != CONG_OK)
        abort();
    return key;
}

static void init_keys(void)
{
    if (public_key)
        return;
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    if (!pkey || !rsa)
        abort();
    public_key = load(pkey, 0);
    private_key = load(pkey, 1);
    rsa_private_key = load(rsa, 1);
    EVP_PKEY_free(pkey);
    EVP_PKEY_free(rsa);
    const cong_jwt_key_t *keys[] = {public_key, rsa_private_key, rsa_private_key};
    const char *kids[] = {"fuzz", "fuzz-rs", "fuzz-ps"};
    const cong_jwt_alg_t algs[] = {CONG_JWT_ALG_ES256, CONG_JWT_ALG_RS256, CONG_JWT_ALG_PS256};
    char *doc = NULL;
    if (cong_jwks_public_json(keys, 3, kids, algs, &doc) != CONG_OK ||
        cong_jwks_parse(doc, strlen(doc), &keyset) != CONG_OK)
        abort();
    free(doc);
}

static int terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static void check_result(cong_jwt_result_t r, const cong_jwt_claims_t *c)
{
    if (strcmp(cong_jwt_result_name(r), "unknown") == 0)
        abort();
    if (r == CONG_JWT_OK &&
        (!terminated(c->sub, sizeof c->sub) || !terminated(c->sid, sizeof c->sid) ||
         !terminated(c->client_id, sizeof c->client_id) || !terminated(c->act, sizeof c->act) ||
         !terminated(c->scope, sizeof c->scope) || !terminated(c->jti, sizeof c->jti) ||
         !terminated(c->nonce, sizeof c->nonce) || c->loa < 0 || c->loa > 2 ||
         !terminated(c->mandate_id, sizeof c->mandate_id) ||
         !terminated(c->mandate_procedures, sizeof c->mandate_procedures) ||
         !terminated(c->mandate_domains, sizeof c->mandate_domains) || c->mandate_actions > 31 ||
         /* acting for someone: only under a mandate, never for oneself */
         ((c->act[0] != '\0') != (c->mandate_id[0] != '\0')) || (c->act[0] && strcmp(c->act, c->sub) == 0)))
        abort();
}

static cong_jwt_result_t check_verify(const cong_jwt_policy_t *policy, const uint8_t *data, size_t size)
{
    cong_jwt_claims_t c;
    cong_jwt_result_t r = cong_jwt_verify(policy, (const char *)data, size, NOW, &c);
    check_result(r, &c);
    return r;
}

static cong_jwt_result_t check_verify_keyset(const cong_jwt_policy_t *policy, const uint8_t *data, size_t size)
{
    cong_jwt_claims_t c;
    cong_jwt_result_t r = cong_jwt_verify_keyset(policy, keyset, (const char *)data, size, NOW, &c);
    check_result(r, &c);
    return r;
}

static int signing_failure(cong_jwt_result_t r)
{
    return r == CONG_JWT_BAD_SIGNATURE || r == CONG_JWT_BAD_ALGORITHM || r == CONG_JWT_UNSUPPORTED ||
           r == CONG_JWT_UNKNOWN_KEY;
}

static void check_base64url(const uint8_t *data, size_t size)
{
    unsigned char *dec = malloc(size * 3 / 4 + 1);
    if (!dec)
        return;
    long n = cong_b64url_decode((const char *)data, size, dec);
    if (n >= 0) {
        char *enc = malloc(cong_b64url_encoded_len((size_t)n) + 1);
        if (enc) {
            size_t e = cong_b64url_encode(dec, (size_t)n, enc);
            if (e != size || memcmp(enc, data, size) != 0)
                abort();
            free(enc);
        }
    }
    free(dec);
}

static void check_sign(const cong_jwt_policy_t *policy, const uint8_t *data, size_t size)
{
    if (size == 0 || data[0] != '{' || size > MAX_SIGN_INPUT)
        return;
    char *text = malloc(size + 1);
    if (!text)
        return;
    memcpy(text, data, size);
    text[size] = '\0';
    char *token = NULL;
    if (cong_jwt_sign_es256(private_key, "fuzz", text, &token) == CONG_OK) {
        if (signing_failure(check_verify(policy, (const uint8_t *)token, strlen(token))) ||
            signing_failure(check_verify_keyset(policy, (const uint8_t *)token, strlen(token))))
            abort();
        free(token);
    }
    /* RSA signing costs a millisecond: one input in eight. */
    if (size % 8 == 1 || size % 8 == 2) {
        cong_jwt_alg_t alg = size % 8 == 1 ? CONG_JWT_ALG_RS256 : CONG_JWT_ALG_PS256;
        if (cong_jwt_sign(rsa_private_key, alg, alg == CONG_JWT_ALG_RS256 ? "fuzz-rs" : "fuzz-ps", text, &token) ==
            CONG_OK) {
            if (signing_failure(check_verify_keyset(policy, (const uint8_t *)token, strlen(token))))
                abort();
            free(token);
        }
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init_keys();
    cong_jwt_policy_t policy = {
        .key = public_key, .issuer = "https://id.example.vn", .audience = "cong", .clock_skew_s = 60,
    };
    check_verify(&policy, data, size);
    check_verify_keyset(&policy, data, size);
    check_base64url(data, size);
    check_sign(&policy, data, size);
    return 0;
}
