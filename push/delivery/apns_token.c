/*
 * push/delivery/apns_token.c — the cached, single-flight APNs provider token (apns_token.h).
 */
#include "apns_token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"

static void forget(apns_token_cache_t *c)
{
    if (c->jwt != NULL) {
        explicit_bzero(c->jwt, strlen(c->jwt));
        free(c->jwt);
    }
    c->jwt = NULL;
    c->iat = 0;
}

int apns_token_init(apns_token_cache_t *c, cong_jwt_key_t *key, const char *key_id, const char *team_id,
                    int refresh_s)
{
    *c = (apns_token_cache_t){.key = key, .refresh_s = refresh_s};
    snprintf(c->key_id, sizeof c->key_id, "%s", key_id);
    snprintf(c->team_id, sizeof c->team_id, "%s", team_id);
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        cong_jwt_key_free(key);
        c->key = NULL;
        return CONG_ENOMEM;
    }
    return 0;
}

void apns_token_fini(apns_token_cache_t *c)
{
    forget(c);
    cong_jwt_key_free(c->key);
    c->key = NULL;
    pthread_mutex_destroy(&c->mu);
}

/* Under c->mu. key_id and team_id were checked at open ([A-Za-z0-9._-]), so they need no JSON escaping. */
static int sign(apns_token_cache_t *c, int64_t now_s)
{
    char claims[200];
    snprintf(claims, sizeof claims, "{\"iss\":\"%s\",\"iat\":%lld}", c->team_id, (long long)now_s);
    char *jwt = NULL;
    int rc = cong_jwt_sign_es256(c->key, c->key_id, claims, &jwt);
    if (rc != 0)
        return rc;
    forget(c);
    c->jwt = jwt;
    c->iat = now_s;
    c->signatures++;
    return 0;
}

int apns_token_get(apns_token_cache_t *c, int64_t now_s, char **out)
{
    *out = NULL;
    pthread_mutex_lock(&c->mu);
    int rc = 0;
    if (c->jwt == NULL || now_s - c->iat >= c->refresh_s || now_s < c->iat)
        rc = sign(c, now_s);
    if (rc == 0 && (*out = strdup(c->jwt)) == NULL)
        rc = CONG_ENOMEM;
    pthread_mutex_unlock(&c->mu);
    return rc;
}

void apns_token_drop(apns_token_cache_t *c, const char *jwt)
{
    pthread_mutex_lock(&c->mu);
    if (c->jwt != NULL && jwt != NULL && strcmp(c->jwt, jwt) == 0)
        forget(c);
    pthread_mutex_unlock(&c->mu);
}
