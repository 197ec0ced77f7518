/*
 * tools/vneid_standin/keys.c — generating, persisting and publishing the provider's P-256 keys.
 *
 * Each key is held twice: as an EVP_PKEY (for the JWK coordinates and the tests' odd signatures) and as a cong
 * signing key loaded from its own PEM (so the ID tokens are made by the same code cong's tests trust).
 */
#include "keys.h"

#include "auth/auth.h"
#include "cong/module.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COORD_BYTES 32
#define B64_32 44 /* 43 characters of base64url for 32 bytes, and a NUL */
#define ES256_SIG_BYTES 64

struct vs_key {
    EVP_PKEY *pkey;
    cong_jwt_key_t *signer;
    char *public_pem; /* the HS256 confusion secret */
    size_t public_pem_len;
    char x[B64_32], y[B64_32], kid[B64_32];
};

static void key_free(vs_key_t *key)
{
    if (!key)
        return;
    EVP_PKEY_free(key->pkey);
    cong_jwt_key_free(key->signer);
    free(key->public_pem);
    free(key);
}

/* The contents of a memory BIO as a malloc'd NUL-terminated string. */
static char *bio_text(BIO *bio, size_t *len)
{
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    char *copy = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (copy) {
        memcpy(copy, data, (size_t)n);
        copy[n] = '\0';
        *len = (size_t)n;
    }
    return copy;
}

/* Loads the private key into auth/ through its PEM, which also checks that it is a valid P-256 key. */
static int load_signer(EVP_PKEY *pkey, cong_jwt_key_t **signer)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio)
        return CONG_ENOMEM;
    int rc = CONG_EIO;
    if (PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) == 1) {
        char *pem;
        long n = BIO_get_mem_data(bio, &pem);
        rc = n > 0 ? cong_jwt_key_load_private_pem(pem, (size_t)n, signer) : CONG_EIO;
        OPENSSL_cleanse(pem, n > 0 ? (size_t)n : 0);
    }
    BIO_free(bio);
    return rc;
}

static int b64_coordinate(EVP_PKEY *pkey, const char *param, char out[B64_32])
{
    BIGNUM *bn = NULL;
    unsigned char raw[COORD_BYTES];
    int ok = EVP_PKEY_get_bn_param(pkey, param, &bn) == 1 && BN_bn2binpad(bn, raw, sizeof raw) == COORD_BYTES;
    BN_free(bn);
    if (ok)
        cong_b64url_encode(raw, sizeof raw, out);
    return ok ? CONG_OK : CONG_EINVAL;
}

/* RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace. */
static void thumbprint(vs_key_t *key)
{
    char canonical[160];
    int n = snprintf(canonical, sizeof canonical, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
                     key->x, key->y);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)canonical, (size_t)n, digest);
    cong_b64url_encode(digest, sizeof digest, key->kid);
}

/* Wraps pkey (taking ownership, even on failure). */
static int key_from_pkey(EVP_PKEY *pkey, vs_key_t **out)
{
    *out = NULL;
    vs_key_t *key = calloc(1, sizeof *key);
    if (!key) {
        EVP_PKEY_free(pkey);
        return CONG_ENOMEM;
    }
    key->pkey = pkey;
    int rc = load_signer(pkey, &key->signer);
    if (rc == CONG_OK)
        rc = b64_coordinate(pkey, OSSL_PKEY_PARAM_EC_PUB_X, key->x);
    if (rc == CONG_OK)
        rc = b64_coordinate(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, key->y);
    if (rc == CONG_OK) {
        BIO *bio = BIO_new(BIO_s_mem());
        if (bio && PEM_write_bio_PUBKEY(bio, pkey) == 1)
            key->public_pem = bio_text(bio, &key->public_pem_len);
        BIO_free(bio);
        rc = key->public_pem ? CONG_OK : CONG_ENOMEM;
    }
    if (rc != CONG_OK) {
        ERR_clear_error();
        key_free(key);
        return rc;
    }
    thumbprint(key);
    *out = key;
    return CONG_OK;
}

static int key_generate(vs_key_t **out)
{
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    if (!pkey) {
        ERR_clear_error();
        *out = NULL;
        return CONG_EIO;
    }
    return key_from_pkey(pkey, out);
}

