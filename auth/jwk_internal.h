/*
 * auth/jwk_internal.h — one JSON Web Key (RFC 7517/7518) to and from a cong_jwt_key_t; shared by auth/jwks*.c only.
 */
#ifndef CONG_AUTH_JWK_INTERNAL_H
#define CONG_AUTH_JWK_INTERNAL_H

#include "jwt_key_internal.h"

#include <jansson.h>

/* Builds a public verification key from one JWK object, without looking at "kid" (see cong_jwks_parse for the rules).
 * Returns 0 with key->pkey owned by *key, CONG_EINVAL when the JWK is not a usable signature key (skip it), or
 * CONG_ENOMEM. */
int cong_jwk_import(const json_t *jwk, cong_jwt_key_t *key);

/* Sets the public members of `key` on `jwk`: "kty" and "crv","x","y" (EC) or "n","e" (RSA). Returns 0, CONG_EINVAL
 * or CONG_ENOMEM. */
int cong_jwk_export_public(const cong_jwt_key_t *key, json_t *jwk);

#endif
