/*
 * tools/vneid_standin/organizations.h — the test organizations' accounts offered on the demo login page (issue 18).
 *
 * VNeID issues electronic identities to organizations as well as citizens (Decree 69/2024). A person signs in to an
 * organization's account as its legal representative; the ID token is then the representative's (their "sub",
 * "name", "birthdate", "acr", "amr", "auth_time") with three claims more — the names are cong's choice, and
 * modules/identity/org_claims.h reads exactly these:
 *
 *   "account_type": "organization"   (a citizen's own account carries none)
 *   "org_tax_code": "0109990001"     the enterprise/tax code: 10 digits, or 10 digits "-" and a branch number
 *   "org_name":     "Công ty ..."    the registered name
 *
 * Invented organizations: their codes start 010999, which no real enterprise carries; each one's representative is one
 * of the test citizens (citizens.h). POST /test/mint makes any other combination (a code with another representative,
 * malformed claims) by setting these claims in its body.
 */
#ifndef VS_ORGANIZATIONS_H
#define VS_ORGANIZATIONS_H

#include <stddef.h>

#define VS_ORG_CODE_MAX 16

typedef struct vs_organization {
    const char *tax_code;       /* mã số doanh nghiệp */
    const char *name;           /* UTF-8 */
    const char *representative; /* the legal representative's citizen identity number (citizens.h) */
} vs_organization_t;

extern const vs_organization_t vs_organizations[];
extern const size_t vs_organization_count;

/** The organization with this tax code, or NULL. */
const vs_organization_t *vs_organization_find(const char *tax_code);

#endif
