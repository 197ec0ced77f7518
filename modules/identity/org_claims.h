/*
 * modules/identity/org_claims.h — the organization claims of a VNeID ID token (issue 18: VNeID issues electronic
 * identities to organizations too, Decree 69/2024). Pure: jansson and base64url only, unit-tested in
 * tests/unit/identity/test_org_claims.c.
 *
 * A person signs in with an organization's account (tài khoản định danh điện tử của tổ chức) as its legal
 * representative. Its ID token is a citizen's ID token — "sub" is the representative's personal identification number
 * (which the gateway turns into their pseudonymous subject, as for every login), "acr", "auth_time", "name" theirs —
 * with these claims besides (the names are cong's choice, documented here, in tools/vneid_standin and in the README):
 *
 *   "account_type": "organization"    a citizen's own account has none, or "citizen"
 *   "org_tax_code": "0101234567"      the enterprise/tax code (mã số doanh nghiệp): 10 digits, or 10 digits "-" and a
 *                                     3-digit branch number 001..999
 *   "org_name":     "Công ty ..."     the registered name, 1..300 characters
 *
 * Read only from a token the gateway has verified (api->idp_verify called back without error): the signature covers
 * the very bytes decoded here. The payload's "sub" (a citizen number) is decoded with it and wiped at once; nothing but
 * these claims leaves this file.
 */
#ifndef CONG_MODULES_IDENTITY_ORG_CLAIMS_H
#define CONG_MODULES_IDENTITY_ORG_CLAIMS_H

#include <stddef.h>

#define CONG_IDM_ORG_NAME_CHARS 300 /* organizations.name: 1..300 characters */

typedef struct cong_idm_org_claims {
    int organization;               /* 1: an organization's account; 0: a citizen's own (the rest is empty) */
    char tax_code[16];
    char name[CONG_IDM_ORG_NAME_CHARS * 4 + 1]; /* UTF-8 */
} cong_idm_org_claims_t;

/** Reads the organization claims of the compact JWS `id_token` (len bytes). 0 with *out filled (organization 0 for a
 *  citizen's account); CONG_EINVAL when the payload cannot be read, or when account_type is "organization" with a
 *  missing or malformed org_tax_code or org_name, or account_type is anything else than "citizen" or
 *  "organization". */
int cong_idm_org_claims(const char *id_token, size_t len, cong_idm_org_claims_t *out);

/** 1 when code is an enterprise/tax code (the syntax organizations.code holds). */
int cong_idm_tax_code_valid(const char *code);

#endif
