/*
 * push/delivery/fcm_account.h — Google's service account key file (JSON: client_email, private_key, private_key_id,
 * token_uri, project_id), read once when the FCM adapter opens. The private key stays in auth/'s key object.
 */
#ifndef CONG_PUSH_DELIVERY_FCM_ACCOUNT_H
#define CONG_PUSH_DELIVERY_FCM_ACCOUNT_H

#include <stddef.h>

#include "auth/auth.h"

typedef struct fcm_account {
    char *client_email, *private_key_id, *token_uri, *project_id;
    cong_jwt_key_t *key; /* the RSA private key, RS256 */
} fcm_account_t;

/** Loads the JSON key file. 0, or CONG_EIO (unreadable) / CONG_EINVAL (a member missing or bad, named in err, never
 *  its value). */
int fcm_account_load(const char *path, fcm_account_t *out, char *err, size_t err_size);
void fcm_account_free(fcm_account_t *a);

#endif
