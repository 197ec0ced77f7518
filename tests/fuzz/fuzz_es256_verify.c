/*
 * tests/fuzz/fuzz_es256_verify.c — libFuzzer target for auth/es256_verify.c, the ES256 verification that uses a
 * precomputed table per key. The oracle is OpenSSL's EVP verification: on every input both must agree (abort if not).
 *
 * Input: bytes 0..63 are a mask, the rest a message (both may be short; missing bytes are zero).
 *   1. the mask itself as a JOSE R||S signature over SHA-256(message): almost always invalid, and a way to reach
 *      r or s = 0, = n, >= n, all ones;
 *   2. a genuine signature of the message by the test key XOR the mask: all-zero mask → must verify (and does, in
 *      both), any other mask is a chosen corruption of a valid signature;
 *   3. the genuine signature checked by a second key (the table of another point): never verifies;
 *   4. the first 32 mask bytes as a number a: cong_es256_inverse_mod_order(a) equals BN_mod_inverse(a, n), and
 *      refuses exactly 0 and a >= n.
 */
#include "auth/jwt_key_internal.h"
#include "cong/module.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIG CONG_ES256_SIG_BYTES
#define HALF (SIG / 2)

/* Test-only keys, generated for this fuzzer; they sign nothing but its inputs. */
static const char KEY_PEM[] = "-----BEGIN PRIVATE KEY-----\n"
                              "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgF866hL5ZsY5ewxGC\n"
                              "9tZzWkS8UO2aGoxfEeK+m7VzX6KhRANCAAQagfXeWtZMnRwD0ZqnU/kym7cQ6Kke\n"
                              "bU0aHWjLb5sgSOxyCh4q2gs2hx8z9YCCLrK/M7WbarM9DOFed/5lQBEy\n"
                              "-----END PRIVATE KEY-----\n";
static const char OTHER_KEY_PEM[] = "-----BEGIN PRIVATE KEY-----\n"
                                    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgKAAR/56j0LB1Zp6f\n"
                                    "DiOWTOq9hWexKjP58mHxmccwoN+hRANCAASFFCxMYngXZMvH44RJZGU3nX+v+8OV\n"
                                    "iSaQCQX798A0ycO4sXX3gpjTZGnNcIqwfakQ/xCV6v/z4Kii13ahA9ry\n"
                                    "-----END PRIVATE KEY-----\n";

static cong_jwt_key_t *key, *other_key;
static EVP_PKEY *signer;

static void init(void)
{
    if (key)
        return;
    BIO *bio = BIO_new_mem_buf(KEY_PEM, -1);
    signer = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!signer || cong_jwt_key_load_private_pem(KEY_PEM, strlen(KEY_PEM), &key) != CONG_OK ||
        cong_jwt_key_load_private_pem(OTHER_KEY_PEM, strlen(OTHER_KEY_PEM), &other_key) != CONG_OK)
        abort();
}

static int evp_verify(const cong_jwt_key_t *k, const unsigned char digest[32], const unsigned char rs[SIG])
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(rs, HALF, NULL), *s = BN_bin2bn(rs + HALF, HALF, NULL);
    if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1)
        abort();
    unsigned char *der = NULL;
    int der_len = i2d_ECDSA_SIG(sig, &der);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k->pkey, NULL);
    if (der_len <= 0 || !ctx || EVP_PKEY_verify_init(ctx) != 1)
        abort();
    int ok = EVP_PKEY_verify(ctx, der, (size_t)der_len, digest, 32) == 1;
    EVP_PKEY_CTX_free(ctx);
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    ERR_clear_error();
    return ok;
}

static void sign_digest(const unsigned char digest[32], unsigned char rs[SIG])
{
    unsigned char der[80];
    size_t der_len = sizeof der;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(signer, NULL);
    if (!ctx || EVP_PKEY_sign_init(ctx) != 1 || EVP_PKEY_sign(ctx, der, &der_len, digest, 32) != 1)
        abort();
    EVP_PKEY_CTX_free(ctx);
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (!sig || BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, HALF) != HALF ||
        BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + HALF, HALF) != HALF)
        abort();
    ECDSA_SIG_free(sig);
}

/* Both verifiers agree on (k, digest, rs); returns their answer. */
static int agreed(const cong_jwt_key_t *k, const unsigned char digest[32], const unsigned char rs[SIG])
{
    int tabled = cong_es256_verify(k, digest, rs), reference = evp_verify(k, digest, rs);
    if (tabled != reference) {
        fprintf(stderr, "es256 table verify says %d, EVP says %d\n", tabled, reference);
        abort();
    }
    return tabled;
}

static void check_inverse(const unsigned char a_be[32])
{
    static EC_GROUP *group;
    static BN_CTX *ctx;
    if (!group && (!(group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1)) || !(ctx = BN_CTX_new())))
        abort();
    const BIGNUM *n = EC_GROUP_get0_order(group);
    BIGNUM *a = BN_bin2bn(a_be, 32, NULL), *want = BN_new();
    unsigned char got[32], want_be[32];
    int rc = cong_es256_inverse_mod_order(a_be, got);
    int in_range = !BN_is_zero(a) && BN_cmp(a, n) < 0;
    if (rc != in_range)
        abort();
    if (in_range && (!BN_mod_inverse(want, a, n, ctx) || BN_bn2binpad(want, want_be, 32) != 32 ||
                     memcmp(got, want_be, 32) != 0))
        abort();
    BN_free(a);
    BN_free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init();
    unsigned char mask[SIG] = {0}, digest[32], rs[SIG];
    size_t mask_len = size < SIG ? size : SIG;
    memcpy(mask, data, mask_len);
    SHA256(data + mask_len, size - mask_len, digest);

    agreed(key, digest, mask); /* 1 */

    sign_digest(digest, rs); /* 2 */
    int untouched = 1;
    for (int i = 0; i < SIG; i++) {
        untouched &= mask[i] == 0;
        rs[i] ^= mask[i];
    }
    int valid = agreed(key, digest, rs);
    if (untouched && !valid)
        abort();

    if (untouched && agreed(other_key, digest, rs)) /* 3 */
        abort();

    check_inverse(mask); /* 4 */
    return 0;
}
