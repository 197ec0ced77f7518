/*
 * auth/jwt_key_internal.h — the layout of cong_jwt_key_t, shared by auth/jwt_*.c only.
 */
#ifndef CONG_AUTH_JWT_KEY_INTERNAL_H
#define CONG_AUTH_JWT_KEY_INTERNAL_H

#include "auth.h"

#include <openssl/evp.h>

/* An EC P-256 key for ES256, immutable after load (so it may be used from several threads at once). */
struct cong_jwt_key {
    EVP_PKEY *pkey;
    int has_private; /* loaded from a private key PEM: may sign */
};

#endif
