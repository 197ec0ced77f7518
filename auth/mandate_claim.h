/*
 * auth/mandate_claim.h — (internal to auth/) the "mandate" claim of a token that acts for someone (RFC 8693 "act"):
 *   {"id": "<uuid>", "actions": ["view", "submit"], "procedures": ["1.000001"], "domains": ["ho-tich"], "until": 1767225599}
 * read by jwt_verify.c into cong_jwt_claims_t, written by identity.c. "until" (the mandate's last second, inclusive)
 * is absent for an open-ended mandate; procedures and domains together name at least one; at most 32 procedures and
 * 16 domains of [0-9A-Za-z._-]{1,20}.
 */
#ifndef CONG_AUTH_MANDATE_CLAIM_H
#define CONG_AUTH_MANDATE_CLAIM_H

#include <jansson.h>
#include <stdint.h>

#include "auth.h"

/** Reads claim `m` into c's mandate_* members. 0, or -1 when it is not a valid mandate claim (c's mandate members
 *  are then unspecified). */
int cong_mandate_claim_read(const json_t *m, cong_jwt_claims_t *c);
/** The claim for these space-separated lists (new reference, caller owns), or NULL when one is invalid. */
json_t *cong_mandate_claim_build(const char *id, const char *actions, const char *procedures, const char *domains,
                                 int64_t until);

#endif
