/* auth/subject.c — the pseudonymous subject of a citizen (contract in subject.h). */
#include "subject.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>

#include "auth.h"
#include "cong/errors.h"

int cong_subject_from_citizen(const unsigned char *secret, size_t secret_len, const char *citizen_number, char *out)
{
    if (secret == NULL || secret_len == 0 || citizen_number == NULL || citizen_number[0] == '\0')
        return CONG_EINVAL;
    unsigned char mac[32];
    unsigned int mac_len = 0;
    char input[160];
    int n = snprintf(input, sizeof input, "vneid:%s", citizen_number);
    if (n < 0 || (size_t)n >= sizeof input)
        return CONG_EINVAL;
    const unsigned char *data = (const unsigned char *)input;
    int ok = HMAC(EVP_sha256(), secret, (int)secret_len, data, (size_t)n, mac, &mac_len) != NULL;
    OPENSSL_cleanse(input, sizeof input);
    if (!ok)
        return CONG_EIO;
    cong_b64url_encode(mac, sizeof mac, out);
    out[CONG_SUBJECT_LEN] = '\0';
    return 0;
}
