/* push/webhook/base64.c — padded standard base64, strict on decoding (see base64.h). OpenSSL's EVP_EncodeBlock and
 * EVP_DecodeBlock do the work; the checks around them are what makes decoding strict: EVP_DecodeBlock skips
 * surrounding whitespace, counts padding as data, and accepts non-zero unused bits. */
#include "base64.h"

#include <openssl/evp.h>
#include <string.h>

#define ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

size_t webhook_b64_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

size_t webhook_b64_encode(const unsigned char *in, size_t n, char *out)
{
    if (n == 0) {
        out[0] = '\0';
        return 0;
    }
    return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

/* How many '=' end the text, if it is otherwise made of the alphabet and 4k long; -1 otherwise. */
static int padding_of(const char *in, size_t len)
{
    if (len == 0 || len % 4 != 0)
        return -1;
    int pad = in[len - 1] == '=' ? (in[len - 2] == '=' ? 2 : 1) : 0;
    for (size_t i = 0; i < len - (size_t)pad; i++)
        if (in[i] == '\0' || !strchr(ALPHABET, in[i]))
            return -1;
    return pad;
}

long webhook_b64_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
    int pad = padding_of(in, len);
    if (pad < 0 || len > WEBHOOK_B64_MAX_TEXT)
        return -1;
    size_t n = len / 4 * 3 - (size_t)pad;
    unsigned char whole[WEBHOOK_B64_MAX_TEXT / 4 * 3];
    if (n > cap || EVP_DecodeBlock(whole, (const unsigned char *)in, (int)len) != (int)(len / 4 * 3))
        return -1;
    /* canonical: the unused bits of the last character are zero, i.e. encoding the bytes gives the text back */
    char again[WEBHOOK_B64_MAX_TEXT + 1];
    if (webhook_b64_encode(whole, n, again) != len || memcmp(again, in, len) != 0)
        return -1;
    memcpy(out, whole, n);
    OPENSSL_cleanse(whole, sizeof whole);
    return (long)n;
}
