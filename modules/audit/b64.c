/* base64, base64url and hex (contract in b64.h). */
#include "b64.h"

#include <openssl/evp.h>
#include <string.h>

size_t audit_b64_encode(const uint8_t *in, size_t n, char *out, int url)
{
    size_t len = (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    if (!url)
        return len;
    while (len > 0 && out[len - 1] == '=')
        out[--len] = '\0';
    for (size_t i = 0; i < len; i++)
        out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
    return len;
}

void audit_hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int nibble(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                                                                         : -1;
}

int audit_hex_decode(const char *in, uint8_t *out, size_t n)
{
    if (in[0] == '\\' && in[1] == 'x')
        in += 2;
    if (strlen(in) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = nibble(in[2 * i]), lo = nibble(in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
