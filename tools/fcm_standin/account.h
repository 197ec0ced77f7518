/*
 * tools/fcm_standin/account.h — the service account the stand-in FCM trusts: Google's JSON key file (type
 * service_account: client_email, private_key, private_key_id, token_uri, project_id), as
 * tools/fcm_standin/make-service-account.sh writes it and as Firebase's console hands it out.
 *
 * Only the public half of the key is kept: the private key is read once, its public key published as a one-key JWKS
 * and parsed back with auth/ (the same verifier cong trusts for its own tokens), then freed. No h2o, no I/O but the
 * file: linked into the unit-tested rules library (fcm_standin_rules).
 */
#ifndef FCM_ACCOUNT_H
#define FCM_ACCOUNT_H

#include "auth/auth.h"

#define FCM_EMAIL_MAX 255
#define FCM_URI_MAX 1024
#define FCM_PROJECT_MAX 128
#define FCM_KEY_ID_MAX 128

typedef struct fcm_account {
    cong_jwks_t *keyset;       /* one RSA key (RS256), kid = key_id or "standin" */
    const cong_jwt_key_t *key; /* borrowed from keyset */
    char client_email[FCM_EMAIL_MAX + 1]; /* the assertion's "iss" */
    char token_uri[FCM_URI_MAX + 1];      /* the assertion's "aud" */
    char project_id[FCM_PROJECT_MAX + 1]; /* the one project of /v1/projects/{project}/messages:send */
    char key_id[FCM_KEY_ID_MAX + 1];      /* private_key_id: a header "kid", when present, must equal it; "" if none */
} fcm_account_t;

/** Reads the JSON key file at path. 0, or -1 with *problem set to a static sentence (never quoting the key). */
int fcm_account_load(const char *path, fcm_account_t *out, const char **problem);
/** The same from the file's text (len bytes). */
int fcm_account_parse(const char *json, size_t len, fcm_account_t *out, const char **problem);
void fcm_account_free(fcm_account_t *a);

#endif
