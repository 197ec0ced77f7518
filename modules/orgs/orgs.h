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
 * Dossiers of organizations (done; modules/procedures/applicant.c, modules/payments/payments.c). A dossier, upload,
 * payment, receipt and result belongs to principal->subject, so one filed with an organization's client token is the
 * organization's ("org:<id>"), and its wallet (GET /v1/me/documents) holds its results and receipts. The applicant's
 * routes (dossiers, uploads, wallet, POST/GET payments) are registered with min_loa 0 and decide in the handler: a
 * subject starting with "org:" is an organization (its client, level 0, or someone acting for it under a mandate —
 * decided by the subject, not client_id); a client_id with any other subject is a plain API client, refused 403
 * applicant-not-allowed; anyone else is a citizen, who needs level 1 as before (401 step-up-required). On submission
 * the procedure's `applicants` (catalog field, procedures migration 0014: citizen | organization | both; the catalog
 * generator marks the business procedures) must admit the applicant's kind (else 403 applicant-not-allowed), then the
 * procedure's min_loa applies to the person behind the request: a citizen, or whoever acts for the organization — an
 * organization's own client is asked no level. tests/integration/test_org_dossiers.sh proves it end to end.
 *
 * Not yet done (the plan):
 * - Webhooks (push/webhook signs; endpoints, outbox and delivery are to come).
 * - The audit records and timeline of an organization's dossier and payment actions say actor_kind / role 'citizen'
 *   (the applicant's side of the SQL functions); their actor is "org:<id>" or the employee, so who acted is exact,
 *   only the kind is not ('client' would be).
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
