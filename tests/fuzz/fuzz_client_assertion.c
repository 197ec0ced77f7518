/*
 * tests/fuzz/fuzz_client_assertion.c — libFuzzer target for modules/identity/client_assertion.c: the private_key_jwt
 * client assertion POST /v1/auth/token reads from anyone, before it knows the client.
 *
 * Input: the bytes as an assertion → cong_idm_assertion_parse; when it parses, the claims check at a fixed time and
 * the signature check under a fixed P-256 public key. Oracles beyond "no crash, no leak, no read outside the input":
 * the same answer twice; a parsed assertion has NUL-terminated claims within their buffers and a signed part that
 * ends at the input's second '.'; the check answers NULL only when iss = sub = the client, an audience is the issuer
 * or endpoint, exp is ahead within the bound and jti is not empty; the signature never verifies (the key's private
 * half is not in the corpus).
 */
#include "modules/identity/client_assertion.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1800000000LL
#define CLIENT "c_fuzz"
#define ISSUER "https://id.cong.test"
#define ENDPOINT "https://id.cong.test/v1/auth/token"
static const char KEY[] = "-----BEGIN PUBLIC KEY-----\n"
                          "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEliQ7pqbb5yhJAwElCfXypxGqQ3FP\n"
                          "KE7hEgDS7+eCY7tcTpUJ7xtT98nk3sTd7TNY19aZsIUne1qjGPUchdCL4Q==\n"
                          "-----END PUBLIC KEY-----\n";

static void check_parsed(const char *jwt, size_t size, const cong_idm_assertion_t *a)
{
    if (memchr(a->iss, '\0', sizeof a->iss) == NULL || memchr(a->sub, '\0', sizeof a->sub) == NULL ||
        memchr(a->jti, '\0', sizeof a->jti) == NULL || memchr(a->aud[0], '\0', sizeof a->aud[0]) == NULL ||
        memchr(a->aud[1], '\0', sizeof a->aud[1]) == NULL)
        abort();
    const char *dot1 = memchr(jwt, '.', size);
    if (dot1 == NULL || a->signed_len >= size || jwt[a->signed_len] != '.' ||
        memchr(dot1 + 1, '.', size - (size_t)(dot1 + 1 - jwt)) != jwt + a->signed_len)
        abort();
    const char *why = cong_idm_assertion_check(a, CLIENT, ISSUER, ENDPOINT, NOW);
    if (why != cong_idm_assertion_check(a, CLIENT, ISSUER, ENDPOINT, NOW))
        abort();
    if (why == NULL) {
        int aud = strcmp(a->aud[0], ISSUER) == 0 || strcmp(a->aud[0], ENDPOINT) == 0 ||
                  strcmp(a->aud[1], ISSUER) == 0 || strcmp(a->aud[1], ENDPOINT) == 0;
        if (strcmp(a->iss, CLIENT) != 0 || strcmp(a->sub, CLIENT) != 0 || !aud || a->exp <= NOW ||
            a->exp > NOW + CONG_IDM_ASSERTION_MAX_LIFETIME_S + CONG_IDM_ASSERTION_SKEW_S || a->jti[0] == '\0')
            abort();
    }
    if (cong_idm_assertion_verify(jwt, a, KEY))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *jwt = (const char *)data;
    cong_idm_assertion_t a, b;
    int rc = cong_idm_assertion_parse(jwt, size, &a);
    if (rc != cong_idm_assertion_parse(jwt, size, &b) || (rc != 0 && rc != -1))
        abort();
    if (rc == 0) {
        if (memcmp(&a, &b, sizeof a) != 0)
            abort();
        check_parsed(jwt, size, &a);
    }
    return 0;
}
