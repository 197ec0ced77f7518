/* The subject secret, held by the host for citizen_subject (contract in subject_secret.h). */
#include "subject_secret.h"

#include <openssl/crypto.h>
#include <stdio.h>

#include "auth/subject.h"
#include "cong/module.h"

_Static_assert(CONG_SUBJECT_SIZE == CONG_SUBJECT_LEN + 1, "module.h's subject size is auth's");

static unsigned char secret[64];
static size_t secret_len; /* 0: none loaded */

int cong_subject_secret_load(const char *path)
{
    cong_subject_secret_clear();
    if (path == NULL || path[0] == '\0')
        return CONG_ENOTFOUND;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return CONG_EIO;
    size_t n = fread(secret, 1, sizeof secret, f);
    fclose(f);
    while (n > 0 && (secret[n - 1] == '\n' || secret[n - 1] == '\r'))
        n--;
    if (n < 32) {
        cong_subject_secret_clear();
        return CONG_EINVAL;
    }
    secret_len = n;
    return 0;
}

void cong_subject_secret_clear(void)
{
    OPENSSL_cleanse(secret, sizeof secret);
    secret_len = 0;
}

int cong_api_citizen_subject(const char *citizen_number, char *out, size_t out_size)
{
    if (citizen_number == NULL || citizen_number[0] == '\0' || out == NULL || out_size < CONG_SUBJECT_SIZE)
        return CONG_EINVAL;
    if (secret_len == 0)
        return CONG_ENOTFOUND;
    return cong_subject_from_citizen(secret, secret_len, citizen_number, out);
}
