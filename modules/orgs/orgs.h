/*
 * modules/orgs — organizations as first-class users of cong (issue 18, the foundation). Built on include/cong/module.h
 * (1.4 and later: register_command, citizen_subject, job_revoke_session). This header is the module's contract.
 *
 * An organization (table `organizations`, migrations/0001_organizations.sql): its id (a UUID), its enterprise/tax code
 * (mã số doanh nghiệp: 10 digits, or 10 digits + "-" + a 3-digit branch number 001..999; the check digit is not
 * verified), its name, its legal representative as a pseudonymous citizen subject (never a citizen number), its status
 * (active | suspended) and when it was created.
 *
 * Its subject. An organization's affairs are those of the subject "org:<id>" (ORGS_SUBJECT_PREFIX + the UUID): it can
 * never be a citizen's subject (43 base64url characters, no ':'), nor a plain API client's ("c_..."). The tokens of
 * its API clients carry it as "sub", so principal->subject of such a request is the organization, principal->client_id
 * the client acting for it (and sid "client:<client_id>", as for every client). Deciding "sub" rather than a claim of
 * its own keeps the ABI as it is (1.7) and makes everything that records "whose affairs" record the organization.
 *
 * API clients (identity module): `cong client create NAME --org CODE` names the organization (column
 * api_clients.organization_id, added by this module's migration). POST /v1/auth/token for such a client issues a
 * token whose "sub" is the organization's subject, with the client's scopes (or the narrower ones asked) and
 * client_id; a suspended organization's clients get 401 invalid-client, and `cong org suspend` revokes the live
 * tokens of each of its clients on every instance.
 *
 * The files:
 *   orgs.c        the entry point, configuration (modules.orgs.migrations_dir), shared replies
 *   code.c        orgs_code_valid: the tax code's syntax (pure; unit-tested in tests/unit/orgs)
 *   command.c     `cong org create|list|suspend|activate` (register_command)
 *   read.c        GET /v1/orgs/{code}
 *   migrations/   0001 organizations and api_clients.organization_id; 0002 org_login (the VNeID login's)
 *
 * GET /v1/orgs/{code}: to the organization's own clients (sub "org:<id>"), to its staff acting for it under one of its
 * mandates (sub "org:<id>", act the employee; mandate_action "view", each read audited 'org.view' under the mandate)
 * and to its legal representative (a citizen on their own affairs, no client). Anyone else gets 404 not-found, exactly
 * as for a code that does not exist, so that the route never tells who is registered; a code that is not a tax code
 * at all is 422 validation-failed (its syntax is no secret).
 *
 * Staff acting for an organization (modules/mandates, migrations/0002_org_mandates.sql): the representative grants
 * mandates FROM the organization (POST /v1/mandates with grantor_org; grantor = delegated_by = "org:<id>"), and only
 * the current representative grants, withdraws, lists and sees their uses. An employee's exchanged token carries
 * "sub" "org:<id>" and "act" themselves: what records "whose affairs" records the organization. `cong org suspend`
 * revokes the sessions "mandate:<id>" of its live mandates (and the exchange refuses a suspended organization's), so
 * its staff stop at once; after `cong org activate` a revoked mandate's new tokens are refused until the revocation
 * runs out (auth.access_token_ttl_s + 120 s), as its clients' tokens are.
 *
 * VNeID organization login (migrations/0002_org_login.sql, SQL org_login, called by modules/identity/exchange.c): an
 * organization account's ID token (modules/identity/org_claims.h) creates the organization with the person who signed
 * in as representative, or finds it when they are its representative; another representative: refused
 * ('org.login_refused' audited). `cong org create` stays for the demo.
 *
 * Not yet done (the plan):
 * - Dossiers of organizations. A dossier records its owner as `subject` (modules/procedures, dossiers.applicant): a
 *   dossier filed with an organization's client token would belong to "org:<id>" with no change there. What stands in
 *   the way is the level of assurance: the dossier routes need min_loa 1 and each procedure its own min_loa, while
 *   client tokens are level 0. The plan: a catalog field `applicants` (citizen | organization | both, the generator
 *   marks the business procedures); the dossier routes move to min_loa 0 with the level checked in the handler for a
 *   citizen, and for an organization's token (client_id set, subject "org:...") the procedure's `applicants` checked
 *   instead. That is more than a small change of modules/procedures, so it is left to the next step; until then an
 *   organization's token is refused by the dossier routes (401 step-up-required: level 0 < 1), as every client token
 *   is (tests/integration/test_orgs.sh asserts it, so that the day it changes is a deliberate one).
 * - Webhooks (push/webhook signs; endpoints, outbox and delivery are to come).
 */
#ifndef CONG_MODULE_ORGS_H
#define CONG_MODULE_ORGS_H

#include <cong/module.h>
#include <stddef.h>

#define ORGS_MODULE "orgs"
#define ORGS_VERSION "0.1.0"
#define ORGS_SUBJECT_PREFIX "org:"
#define ORGS_NAME_MAX 300

extern const cong_api_t *orgs_api;

/** 1 when `code` is an enterprise/tax code: 10 digits, or 10 digits "-" 3 digits other than "000". Pure. */
int orgs_code_valid(const char *code);

/** The error reply of a failed pg_query: 503 (with Retry-After) when the store is down or busy, else 500. */
void orgs_reply_store_error(cong_req_t *req, int err);

/** Load time: `cong org` (command.c), GET /v1/orgs/{code} (read.c). */
int orgs_command_register(cong_module_ctx_t *ctx);
int orgs_read_register(cong_module_ctx_t *ctx);

/** The entry point (declared for the host in gateway/host/builtin_modules.h). */
int cong_orgs_onload(cong_module_ctx_t *ctx, const cong_api_t *api);

#endif
