/*
 * auth/jwt_alg.c — the JWS algorithm names cong accepts, and which key kind each one needs.
 */
#include "jwt_key_internal.h"

#include "cong/errors.h"

#include <string.h>

static const char *const names[] = {
    [CONG_JWT_ALG_ES256] = "ES256",
    [CONG_JWT_ALG_RS256] = "RS256",
    [CONG_JWT_ALG_PS256] = "PS256",
};

const char *cong_jwt_alg_name(cong_jwt_alg_t alg)
{
    if ((unsigned)alg >= sizeof names / sizeof names[0])
        return NULL;
    return names[alg];
}

int cong_jwt_alg_parse(const char *name, cong_jwt_alg_t *out)
{
    if (!name || !out)
        return CONG_EINVAL;
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (names[i] && strcmp(name, names[i]) == 0) {
            *out = (cong_jwt_alg_t)i;
            return CONG_OK;
        }
    }
    return CONG_EINVAL;
}

int cong_jwt_alg_fits(cong_jwt_alg_t alg, cong_jwt_key_kind_t kind)
{
    switch (alg) {
    case CONG_JWT_ALG_ES256:
        return kind == CONG_JWT_KEY_EC_P256;
    case CONG_JWT_ALG_RS256:
    case CONG_JWT_ALG_PS256:
        return kind == CONG_JWT_KEY_RSA;
    }
    return 0;
}
