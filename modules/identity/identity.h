/*
 * modules/identity/identity.h — what the identity module's files share (internal to modules/identity/).
 *
 *   identity.c       the entry point, /v1/me, sessions, logout, discovery, and the helpers below
 *   exchange.c       POST /v1/auth/vneid/exchange (the gateway verifies the ID token: api->idp_verify); an organization
 *                    account's login creates or finds the organization (org_claims.h, SQL org_login of modules/orgs)
 *   org_claims.c     the organization claims of a verified VNeID ID token (org_claims.h; pure)
 *   refresh.c        POST /v1/auth/refresh (rotation, the retry grace, lifetimes)
 *   client_token.c   POST /v1/auth/token (client credentials)
 *   client_command.c `cong client create|list|revoke|rotate-secret|finish-rotation|set-key`
 *   client_assertion.c private_key_jwt assertions: parse, claims, ES256 signature (client_assertion.h; pure)
 *   session.c        session records, session ids, refresh tokens (session.h); session_scripts.h, their Lua scripts
 *   refresh_retry.c  the answer a retried refresh gets again, sealed (refresh_retry.h)
 *   audit.c          logins, step-ups and revocations in the audit log (PostgreSQL), and in which order
 *
 * Built on include/cong/module.h alone: cong's keys, its subject secret, VNeID's keys and the revocation channel are
 * the gateway's (api->auth_settings, idp_verify, token_issue, session_revoke, ABI 1.4); sessions and refresh tokens
 * are this module's, in Redis. Everything runs on the request's worker thread. `cong_idm_api` and `cong_idm_settings`
 * are set once, by the entry point, and read-only afterwards.
 *
 * API clients (table api_clients, the gateway's; this module's migrations add the rotation and key columns). A
 * client-credentials token carries "client_id" (the client), "scope" (the client's scopes, or the narrower ones asked),
 * "sid" = "client:<client_id>" (what `cong client revoke` and `cong org suspend` revoke) and "sub": the client id, or,
 * for a client of an organization (api_clients.organization_id, modules/orgs), the organization's subject
 * "org:<organization id>": such a token acts for the organization, and principal->subject is the organization. A
 * client has one secret, or two while a rotation lasts (previous_secret_hash until previous_secret_expires_at or
 * finish-rotation); only SHA-256 digests are stored, compared in constant time, both of them on every request. A client
 * that registered a public key (api_clients.public_key_pem) may authenticate with a signed assertion instead
 * (private_key_jwt, RFC 7523; client_assertion.h); each assertion's jti is spent in Redis (cong:client-jti:<client>:
 * <SHA-256 of the jti>, until its exp), so a replay is refused on every instance.
 */
#ifndef CONG_MODULES_IDENTITY_H
#define CONG_MODULES_IDENTITY_H

#include <stdint.h>

#include "cong/module.h"
#include "session.h"

struct json_t;

#define CONG_IDM_SUBJECT_MAX 63 /* a citizen's subject as the gateway makes it (43 characters) fits with room */

extern const cong_api_t *cong_idm_api;
extern const cong_auth_settings_t *cong_idm_settings;

/** The entry point (modules/builtin.c). Without cong's issuer settings (no auth.signing_key_file) it registers no
 *  routes. Needs ABI 1.4. */
int cong_identity_onload(cong_module_ctx_t *ctx, const cong_api_t *api);

int64_t cong_idm_now(void);
/** 503 service-unavailable (a store did not answer). */
void cong_idm_store_down(cong_req_t *req);
/** EVAL of `script` with up to 8 text arguments, through the module API (cb on this worker, only while the request
 *  lives). 0, or the API's error (cb not called). */
int cong_idm_eval(cong_req_t *req, const char *script, int nargs, const char *const *args, cong_redis_cb cb, void *ud);
/** Revokes the session everywhere (api->session_revoke), then replies `status`: 204, or 401 invalid-token. */
void cong_idm_revoke_then_reply(cong_req_t *req, const char *sid, int status);

/** Writes the audit record `action` ("auth.login", "auth.step_up", "auth.session_revoke") of citizen `actor` (also its
 *  subject: their own session) on `object` ("session:<sid>"), with `detail_json` (a JSON object's text, or NULL),
 *  through api->pg_query (cb on this worker, only while the request lives; one row on success). 0, or the API's error
 *  (cb not called). Why the order of record and action matters: audit.c. */
int cong_idm_audit(cong_req_t *req, const char *actor, const char *action, const char *object,
                   const char *detail_json, cong_pg_cb cb, void *udata);

/** When a session created at `created` ends if it is refreshed at `now`: the first of its absolute lifetime and its
 *  idle timeout. */
int64_t cong_idm_session_end(int64_t created, int64_t now);

/** A citizen's session as its tokens show it. */
typedef struct cong_idm_session {
    char sid[CONG_SESSION_ID_LEN + 1];
    char subject[CONG_IDM_SUBJECT_MAX + 1];
    int loa;
    int64_t auth_time, created;
} cong_idm_session_t;

/** The token answer {access_token, token_type, expires_in, refresh_token, session_id} for the session, with a new
 *  access token that ends with the session, and the members of `extra` (borrowed, may be NULL: an organization login
 *  adds "organization"): a JSON text in the request's pool. NULL when it cannot be made. */
char *cong_idm_token_answer(cong_req_t *req, const cong_idm_session_t *s, const char *refresh, int64_t now,
                            const struct json_t *extra, size_t *len);
/** Sends a token answer (200, Cache-Control: no-store, RFC 6749 §5.1). */
void cong_idm_reply_answer(cong_req_t *req, const char *answer, size_t len);

/* the routes, by file */
void cong_idm_exchange(cong_req_t *req, void *udata);
void cong_idm_refresh(cong_req_t *req, void *udata);
void cong_idm_client_token(cong_req_t *req, void *udata);

/** Registers `cong client` (client_command.c); load time. */
int identity_client_command_register(cong_module_ctx_t *ctx, const cong_api_t *api);

#endif
