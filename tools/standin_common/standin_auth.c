/* tools/standin_common/standin_auth.c — secret files and the bearer check (see the header). */
#include "standin_auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

long standin_read_secret_line(const char *path, char *out, size_t max)
{
    if (max == 0 || max > STANDIN_SECRET_LINE_MAX)
        return -1;
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    /* one size for every max: a longer line shows as more than max bytes and is refused, as each stand-in did */
    char line[STANDIN_SECRET_LINE_MAX + 2];
    int ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    size_t n = ok ? strcspn(line, "\r\n") : 0;
    while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    long rc = n > 0 && n <= max ? (long)n : -1;
    if (rc > 0) {
        memcpy(out, line, n);
        out[n] = '\0';
    }
    OPENSSL_cleanse(line, sizeof line);
    return rc;
}

int standin_bearer_is(const h2o_req_t *req, const char *token)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (i < 0)
        return 0;
    h2o_iovec_t v = req->headers.entries[i].value;
    if (v.len < 7 || strncasecmp(v.base, "Bearer ", 7) != 0)
        return 0;
    unsigned char given[SHA256_DIGEST_LENGTH], expected[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)v.base + 7, v.len - 7, given);
    SHA256((const unsigned char *)token, strlen(token), expected);
    return CRYPTO_memcmp(given, expected, sizeof given) == 0;
}

int standin_control_authorized(const h2o_req_t *req, const char *control_token)
{
    return !control_token[0] || standin_bearer_is(req, control_token);
}
