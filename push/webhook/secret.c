/* push/webhook/secret.c — endpoint secrets: "whsec_" + base64 of the key bytes, parsed strictly, generated from
 * OpenSSL's CSPRNG, wiped by their owner (signature.h). */
#include "base64.h"
#include "signature.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#define PREFIX_LEN (sizeof WEBHOOK_SECRET_PREFIX - 1)

int webhook_secret_parse(const char *text, size_t len, webhook_secret_t *out)
{
    webhook_secret_wipe(out);
    if (!text || len <= PREFIX_LEN || memcmp(text, WEBHOOK_SECRET_PREFIX, PREFIX_LEN) != 0)
        return -1;
    long n = webhook_b64_decode(text + PREFIX_LEN, len - PREFIX_LEN, out->key, sizeof out->key);
    if (n < WEBHOOK_SECRET_MIN_BYTES) {
        webhook_secret_wipe(out);
        return -1;
    }
    out->len = (size_t)n;
    return 0;
}

int webhook_secret_generate(char out[WEBHOOK_SECRET_TEXT_LEN + 1])
{
    unsigned char key[WEBHOOK_SECRET_GENERATED_BYTES];
    out[0] = '\0';
    if (RAND_bytes(key, sizeof key) != 1)
        return -1;
    memcpy(out, WEBHOOK_SECRET_PREFIX, PREFIX_LEN);
    webhook_b64_encode(key, sizeof key, out + PREFIX_LEN);
    OPENSSL_cleanse(key, sizeof key);
    return 0;
}

void webhook_secret_wipe(webhook_secret_t *secret)
{
    OPENSSL_cleanse(secret, sizeof *secret);
}
