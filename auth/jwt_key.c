/*
 * auth/jwt_key.c — loading EC P-256 keys (PEM) for ES256.
 *
 * A key is accepted only if it is EC on the named curve prime256v1 (P-256) with a valid public point: RSA, other
 * curves and explicit curve parameters are refused, so the key pins the algorithm. Encrypted private keys are refused
 * rather than prompting for a passphrase.
 */
#include "jwt_key_internal.h"

#include "cong/module.h"

#include <openssl/bio.h>
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
    if (!pkey || !is_p256(pkey)) {
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
    EVP_PKEY_free(key->pkey);
    free(key);
}