static int no_passphrase(char *buf, int size, int rwflag, void *udata)
{
    (void)buf, (void)size, (void)rwflag, (void)udata;
    return -1;
}

static int state_path(const char *dir, const char *name, char out[PATH_MAX])
{
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);
    return n > 0 && n < PATH_MAX ? CONG_OK : CONG_EINVAL;
}

/* Loads dir/name; CONG_ENOTFOUND when there is no such file. */
static int key_load(const char *dir, const char *name, vs_key_t **out)
{
    char path[PATH_MAX];
    *out = NULL;
    if (state_path(dir, name, path) != CONG_OK)
        return CONG_EINVAL;
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT ? CONG_ENOTFOUND : CONG_EIO;
    EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL);
    fclose(f);
    if (!pkey) {
        ERR_clear_error();
        fprintf(stderr, "vneid-standin: %s is not a PEM private key\n", path);
        return CONG_EINVAL;
    }
    int rc = key_from_pkey(pkey, out);
    if (rc != CONG_OK)
        fprintf(stderr, "vneid-standin: %s is not an EC P-256 key\n", path);
    return rc;
}

/* Writes the private key to dir/name with mode 0600, through a temporary file and a rename. */
static int key_save(const char *dir, const char *name, const vs_key_t *key)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    if (state_path(dir, name, path) != CONG_OK || snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return CONG_EINVAL;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return CONG_EIO;
    FILE *f = fchmod(fd, 0600) == 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        close(fd);
        unlink(tmp);
        return CONG_EIO;
    }
    int ok = PEM_write_PrivateKey(f, key->pkey, NULL, NULL, 0, NULL, NULL) == 1 && fflush(f) == 0 &&
             fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        ERR_clear_error();
        unlink(tmp);
        return CONG_EIO;
    }
    return CONG_OK;
}

int vs_keyring_open(vs_keyring_t *kr, const char *state_dir)
{
    *kr = (vs_keyring_t){.state_dir = state_dir};
    if (!state_dir)
        return key_generate(&kr->current);
    if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "vneid-standin: cannot create %s: %s\n", state_dir, strerror(errno));
        return CONG_EIO;
    }
    int rc = key_load(state_dir, "current.pem", &kr->current);
    if (rc == CONG_ENOTFOUND) {
        rc = key_generate(&kr->current);
        if (rc == CONG_OK)
            rc = key_save(state_dir, "current.pem", kr->current);
    } else if (rc == CONG_OK) {
        rc = key_load(state_dir, "previous.pem", &kr->previous);
        if (rc == CONG_ENOTFOUND)
            rc = CONG_OK;
    }
    if (rc != CONG_OK)
        vs_keyring_close(kr);
    return rc;
}

void vs_keyring_close(vs_keyring_t *kr)
{
    key_free(kr->current);
    key_free(kr->previous);
    kr->current = kr->previous = NULL;
}

int vs_keyring_rotate(vs_keyring_t *kr)
{
    vs_key_t *next;
    int rc = key_generate(&next);
    if (rc != CONG_OK)
        return rc;
    if (kr->state_dir) {
        char current[PATH_MAX], previous[PATH_MAX], staged[PATH_MAX];
        rc = key_save(kr->state_dir, "next.pem", next);
        if (rc == CONG_OK && (state_path(kr->state_dir, "current.pem", current) != CONG_OK ||
                              state_path(kr->state_dir, "previous.pem", previous) != CONG_OK ||
                              state_path(kr->state_dir, "next.pem", staged) != CONG_OK ||
                              rename(current, previous) != 0 || rename(staged, current) != 0))
            rc = CONG_EIO;
        if (rc != CONG_OK) {
            key_free(next);
            return rc;
        }
    }
    key_free(kr->previous);
    kr->previous = kr->current;
    kr->current = next;
    return CONG_OK;
}

static json_t *jwk(const vs_key_t *key)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-256", "x", key->x, "y", key->y,
                     "kid", key->kid, "use", "sig", "alg", "ES256");
}

json_t *vs_keyring_jwks(const vs_keyring_t *kr)
{
    json_t *keys = json_array();
    if (!keys || json_array_append_new(keys, jwk(kr->current)) != 0 ||
        (kr->previous && json_array_append_new(keys, jwk(kr->previous)) != 0)) {
        json_decref(keys);
        return NULL;
    }
    return json_pack("{s:o}", "keys", keys);
}

