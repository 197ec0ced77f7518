/*
 * tests/unit/auth/upstream_token_fixture.h — what the upstream-token tests share: cong's own identity with a fresh
 * P-256 signing key (kid "own-1", issuer ISS, a fixed subject secret) and the public keyset it publishes (own_set),
 * made by setup and freed by teardown (cmocka group fixtures). Include after cmocka.h and auth_test_helpers.h.
 */
#ifndef CONG_TEST_UPSTREAM_TOKEN_FIXTURE_H
#define CONG_TEST_UPSTREAM_TOKEN_FIXTURE_H

#include <string.h>

#include "auth/auth.h"
#include "auth/identity.h"
#include "auth/jwt_key_internal.h"
#include "auth/upstream_token.h"

#define NOW 1760000000LL
#define ISS "https://id.cong.test"

static cong_identity_t id;
static cong_jwks_t *own_set;

static int setup(void **state)
{
    (void)state;
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    size_t len = 0;
    char *pem = pem_of(pkey, 1, &len);
    assert_int_equal(cong_jwt_key_load_private_pem(pem, len, &id.signing), CONG_OK);
    free(pem);
    EVP_PKEY_free(pkey);
    strcpy(id.kid, "own-1");
    id.issuer = (char *)ISS;
    memset(id.secret, 7, 32);
    id.secret_len = 32;
    const cong_jwt_key_t *keys[] = {id.signing};
    const char *kids[] = {"own-1"};
    char *json = NULL;
    assert_int_equal(cong_jwks_public_json(keys, 1, kids, NULL, &json), CONG_OK);
    assert_int_equal(cong_jwks_parse(json, strlen(json), &own_set), CONG_OK);
    free(json);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cong_jwt_key_free(id.signing);
    cong_jwks_release(own_set);
    return 0;
}

#endif
