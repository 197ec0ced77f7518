/*
 * auth/identity_module.h — what the identity module's files share (auth/identity_*.c; internal to them).
 *
 *   identity_routes.c    registration, /v1/me, sessions, logout, discovery, and the helpers below
 *   identity_exchange.c  POST /v1/auth/vneid/exchange (waits for VNeID's keys after a rotation)
 *   identity_refresh.c   POST /v1/auth/refresh (rotation, the retry grace, lifetimes)
 *   identity_clients.c   POST /v1/auth/token (client credentials)
 *
 * Everything runs on the request's worker thread. `cong_idm_api` and `cong_idm_identity` are set once, before any
 * request (cong_identity_module_use, cong_identity_module_onload), and read-only afterwards.
 */
#ifndef CONG_AUTH_IDENTITY_MODULE_H
#define CONG_AUTH_IDENTITY_MODULE_H

#include <stdint.h>

#include "cong/module.h"
#include "identity.h"
#include "session.h"

extern const cong_api_t *cong_idm_api;
extern const cong_identity_t *cong_idm_identity;

int64_t cong_idm_now(void);
/** 503 service-unavailable (a store did not answer). */
void cong_idm_store_down(cong_req_t *req);
/** EVAL of `script` with up to 8 text arguments, through the module API (cb on this worker, only while the request
 *  lives). 0, or the API's error (cb not called). */
int cong_idm_eval(cong_req_t *req, const char *script, int nargs, const char *const *args, cong_redis_cb cb, void *ud);
/** Publishes the session's revocation to every instance, then replies `status`: 204, or 401 invalid-token. */
void cong_idm_revoke_then_reply(cong_req_t *req, const char *sid, int status);

/** When a session created at `created` ends if it is refreshed at `now`: the first of its absolute lifetime and its
 *  idle timeout. */
int64_t cong_idm_session_end(int64_t created, int64_t now);

/** A citizen's session as its tokens show it. */
typedef struct cong_idm_session {
    char sid[CONG_SESSION_ID_LEN + 1];
    char subject[CONG_SUBJECT_LEN + 1];
    int loa;
    int64_t auth_time, created;
} cong_idm_session_t;

/** The token answer {access_token, token_type, expires_in, refresh_token, session_id} for the session, with a new
 *  access token that ends with the session: a JSON text in the request's pool. NULL when it cannot be made. */
char *cong_idm_token_answer(cong_req_t *req, const cong_idm_session_t *s, const char *refresh, int64_t now,
                            size_t *len);
/** Sends a token answer (200, Cache-Control: no-store, RFC 6749 §5.1). */
void cong_idm_reply_answer(cong_req_t *req, const char *answer, size_t len);

/* the routes, by file */
void cong_idm_exchange(cong_req_t *req, void *udata);
void cong_idm_refresh(cong_req_t *req, void *udata);
void cong_idm_client_token(cong_req_t *req, void *udata);

#endif
