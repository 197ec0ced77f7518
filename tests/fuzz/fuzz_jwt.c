/*
 * tests/fuzz/fuzz_jwt.c — libFuzzer target for auth/: JWT verification, base64url and ES256 signing.
 *
 * Every input is verified as a token under a fixed policy and key (made once, on the first call), and decoded as
 * base64url. Oracles beyond "no crash, no leak":
 *   - a successful verification yields NUL-terminated claim strings;
 *   - whatever decodes as base64url re-encodes to exactly the input (strict, canonical decoding);
 *   - an input that is a JSON object, signed with the fixed key, never fails on the signature, the algorithm or
 *     "crit" when verified.
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

static cong_jwt_key_t *public_key, *private_key;

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
    if (!pkey)
        abort();
    public_key = load(pkey, 0);
    private_key = load(pkey, 1);
    EVP_PKEY_free(pkey);
}

static int terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static cong_jwt_result_t check_verify(const cong_jwt_policy_t *policy, const uint8_t *data, size_t size)
{
    cong_jwt_claims_t c;
    cong_jwt_result_t r = cong_jwt_verify(policy, (const char *)data, size, NOW, &c);
    if (strcmp(cong_jwt_result_name(r), "unknown") == 0)
        abort();
    if (r == CONG_JWT_OK &&
        (!terminated(c.sub, sizeof c.sub) || !terminated(c.sid, sizeof c.sid) ||
         !terminated(c.client_id, sizeof c.client_id) || !terminated(c.act, sizeof c.act) ||
         !terminated(c.scope, sizeof c.scope) || !terminated(c.jti, sizeof c.jti) || c.loa < 0 || c.loa > 2))
        abort();
    return r;
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
        cong_jwt_result_t r = check_verify(policy, (const uint8_t *)token, strlen(token));
        if (r == CONG_JWT_BAD_SIGNATURE || r == CONG_JWT_BAD_ALGORITHM || r == CONG_JWT_UNSUPPORTED)
            abort();
        free(token);
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
    check_base64url(data, size);
    check_sign(&policy, data, size);
    return 0;
}
