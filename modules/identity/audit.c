/*
 * modules/identity/audit.c — the identity module's records in the audit log (gateway migration 0005, cong_audit):
 * logins and step-ups (exchange.c), session revocations (identity.c, refresh.c). API client changes are recorded by
 * `cong client` in its own statements (client_command.c).
 *
 * Sessions live in Redis, the audit log in PostgreSQL: no transaction spans both, so the order decides what a failure
 * leaves. A login and a revocation the citizen asks for are recorded FIRST: PostgreSQL down → 503 and nothing done (no
 * session exists without its record; a record may exist for a login whose session could then not be stored). A
 * revocation cong decides itself (a reused refresh token) is made first, then recorded: stopping a stolen session
 * never waits for PostgreSQL.
 *
 * Never a token, a secret or a citizen number in a record: subjects are pseudonyms, sessions their ids.
 */
#include <stdio.h>

#include "identity.h"

#define api cong_idm_api

int cong_idm_audit(cong_req_t *req, const char *actor, const char *action, const char *object,
                   const char *detail_json, cong_pg_cb cb, void *udata)
{
    const char *params[] = {actor, action, object, api->req_id(req), detail_json != NULL ? detail_json : "{}"};
    return api->pg_query(req,
                         "SELECT cong_audit('identity', $1, 'citizen', $1, $2, $3, $4, $5::jsonb)", 5, params, cb,
                         udata);
}
