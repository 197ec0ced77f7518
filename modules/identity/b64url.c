/* modules/identity/b64url.c — base64url without padding over OpenSSL's base64 (contract in b64url.h). */
#include "b64url.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

size_t cong_idm_b64url_encode(const unsigned char *in, size_t n, char *out)
{
    /* whole groups straight into `out`; the 1 or 2 bytes left through a small buffer, whose padding is dropped */
    size_t whole = n / 3 * 3, len = whole > 0 ? (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)whole) : 0;
    if (n > whole) {
        unsigned char tail[5];
        EVP_EncodeBlock(tail, in + whole, (int)(n - whole));
        memcpy(out + len, tail, n - whole + 1);
        len += n - whole + 1;
    }
    for (size_t i = 0; i < len; i++)
        out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
    out[len] = '\0';
    return len;
}

long cong_idm_b64url_decode(const char *in, size_t len, unsigned char *out)
{
    size_t pad = (4 - len % 4) % 4;
    if (pad == 3)
        return -1; /* 4k+1 characters encode nothing */
    unsigned char *text = malloc(len + pad);
    if (text == NULL)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            free(text);
            return -1;
        }
        text[i] = c == '-' ? '+' : c == '_' ? '/' : (unsigned char)c;
    }
    memset(text + len, '=', pad);
    /* EVP_DecodeBlock writes 3 bytes for every 4 characters, padding included: the last `pad` are not data, and the
     * bits they stand for must be zero (one text per value, as auth/base64url.c reads it) */
    int n = len + pad > 0 ? EVP_DecodeBlock(out, text, (int)(len + pad)) : 0;
    free(text);
    if (n < 0 || (pad > 0 && out[n - pad] != 0))
        return -1;
    return (long)n - (long)pad;
}