const char *vs_key_kid(const vs_key_t *key)
{
    return key->kid;
}

/* ES256 as JOSE wants it: R||S, two 32-byte big-endian integers (OpenSSL gives DER). */
static int es256_rs(EVP_PKEY *pkey, const char *msg, size_t len, unsigned char rs[ES256_SIG_BYTES])
{
    unsigned char der[80];
    size_t der_len = sizeof der;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
             EVP_DigestSign(md, der, &der_len, (const unsigned char *)msg, len) == 1;
    EVP_MD_CTX_free(md);
    const unsigned char *p = der;
    ECDSA_SIG *sig = ok ? d2i_ECDSA_SIG(NULL, &p, (long)der_len) : NULL;
    if (sig) {
        const BIGNUM *r, *s;
        ECDSA_SIG_get0(sig, &r, &s);
        ok = BN_bn2binpad(r, rs, 32) == 32 && BN_bn2binpad(s, rs + 32, 32) == 32;
        ECDSA_SIG_free(sig);
    } else {
        ok = 0;
    }
    ERR_clear_error();
    return ok ? CONG_OK : CONG_EIO;
}

/* The JWS signature of msg under alg; *len is 0 for "none". */
static int sign_as(const vs_key_t *key, const char *alg, const char *msg, size_t n, unsigned char sig[ES256_SIG_BYTES],
                   size_t *len)
{
    *len = 0;
    if (strcmp(alg, "none") == 0)
        return CONG_OK;
    if (strcmp(alg, "HS256") == 0) {
        unsigned int mac_len = 0;
        if (!HMAC(EVP_sha256(), key->public_pem, (int)key->public_pem_len, (const unsigned char *)msg, n, sig,
                  &mac_len))
            return CONG_EIO;
        *len = mac_len;
        return CONG_OK;
    }
    *len = ES256_SIG_BYTES;
    return es256_rs(key->pkey, msg, n, sig);
}

static int sign_custom(const vs_key_t *key, const char *alg, const char *kid, const json_t *extra_header,
                       const char *claims_json, char **out)
{
    json_t *header = json_is_object(extra_header) ? json_deep_copy(extra_header) : json_object();
    json_t *claims = json_loads(claims_json, JSON_REJECT_DUPLICATES, NULL);
    char *head = NULL, *body = NULL, *token = NULL;
    int rc = CONG_EINVAL;
    if (!header || !json_is_object(claims) || json_object_set_new(header, "alg", json_string(alg)) != 0 ||
        (kid && json_object_set_new(header, "kid", json_string(kid)) != 0) ||
        (!json_object_get(header, "typ") && json_object_set_new(header, "typ", json_string("JWT")) != 0))
        goto out;
    rc = CONG_ENOMEM;
    head = json_dumps(header, JSON_COMPACT);
    body = json_dumps(claims, JSON_COMPACT);
    if (!head || !body)
        goto out;
    size_t head_len = strlen(head), body_len = strlen(body);
    token = malloc(cong_b64url_encoded_len(head_len) + 1 + cong_b64url_encoded_len(body_len) + 1 +
                   cong_b64url_encoded_len(ES256_SIG_BYTES) + 1);
    if (!token)
        goto out;
    size_t n = cong_b64url_encode((const unsigned char *)head, head_len, token);
    token[n++] = '.';
    n += cong_b64url_encode((const unsigned char *)body, body_len, token + n);
    unsigned char sig[ES256_SIG_BYTES];
    size_t sig_len;
    rc = sign_as(key, alg, token, n, sig, &sig_len);
    if (rc != CONG_OK)
        goto out;
    token[n++] = '.';
    cong_b64url_encode(sig, sig_len, token + n);
    *out = token;
    token = NULL;
out:
    free(token);
    free(head);
    free(body);
    json_decref(header);
    json_decref(claims);
    return rc;
}

int vs_key_sign(const vs_key_t *key, const char *alg, const char *kid, const json_t *extra_header,
                const char *claims_json, char **out)
{
    *out = NULL;
    if (!alg && !extra_header)
        return cong_jwt_sign_es256(key->signer, kid, claims_json, out);
    return sign_custom(key, alg ? alg : "ES256", kid, extra_header, claims_json, out);
}
