/* push/webhook/seal.c — opening an endpoint's sealed secret (seal.h). */
#include "seal.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#define NONCE 12
#define TAG 16
#define TEXT_MAX 128

int webhook_seal_key_parse(const char *text, unsigned char key[WEBHOOK_SEAL_KEY_BYTES])
{
    if (strcspn(text, "\r\n") != 2 * WEBHOOK_SEAL_KEY_BYTES)
        return -1;
    for (size_t i = 0; i < WEBHOOK_SEAL_KEY_BYTES; i++) {
        unsigned int byte;
        char pair[3] = {text[2 * i], text[2 * i + 1], '\0'};
        if (strspn(pair, "0123456789abcdefABCDEF") != 2 || sscanf(pair, "%2x", &byte) != 1)
            return -1;
        key[i] = (unsigned char)byte;
    }
    return 0;
}

int webhook_seal_open(const unsigned char key[WEBHOOK_SEAL_KEY_BYTES], const char *endpoint_id,
                      const unsigned char *sealed, size_t len, webhook_secret_t *out)
{
    webhook_secret_wipe(out);
    if (len <= NONCE + TAG || len - NONCE - TAG > TEXT_MAX)
        return -1;
    size_t text_len = len - NONCE - TAG;
    unsigned char text[TEXT_MAX];
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, fin = 0;
    int ok = ctx != NULL && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, sealed) == 1 &&
             EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)endpoint_id, (int)strlen(endpoint_id)) == 1 &&
             EVP_DecryptUpdate(ctx, text, &n, sealed + NONCE, (int)text_len) == 1 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG, (void *)(sealed + NONCE + text_len)) == 1 &&
             EVP_DecryptFinal_ex(ctx, text + n, &fin) == 1;
    EVP_CIPHER_CTX_free(ctx);
    ok = ok && webhook_secret_parse((const char *)text, text_len, out) == 0;
    OPENSSL_cleanse(text, sizeof text);
    if (!ok)
        webhook_secret_wipe(out);
    return ok ? 0 : -1;
}
