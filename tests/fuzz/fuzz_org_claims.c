/*
 * tests/fuzz/fuzz_org_claims.c — libFuzzer target for modules/identity/org_claims.c: the organization claims read from
 * the payload of a VNeID ID token (after the gateway verified it, but the bytes came from outside).
 *
 * Input: the bytes as a compact JWS → cong_idm_org_claims. Oracles beyond "no crash, no leak, no read outside the
 * input": the same answer twice; 0 or CONG_EINVAL only; an organization has a valid tax code and a non-empty name
 * of at most CONG_IDM_ORG_NAME_CHARS characters, NUL-terminated in its buffer; anything else has both empty.
 */
#include "modules/identity/org_claims.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *token = (const char *)data;
    cong_idm_org_claims_t a, b;
    int rc = cong_idm_org_claims(token, size, &a);
    if (rc != cong_idm_org_claims(token, size, &b) || (rc != 0 && rc != CONG_EINVAL) || memcmp(&a, &b, sizeof a) != 0)
        abort();
    if (memchr(a.tax_code, '\0', sizeof a.tax_code) == NULL || memchr(a.name, '\0', sizeof a.name) == NULL)
        abort();
    if (a.organization) {
        size_t chars = 0;
        for (const char *p = a.name; *p != '\0'; p++)
            chars += ((unsigned char)*p & 0xC0) != 0x80;
        if (rc != 0 || !cong_idm_tax_code_valid(a.tax_code) || chars == 0 || chars > CONG_IDM_ORG_NAME_CHARS)
            abort();
    } else if (a.tax_code[0] != '\0' || a.name[0] != '\0') {
        abort();
    }
    return 0;
}
