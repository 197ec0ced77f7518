/*
 * auth/jwt_key.c — loading keys (PEM): EC P-256 public keys for ES256, and EC P-256 or RSA private keys for signing.
 *
 * An EC key is accepted only on the named curve prime256v1 (P-256) with a valid public point: other curves and
 * explicit curve parameters are refused. An RSA key needs 2048..8192 bits and an odd public exponent; public RSA PEMs
 * are refused (provider RSA keys come from a JWKS, which says RS256 or PS256). Each key pins the algorithm it
 * verifies: ES256, or RS256 for an RSA private key. Encrypted private keys are refused rather than prompting for a
 * passphrase.
 */
#include "jwt_key_internal.h"

#include "cong/errors.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include <stdio.h>
#include <stdlib.h>

#define PEM_MAX_BYTES (64 * 1024)

/* Passphrase callback: there is none, so an encrypted key fails to load instead of reading the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *udata)
{
    (void)buf, (void)size, (void)rwflag, (void)udata;
    return -1;
}

static int is_p256(EVP_PKEY *pkey)
{
    char name[64];
    size_t n = 0;
    if (!EVP_PKEY_is_a(pkey, "EC") || EVP_PKEY_get_group_name(pkey, name, sizeof name, &n) != 1)
        return 0;
    int nid = OBJ_sn2nid(name);
    if (nid == NID_undef)
        nid = EC_curve_nist2nid(name);
    if (nid != NID_X9_62_prime256v1)
        return 0;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    int ok = ctx && EVP_PKEY_public_check(ctx) == 1;
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

/* Size and exponent only: OpenSSL's full RSA public check (a primality test on n) costs milliseconds per key and adds
 * nothing for verification, where a bad modulus simply verifies nothing. */
static int is_usable_rsa(EVP_PKEY *pkey)
{
    if (!EVP_PKEY_is_a(pkey, "RSA"))
        return 0; /* RSA-PSS keys with restrictions are refused too */
    int bits = EVP_PKEY_get_bits(pkey);
    if (bits < CONG_RSA_MIN_BITS || bits > CONG_RSA_MAX_BITS)
        return 0;
    BIGNUM *n = NULL, *e = NULL;
    int ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
             EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) == 1 && BN_is_odd(n) && BN_is_odd(e) &&
             !BN_is_one(e) && BN_num_bits(e) <= 64;
    BN_free(n);
    BN_free(e);
    return ok;
}

cong_jwt_key_kind_t cong_jwt_pkey_kind(EVP_PKEY *pkey)
{
    if (!pkey)
        return 0;
    if (is_p256(pkey))
        return CONG_JWT_KEY_EC_P256;
    if (is_usable_rsa(pkey))
        return CONG_JWT_KEY_RSA;
    return 0;
}

static int load_pem(const char *pem, size_t len, int private, cong_jwt_key_t **out)
{
    if (!out)
        return CONG_EINVAL;
    *out = NULL;
    if (!pem || len == 0 || len > PEM_MAX_BYTES)
        return CONG_EINVAL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return CONG_ENOMEM;
    EVP_PKEY *pkey = private ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)
                            : PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    cong_jwt_key_kind_t kind = cong_jwt_pkey_kind(pkey);
    if (kind == 0 || (!private && kind != CONG_JWT_KEY_EC_P256)) {
        EVP_PKEY_free(pkey);
        ERR_clear_error();
        return CONG_EINVAL;
    }
    struct cong_jwt_key *key = calloc(1, sizeof *key);
    if (!key) {
        EVP_PKEY_free(pkey);
        return CONG_ENOMEM;
    }
    key->pkey = pkey;
    key->has_private = private;
    key->kind = kind;
    key->alg = kind == CONG_JWT_KEY_EC_P256 ? CONG_JWT_ALG_ES256 : CONG_JWT_ALG_RS256;
    *out = key;
    return CONG_OK;
}

/* Reads a whole (small) file into a malloc'd buffer. */
static int read_small_file(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rbe");
    if (!f)
        return CONG_EIO;
    char *b = malloc(PEM_MAX_BYTES + 1);
    if (!b) {
        fclose(f);
        return CONG_ENOMEM;
    }
    size_t n = fread(b, 1, PEM_MAX_BYTES + 1, f);
    int err = ferror(f);
    fclose(f);
    if (err || n > PEM_MAX_BYTES) {
        OPENSSL_cleanse(b, n);
        free(b);
        return err ? CONG_EIO : CONG_EINVAL;
    }
    *buf = b;
    *len = n;
    return CONG_OK;
}

static int load_file(const char *path, int private, cong_jwt_key_t **out)
{
    if (!out)
        return CONG_EINVAL;
    *out = NULL;
    if (!path)
        return CONG_EINVAL;
    char *pem;
    size_t len;
    int rc = read_small_file(path, &pem, &len);
    if (rc != CONG_OK)
        return rc;
    rc = load_pem(pem, len, private, out);
    OPENSSL_cleanse(pem, len);
    free(pem);
    return rc;
}

int cong_jwt_key_load_public_pem(const char *pem, size_t len, cong_jwt_key_t **out)
{
    return load_pem(pem, len, 0, out);
}

int cong_jwt_key_load_public_file(const char *path, cong_jwt_key_t **out)
{
    return load_file(path, 0, out);
}

int cong_jwt_key_load_private_pem(const char *pem, size_t len, cong_jwt_key_t **out)
{
    return load_pem(pem, len, 1, out);
}

int cong_jwt_key_load_private_file(const char *path, cong_jwt_key_t **out)
{
    return load_file(path, 1, out);
}

void cong_jwt_key_free(cong_jwt_key_t *key)
{
    if (!key)
        return;
    cong_es256_table_free(key);
    EVP_PKEY_free(key->pkey);
    free(key);
}

cong_jwt_key_kind_t cong_jwt_key_kind(const cong_jwt_key_t *key)
{
    return key ? key->kind : 0;
}

cong_jwt_alg_t cong_jwt_key_alg(const cong_jwt_key_t *key)
{
    return key ? key->alg : 0;
}

int cong_jwt_key_is_private(const cong_jwt_key_t *key)
{
    return key && key->has_private;
}
