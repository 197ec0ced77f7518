/*
 * auth/refresh_retry.c — sealing a refresh answer under the refresh token presented (contract in refresh_retry.h).
 */
#include "refresh_retry.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "cong/errors.h"

#define NONCE_BYTES 12
#define TAG_BYTES 16
#define KEY_BYTES 32

static int derive_key(const char *refresh_token, unsigned char key[KEY_BYTES])
{
    static const char label[] = "cong refresh retry v1";
    unsigned int n = 0;
    if (refresh_token == NULL || refresh_token[0] == '\0')
        return CONG_EINVAL;
    return HMAC(EVP_sha256(), refresh_token, (int)strlen(refresh_token), (const unsigned char *)label,
                sizeof label - 1, key, &n) != NULL && n == KEY_BYTES
               ? 0
               : CONG_EIO;
}

/* One AES-256-GCM pass over `in` into `out` (same length); the tag is written (seal) or checked (open). */
static int gcm(int seal, const unsigned char key[KEY_BYTES], const unsigned char nonce[NONCE_BYTES], const char *sid,
               const unsigned char *in, size_t len, unsigned char *out, unsigned char tag[TAG_BYTES])
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, ok = ctx != NULL && len <= CONG_REFRESH_RETRY_MAX &&
                    EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce, seal) == 1 &&
                    EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)sid, (int)strlen(sid)) == 1 &&
                    EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1;
    if (ok && !seal)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, tag) == 1;
    ok = ok && EVP_CipherFinal_ex(ctx, out + n, &n) == 1;
    if (ok && seal)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, tag) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 0 : CONG_EINVAL;
}

int cong_refresh_retry_seal(const char *refresh_token, const char *sid, const char *answer, size_t len, char **out)
{
    *out = NULL;
    unsigned char key[KEY_BYTES];
    if (sid == NULL || len > CONG_REFRESH_RETRY_MAX)
        return CONG_EINVAL;
    int rc = derive_key(refresh_token, key);
    if (rc != 0)
        return rc;
    size_t raw_len = NONCE_BYTES + len + TAG_BYTES;
    unsigned char *raw = malloc(raw_len);
    char *text = malloc(cong_b64url_encoded_len(raw_len) + 1);
    rc = raw == NULL || text == NULL ? CONG_ENOMEM : RAND_bytes(raw, NONCE_BYTES) == 1 ? 0 : CONG_EIO;
    if (rc == 0)
        rc = gcm(1, key, raw, sid, (const unsigned char *)answer, len, raw + NONCE_BYTES, raw + NONCE_BYTES + len);
    if (rc == 0) {
        text[cong_b64url_encode(raw, raw_len, text)] = '\0';
        *out = text;
        text = NULL;
    }
    OPENSSL_cleanse(key, sizeof key);
    free(raw);
    free(text);
    return rc;
}

int cong_refresh_retry_open(const char *refresh_token, const char *sid, const char *sealed, size_t sealed_len,
                            char **answer, size_t *len)
{
    *answer = NULL;
    unsigned char key[KEY_BYTES];
    if (sid == NULL || sealed == NULL || sealed_len > cong_b64url_encoded_len(NONCE_BYTES + CONG_REFRESH_RETRY_MAX +
                                                                              TAG_BYTES))
        return CONG_EINVAL;
    int rc = derive_key(refresh_token, key);
    if (rc != 0)
        return rc;
    unsigned char *raw = malloc(sealed_len * 3 / 4 + 1);
    long raw_len = raw != NULL ? cong_b64url_decode(sealed, sealed_len, raw) : -1;
    char *plain = NULL;
    size_t plain_len = 0;
    rc = raw == NULL ? CONG_ENOMEM : CONG_EINVAL;
    if (raw_len >= NONCE_BYTES + TAG_BYTES) {
        plain_len = (size_t)raw_len - NONCE_BYTES - TAG_BYTES;
        plain = malloc(plain_len + 1);
        rc = plain == NULL ? CONG_ENOMEM
                           : gcm(0, key, raw, sid, raw + NONCE_BYTES, plain_len, (unsigned char *)plain,
                                 raw + NONCE_BYTES + plain_len);
    }
    if (rc == 0) {
        plain[plain_len] = '\0';
        *answer = plain;
        *len = plain_len;
    } else if (plain != NULL) {
        OPENSSL_cleanse(plain, plain_len);
        free(plain);
    }
    OPENSSL_cleanse(key, sizeof key);
    free(raw);
    return rc;
}
