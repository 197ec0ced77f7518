/*
 * modules/orgs — an endpoint's signing secret: made here (OpenSSL's CSPRNG) and sealed for the database with
 * AES-256-GCM under modules.orgs.webhook_key_file (orgs.h, "Webhooks"). The deliverer opens it with the same layout
 * (push/webhook/seal.h: nonce | ciphertext | tag, the endpoint id as additional data); tests/unit/orgs checks that
 * what this file seals the worker's side opens. Pure but for the random bytes.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "orgs.h"

int orgs_webhook_secret_new(char out[ORGS_WEBHOOK_SECRET_TEXT_LEN + 1])
{
    unsigned char key[32];
    out[0] = '\0';
    if (RAND_bytes(key, sizeof key) != 1)
        return -1;
    memcpy(out, "whsec_", 6);
    int n = EVP_EncodeBlock((unsigned char *)out + 6, key, sizeof key);
    OPENSSL_cleanse(key, sizeof key);
    return n == 44 ? 0 : -1;
}

int orgs_webhook_uuid_new(char out[37])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        return -1;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 9562 variant */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
             b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return 0;
}

long orgs_webhook_seal(const unsigned char key[32], const char *endpoint_id, const char *secret, unsigned char *out,
                       size_t cap)
{
    size_t len = strlen(secret), need = 12 + len + 16;
    if (cap < need || RAND_bytes(out, 12) != 1)
        return -1;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, fin = 0, ok = ctx != NULL && EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, out) == 1 &&
                              EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)endpoint_id,
                                                (int)strlen(endpoint_id)) == 1 &&
                              EVP_EncryptUpdate(ctx, out + 12, &n, (const unsigned char *)secret, (int)len) == 1 &&
                              EVP_EncryptFinal_ex(ctx, out + 12 + n, &fin) == 1 &&
                              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out + 12 + len) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? (long)need : -1;
}

int orgs_webhook_secret_sealed_new(const unsigned char key[32], const char *endpoint_id,
                                   char secret[ORGS_WEBHOOK_SECRET_TEXT_LEN + 1], char *sealed_hex, size_t cap)
{
    unsigned char sealed[ORGS_WEBHOOK_SEALED_MAX];
    long len = -1;
    if (cap >= 2 * sizeof sealed + 3 && orgs_webhook_secret_new(secret) == 0)
        len = orgs_webhook_seal(key, endpoint_id, secret, sealed, sizeof sealed);
    if (len < 0) {
        OPENSSL_cleanse(secret, ORGS_WEBHOOK_SECRET_TEXT_LEN + 1);
        return -1;
    }
    strcpy(sealed_hex, "\\x");
    for (long i = 0; i < len; i++)
        snprintf(sealed_hex + 2 + 2 * i, 3, "%02x", sealed[i]);
    return 0;
}

int orgs_webhook_key_parse(const char *text, unsigned char key[32])
{
    size_t len = strcspn(text, "\r\n");
    if (len != 64)
        return -1;
    for (size_t i = 0; i < 32; i++) {
        unsigned int byte;
        char pair[3] = {text[2 * i], text[2 * i + 1], '\0'};
        if (strspn(pair, "0123456789abcdefABCDEF") != 2 || sscanf(pair, "%2x", &byte) != 1)
            return -1;
        key[i] = (unsigned char)byte;
    }
    return 0;
}
