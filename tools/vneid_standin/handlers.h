/*
 * tools/vneid_standin/handlers.h — the provider's endpoints. Each answers exactly once, through http.h.
 */
#ifndef VS_HANDLERS_H
#define VS_HANDLERS_H

#include "app.h"
#include "citizens.h"
#include "organizations.h"

#include <h2o.h>
#include <jansson.h>
#include <stdint.h>

#define VS_ID_TOKEN_TTL_S 300

/* endpoints.c */
void vs_serve_discovery(vs_app_t *app, h2o_req_t *req);
void vs_serve_jwks(vs_app_t *app, h2o_req_t *req);
void vs_serve_rotate(vs_app_t *app, h2o_req_t *req);
void vs_serve_healthz(vs_app_t *app, h2o_req_t *req);
void vs_serve_test_mint(vs_app_t *app, h2o_req_t *req);

/* authorize.c: GET shows the login page, POST issues the code. */
void vs_serve_authorize(vs_app_t *app, h2o_req_t *req);

/* token.c */
void vs_serve_token(vs_app_t *app, h2o_req_t *req);
/** The ID token claims VNeID would give for this citizen at this level — signing in to organization `org`'s account
 *  as its representative when org is not NULL (organizations.h names the claims it adds). nonce may be NULL or "".
 *  NULL when out of memory or randomness. */
json_t *vs_id_token_claims(const vs_app_t *app, const vs_citizen_t *citizen, const vs_organization_t *org, int level,
                           const char *nonce, int64_t auth_time, int64_t now);

#endif
