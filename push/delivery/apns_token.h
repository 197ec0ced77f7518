/*
 * push/delivery/apns_token.h — the APNs provider token (Apple's "Establishing a token-based connection to APNs"): an
 * ES256 JWT, header {alg ES256, kid}, claims {iss team id, iat}, signed with the team's .p8 key (auth/), cached and
 * reused until refresh_s after its iat. Apple refuses a token an hour old (403 ExpiredProviderToken) and answers 429
 * TooManyProviderTokenUpdates to a new one less than 20 minutes after the previous, so refresh_s is 1200..3600.
 *
 * Single-flight: the cache's mutex is held while signing, so however many callers find it stale at once, one
 * signature is made and the others wait for it and take that token. Thread-safe; apns.c owns one per adapter.
 */
#ifndef CONG_PUSH_DELIVERY_APNS_TOKEN_H
#define CONG_PUSH_DELIVERY_APNS_TOKEN_H

#include <pthread.h>
#include <stdint.h>

#include "auth/auth.h"

#define APNS_TOKEN_REFRESH_MIN_S 1200
#define APNS_TOKEN_REFRESH_MAX_S 3600

typedef struct apns_token_cache {
    pthread_mutex_t mu;
    cong_jwt_key_t *key;  /* owned: the .p8 */
    char key_id[129], team_id[129];
    int refresh_s;
    char *jwt;            /* the current token (malloc'd) or NULL */
    int64_t iat;          /* its iat */
    unsigned signatures;  /* how many tokens were signed (for tests and logs) */
} apns_token_cache_t;

/** Takes ownership of key (an EC P-256 private key). 0, or CONG_ENOMEM (key freed). */
int apns_token_init(apns_token_cache_t *c, cong_jwt_key_t *key, const char *key_id, const char *team_id,
                    int refresh_s);
void apns_token_fini(apns_token_cache_t *c);

/** A copy of the current token at now_s (signed anew if there is none or it is refresh_s old), in *out (caller
 *  frees, it is a credential: wipe it). 0, or a negative CONG_E* code when it could not be signed. */
int apns_token_get(apns_token_cache_t *c, int64_t now_s, char **out);

/** APNs refused `jwt` (403 Expired/InvalidProviderToken): forget it if it is still the current token, so the next
 *  get signs a new one. A token refused once is refused for every message: dropping it only when it is the current
 *  one makes a whole batch refused at once cause a single new signature. */
void apns_token_drop(apns_token_cache_t *c, const char *jwt);

#endif
