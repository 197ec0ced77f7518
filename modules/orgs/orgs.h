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
 *   webhook_rules.c       orgs_webhook_url_ok, orgs_webhook_event_type_ok, orgs_uuid_ok (pure; tests/unit/orgs)
 *   webhook_seal.c        a new endpoint's id and secret, sealed with AES-256-GCM (pure but for the CSPRNG)
 *   webhook_config.c      modules.orgs.webhook_* and the replies the webhook routes share
 *   webhook_endpoints.c   POST/GET /v1/org/webhooks, DELETE /v1/org/webhooks/{id}
 *   webhook_deliveries.c  GET /v1/org/webhooks/{id}/deliveries (paged), POST .../deliveries/{delivery}/retry
 *   webhook_lifecycle.c   POST /v1/org/webhooks/{id}/enable, POST /v1/org/webhooks/{id}/rotate-secret
 *   migrations/0003_webhooks.sql  the endpoints, the deliveries (filled by a trigger on push_outbox), the worker's
 *                         lease and outcome functions
 *   migrations/0004_webhook_rotation.sql  the previous secret of a rotation, the log's cursor and paging index
 *   migrations/0005_webhook_audit.sql     webhook_audit: the audit record of each endpoint change
 *   migrations/   0001 organizations and api_clients.organization_id; 0002 org_login (the VNeID login's);
 *                 0003 webhooks; 0004 webhook rotation and paging; 0005 webhook audit
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
 * - The audit records and timeline of an organization's dossier and payment actions say actor_kind / role 'citizen'
 *   (the applicant's side of the SQL functions); their actor is "org:<id>" or the employee, so who acted is exact,
 *   only the kind is not ('client' would be).
 * - Webhooks: no rotation of the sealing key (modules.orgs.webhook_key_file); no automatic redelivery of the events
 *   a disabled endpoint missed (below). Every endpoint change is audited (migrations/0005_webhook_audit.sql:
 *   webhook.create, webhook.delete, webhook.enable, webhook.rotate_secret; the actor the client, never the URL).
 *
 * Webhooks ("Webhooks instead of polling"). An organization's API clients (token sub "org:<id>", scope "webhooks";
 * anyone else 403 forbidden) register endpoints: POST /v1/org/webhooks {url, event_types} → 201 with the endpoint and
 * its signing secret "whsec_..." — the one and only time it is shown; GET lists them (never a secret), DELETE removes
 * one with its log (404 for another organization's, as for none). At most modules.orgs.webhook_max_endpoints each.
 *   - url: https://host[:port][/path][?query] (no userinfo, no fragment, at most ORGS_WEBHOOK_URL_MAX bytes);
 *     http://127.0.0.1[:port]/... only with modules.orgs.webhook_allow_http_loopback (development: the stand-ins).
 *     The key is declared development_only (ABI 1.9): a production gateway refuses to start with it set.
 *   - event_types: 1..5 of dossier.status_changed, dossier.supplement_requested, dossier.result_issued,
 *     payment.succeeded, payment.refunded. Mapped from the writers' outbox topics by webhook_event_types() in the
 *     migration: dossier.status → status_changed (+ supplement_requested / result_issued by its status),
 *     payment.status with state success → payment.succeeded, payment.refund with state success → payment.refunded.
 *   - The secret at rest: AES-256-GCM (random 12-byte nonce, the endpoint id as additional data, so a sealed secret
 *     copied to another endpoint's row does not open) under the 32-byte key in modules.orgs.webhook_key_file (64 hex
 *     digits). Chosen over a hash (the sender must sign, so it needs the secret itself) and over pgcrypto (the key
 *     would travel in SQL text and could land in PostgreSQL's logs). cong-webhook-worker opens it with the same file
 *     (push/webhook/seal.h). Without a key file POST answers 503 (logged); rotating the key is not done yet.
 * Deliveries: a trigger on push_outbox (the writers' table) makes, in the event's own transaction, one row of
 * webhook_deliveries per subscribed active endpoint of the organization and event type — once by its UNIQUE key.
 * cong-webhook-worker (push/webhook_worker/worker.h) delivers them. GET .../deliveries lists an endpoint's log, newest
 * first (?limit=1..200, default 50; ?before=<next_cursor> pages on); POST .../deliveries/{delivery}/retry (202) replays one
 * (same webhook-id, same body, a new retry series now; 409 conflict when the endpoint is disabled).
 */
#ifndef CONG_MODULE_ORGS_H
#define CONG_MODULE_ORGS_H

#include <cong/module.h>
#include <stddef.h>

#define ORGS_MODULE "orgs"
#define ORGS_VERSION "0.1.0"
#define ORGS_SUBJECT_PREFIX "org:"
#define ORGS_NAME_MAX 300
#define ORGS_WEBHOOK_SCOPE "webhooks"
#define ORGS_WEBHOOK_URL_MAX 2048
#define ORGS_WEBHOOK_SECRET_TEXT_LEN (6 + 44) /* "whsec_" + base64 of 32 bytes */
#define ORGS_WEBHOOK_SEALED_MAX (12 + ORGS_WEBHOOK_SECRET_TEXT_LEN + 16)
#define ORGS_WEBHOOK_SEALED_HEX_MAX (2 * ORGS_WEBHOOK_SEALED_MAX + 3) /* "\\x" + hex + NUL: a bytea parameter */
#define ORGS_WEBHOOK_CURSOR_LEN (27 + 1 + 36) /* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" "_" uuid */

typedef struct orgs_webhook_config {
    int allow_http_loopback; /* modules.orgs.webhook_allow_http_loopback */
    int max_endpoints;       /* modules.orgs.webhook_max_endpoints */
    int rotation_overlap_s;  /* modules.orgs.webhook_rotation_overlap_s */
    int have_key;
    unsigned char key[32];   /* from modules.orgs.webhook_key_file; never logged */
} orgs_webhook_config_t;
extern orgs_webhook_config_t orgs_webhook_config;

extern const cong_api_t *orgs_api;

/** 1 when `code` is an enterprise/tax code: 10 digits, or 10 digits "-" 3 digits other than "000". Pure. */
int orgs_code_valid(const char *code);

/* ---- webhook_rules.c (pure) ---- */
/** 1 when url may be an endpoint's (the rules above); http://127.0.0.1 only when allow_http_loopback. */
int orgs_webhook_url_ok(const char *url, int allow_http_loopback);
/** 1 for one of the five event types. */
int orgs_webhook_event_type_ok(const char *type);
/** 1 for a UUID in its lower-case text form. */
int orgs_uuid_ok(const char *s);
/** 1 for a delivery log cursor as webhook_delivery_cursor (migration 0004) writes it: ORGS_WEBHOOK_CURSOR_LEN bytes,
 *  "YYYY-MM-DDTHH:MM:SS.uuuuuuZ_" then a UUID; the time a real one (no month 13, no 31 February). */
int orgs_webhook_cursor_ok(const char *s);

/* ---- webhook_seal.c ---- */
/** A new "whsec_" secret (32 CSPRNG bytes). 0, or -1. */
int orgs_webhook_secret_new(char out[ORGS_WEBHOOK_SECRET_TEXT_LEN + 1]);
/** A new random (version 4) UUID text. 0, or -1. */
int orgs_webhook_uuid_new(char out[37]);
/** Seals secret: out = nonce(12) | AES-256-GCM(secret) | tag(16), endpoint_id the additional data. Its length, or -1
 *  (cap too small, OpenSSL). */
long orgs_webhook_seal(const unsigned char key[32], const char *endpoint_id, const char *secret, unsigned char *out,
                       size_t cap);
/** A new secret into `secret` and its sealed form for endpoint_id as a bytea hex literal ("\\x...") into sealed_hex
 *  (cap at least ORGS_WEBHOOK_SEALED_HEX_MAX). 0, or -1 (secret wiped). The caller wipes secret once answered. */
int orgs_webhook_secret_sealed_new(const unsigned char key[32], const char *endpoint_id,
                                   char secret[ORGS_WEBHOOK_SECRET_TEXT_LEN + 1], char *sealed_hex, size_t cap);
/** 64 hex digits (a line end may follow) into key. 0, or -1. */
int orgs_webhook_key_parse(const char *text, unsigned char key[32]);

/* ---- webhook_config.c ---- */
int orgs_webhook_config_register(cong_module_ctx_t *ctx);
/** The caller's organization id (a UUID text inside the principal) when it is an organization's API client; else
 *  replies 403 forbidden and returns NULL. */
const char *orgs_webhook_caller_org(cong_req_t *req);
/** A JSON text answered as application/json, no-store. */
void orgs_reply_json_text(cong_req_t *req, int status, const char *text);
int orgs_webhook_endpoints_register(cong_module_ctx_t *ctx);
int orgs_webhook_deliveries_register(cong_module_ctx_t *ctx);
/** webhook_lifecycle.c: POST .../{id}/enable and .../{id}/rotate-secret. */
int orgs_webhook_lifecycle_register(cong_module_ctx_t *ctx);

/** The error reply of a failed pg_query: 503 (with Retry-After) when the store is down or busy, else 500. */
void orgs_reply_store_error(cong_req_t *req, int err);

/** Load time: `cong org` (command.c), GET /v1/orgs/{code} (read.c). */
int orgs_command_register(cong_module_ctx_t *ctx);
int orgs_read_register(cong_module_ctx_t *ctx);

/** The entry point (declared for the host in gateway/host/builtin_modules.h). */
int cong_orgs_onload(cong_module_ctx_t *ctx, const cong_api_t *api);

#endif
