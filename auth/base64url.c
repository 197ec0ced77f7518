/*
 * auth/base64url.c — strict base64url (RFC 4648 §5) without padding.
 *
 * Decoding accepts exactly one spelling of each byte string: no '=', no whitespace, no characters outside
 * [A-Za-z0-9_-], no length of 4k+1, and the unused low bits of a final partial group must be zero. So
 * encode(decode(s)) == s for every s that decodes.
 */
#include "auth.h"

#include <limits.h>

static const char alphabet[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Sextet value of a character, or -1 outside the alphabet. */
static int sextet(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

size_t cong_b64url_encoded_len(size_t n)
{
    static const size_t tail[3] = {0, 2, 3};
    return n / 3 * 4 + tail[n % 3];
}

size_t cong_b64url_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = alphabet[v & 63];
    }
    if (n - i == 1) {
        unsigned long v = (unsigned long)in[i] << 16;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
    } else if (n - i == 2) {
        unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
    }
    out[o] = '\0';
    return o;
}

long cong_b64url_decode(const char *in, size_t len, unsigned char *out)
{
    if (len % 4 == 1 || len > LONG_MAX)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        size_t group = len - i < 4 ? len - i : 4;
        unsigned long v = 0;
        for (size_t k = 0; k < 4; k++) {
            int s = k < group ? sextet((unsigned char)in[i + k]) : 0;
            if (s < 0)
                return -1;
            v = v << 6 | (unsigned long)s;
        }
        /* A final group of 2 or 3 characters carries 4 or 2 unused bits, which must be zero. */
        if ((group == 2 && (v & 0xffff)) || (group == 3 && (v & 0xff)))
            return -1;
        out[o++] = (unsigned char)(v >> 16);
        if (group > 2)
            out[o++] = (unsigned char)(v >> 8);
        if (group > 3)
            out[o++] = (unsigned char)v;
    }
    return (long)o;
}
