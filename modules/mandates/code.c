/* Acceptance codes (see mandates.h): the grantor reads one to the grantee out of band; cong keeps its hash only. */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

#include "mandates.h"

/* 31 characters nobody confuses when read aloud or copied by hand: no 0/O, no 1/I/L. 31^12 ≈ 2^59 codes. */
static const char alphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
#define ALPHABET_SIZE (sizeof alphabet - 1)

int mandates_code_new(char *out, size_t size)
{
    if (size < MANDATES_CODE_LEN + 3)
        return -1;
    size_t n = 0, o = 0;
    while (n < MANDATES_CODE_LEN) {
        unsigned char b[16];
        if (RAND_bytes(b, sizeof b) != 1)
            return -1;
        for (size_t i = 0; i < sizeof b && n < MANDATES_CODE_LEN; i++) {
            if (b[i] >= 256 / ALPHABET_SIZE * ALPHABET_SIZE)
                continue; /* rejection sampling: every character equally likely */
            if (n > 0 && n % 4 == 0)
                out[o++] = '-';
            out[o++] = alphabet[b[i] % ALPHABET_SIZE];
            n++;
        }
    }
    out[o] = '\0';
    return 0;
}

int mandates_code_hash(const char *typed, char out_hex[65])
{
    char code[MANDATES_CODE_LEN];
    size_t n = 0;
    for (const char *p = typed; p != NULL && *p != '\0'; p++) {
        char c = *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
        if (c == '-' || c == ' ')
            continue;
        if (n == MANDATES_CODE_LEN || strchr(alphabet, c) == NULL || c == '\0')
            return -1;
        code[n++] = c;
    }
    if (n != MANDATES_CODE_LEN)
        return -1;
    return mandates_sha256_hex(code, n, out_hex);
}

int mandates_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    static const char digits[] = "0123456789abcdef";
    if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1)
        return -1;
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[64] = '\0';
    return 0;
}
