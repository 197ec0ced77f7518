/*
 * gateway/host/module_api_identity.h — (internal to gateway/host/) the identity members of the module ABI (1.4): the
 * host's side of signing people in.
 *
 * cong's signing keys, its subject secret, VNeID's keys and the revocation channel stay here, in the host; a module
 * (modules/identity/ first, mandates and payments next) asks for what it needs through the API table:
 *   auth_settings   module_api_identity.c   the auth.* settings and the published JWKS
 *   idp_verify      idp_verify.c            a VNeID ID token → a pseudonymous subject (waits for a key rotation)
 *   token_issue     module_api_identity.c   a cong access token signed with the current key
 *   session_revoke  module_api_identity.c   a session refused everywhere (revocation.h)
 *   mandate_covers  module_api_mandate.c    (1.5) does the request's mandate cover a procedure or domain
 * Contracts (ownership, threads, errors) are in include/cong/module.h.
 */
#ifndef CONG_GATEWAY_MODULE_API_IDENTITY_H
#define CONG_GATEWAY_MODULE_API_IDENTITY_H

#include "cong/module.h"

const cong_auth_settings_t *cong_api_auth_settings(cong_module_ctx_t *ctx);
int cong_api_idp_verify(cong_req_t *req, const char *id_token, size_t len, cong_idp_cb cb, void *udata);
int cong_api_token_issue(cong_req_t *req, const cong_token_grant_t *grant, char **token, long long *expires_at);
int cong_api_session_revoke(cong_req_t *req, const char *session_id, cong_revoke_cb cb, void *udata);
/* 1.5, module_api_mandate.c: the procedure scope of the request's mandate, from its token */
int cong_api_mandate_covers(cong_req_t *req, const char *procedure_code, const char *domain);

#endif
