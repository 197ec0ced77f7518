/*
 * push/delivery/fcm_oauth.h — the FCM adapter's credential: Google's service account key file, and the OAuth 2.0
 * access token obtained with it ("Using OAuth 2.0 for Server to Server Applications": an RS256 JWT {iss, scope, aud,
 * iat, exp = iat + 3600} with kid = private_key_id, exchanged at token_uri for a bearer token).
 *
 * The token is cached until 60 s before Google's expires_in, and fetched single-flight: the first caller that finds
 * no valid token fetches, the others wait on the condition variable for that one fetch and share its outcome (a
 * failed fetch is not repeated by each waiter). The cache is the adapter's; every member is guarded by its mutex.
 */
#ifndef CONG_PUSH_DELIVERY_FCM_OAUTH_H
#define CONG_PUSH_DELIVERY_FCM_OAUTH_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "fcm_account.h"
#include "fcm_http.h"

#define FCM_ACCESS_TOKEN_MAX 2048

typedef struct fcm_token_cache {
    pthread_mutex_t mutex;
    pthread_cond_t fetched;         /* broadcast when a fetch ends */
    int fetching;                   /* a fetch is under way (by one caller, outside the mutex) */
    uint64_t flight;                /* fetches ended so far: a waiter sees its fetch end when it changes */
    int last_failed;                /* the latest fetch failed */
    char last_error[64];            /* and why ("token endpoint: invalid_grant", "token endpoint unreachable") */
    char token[FCM_ACCESS_TOKEN_MAX];
    int64_t valid_until_ms;         /* monotonic; 0: no token */
    uint64_t generation;            /* which token is cached: a 401 drops only the token it was seen with */
    int64_t fetches;                /* tokens fetched (successes), for the logs */
} fcm_token_cache_t;

int fcm_token_cache_init(fcm_token_cache_t *c);
void fcm_token_cache_destroy(fcm_token_cache_t *c);

/** A valid access token into token[FCM_ACCESS_TOKEN_MAX] and its generation, fetching it (or waiting for the fetch
 *  under way) before the monotonic deadline_ms. 0, or CONG_EUNAVAILABLE with why in err (no secret in it). */
int fcm_token_get(fcm_token_cache_t *c, const fcm_account_t *a, const fcm_transport_t *t, int64_t deadline_ms,
                  char *token, uint64_t *generation, char *err, size_t err_size);
/** Forgets the cached token if it is still the one of `generation` (a 401 answered it). */
void fcm_token_drop(fcm_token_cache_t *c, uint64_t generation);

/** Monotonic milliseconds. */
int64_t fcm_now_ms(void);

#endif
