/*
 * tests/fuzz/fuzz_jwks.c — libFuzzer target for auth/: JWKS parsing (cong_jwks_parse) and publishing.
 *
 * Every input is parsed as a JWKS document. Oracles beyond "no crash, no leak":
 *   - a parsed set has 1..CONG_JWKS_MAX_KEYS keys, each with a well-formed kid that finds exactly that key, a public
 *     key only, and a pinned algorithm that suits the key's kind;
 *   - publishing the set and parsing the result gives the same kids and algorithms, and publishing that again gives
 *     the same text (the encoder and the parser agree, and nothing is lost or invented on the way);
 *   - a parse failure is one of the documented codes.
 */
#include "auth/auth.h"
#include "cong/module.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int kid_ok(const char *kid)
{
    size_t n = strlen(kid);
    if (n == 0 || n > CONG_JWK_KID_MAX)
        return 0;
    return strspn(kid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static int fits(cong_jwt_alg_t alg, cong_jwt_key_kind_t kind)
{
    return kind == CONG_JWT_KEY_EC_P256 ? alg == CONG_JWT_ALG_ES256
                                        : kind == CONG_JWT_KEY_RSA &&
                                              (alg == CONG_JWT_ALG_RS256 || alg == CONG_JWT_ALG_PS256);
}

/* Publishes every key of `set` (kids and pinned algorithms as parsed). Returns the malloc'd document. */
static char *publish(const cong_jwks_t *set)
{
    size_t n = cong_jwks_count(set);
    const cong_jwt_key_t *keys[CONG_JWKS_MAX_KEYS];
    const char *kids[CONG_JWKS_MAX_KEYS];
    cong_jwt_alg_t algs[CONG_JWKS_MAX_KEYS];
    for (size_t i = 0; i < n; i++) {
        keys[i] = cong_jwks_key(set, i);
        kids[i] = cong_jwks_kid(set, i);
        algs[i] = cong_jwt_key_alg(keys[i]);
    }
    char *doc = NULL;
    if (cong_jwks_public_json(keys, n, kids, algs, &doc) != CONG_OK)
        abort();
    return doc;
}

static void check_set(const cong_jwks_t *set)
{
    size_t n = cong_jwks_count(set);
    if (n == 0 || n > CONG_JWKS_MAX_KEYS || cong_jwks_kid(set, n) || cong_jwks_key(set, n))
        abort();
    for (size_t i = 0; i < n; i++) {
        const char *kid = cong_jwks_kid(set, i);
        const cong_jwt_key_t *key = cong_jwks_key(set, i);
        if (!kid || !kid_ok(kid) || cong_jwks_find(set, kid, strlen(kid)) != key || cong_jwt_key_is_private(key) ||
            !fits(cong_jwt_key_alg(key), cong_jwt_key_kind(key)))
            abort();
    }
}

static void check_round_trip(const cong_jwks_t *set)
{
    char *doc = publish(set);
    cong_jwks_t *again = NULL;
    if (cong_jwks_parse(doc, strlen(doc), &again) != CONG_OK || cong_jwks_count(again) != cong_jwks_count(set) ||
        cong_jwks_skipped(again) != 0)
        abort();
    for (size_t i = 0; i < cong_jwks_count(set); i++)
        if (strcmp(cong_jwks_kid(set, i), cong_jwks_kid(again, i)) != 0 ||
            cong_jwt_key_alg(cong_jwks_key(set, i)) != cong_jwt_key_alg(cong_jwks_key(again, i)) ||
            cong_jwt_key_kind(cong_jwks_key(set, i)) != cong_jwt_key_kind(cong_jwks_key(again, i)))
            abort();
    char *doc2 = publish(again);
    if (strcmp(doc, doc2) != 0)
        abort();
    free(doc2);
    free(doc);
    cong_jwks_release(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cong_jwks_t *set = (cong_jwks_t *)1;
    int rc = cong_jwks_parse((const char *)data, size, &set);
    if (rc != CONG_OK) {
        if (set != NULL || (rc != CONG_EPARSE && rc != CONG_ETOOBIG && rc != CONG_EEXIST && rc != CONG_ENOTFOUND &&
                            rc != CONG_ENOMEM))
            abort();
        return 0;
    }
    check_set(set);
    /* Shared references behave: the set survives its first release while a second reference is held. */
    cong_jwks_t *second = cong_jwks_retain(set);
    cong_jwks_release(set);
    check_round_trip(second);
    cong_jwks_release(second);
    return 0;
}
