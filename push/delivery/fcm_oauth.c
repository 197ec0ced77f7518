/*
 * push/delivery/fcm_oauth.c — the OAuth 2.0 access token for FCM, cached and fetched single-flight (contract in
 * fcm_oauth.h). The fetch is a blocking libcurl call made outside the mutex by the one caller that fetches; the token
 * endpoint is usually another host than FCM's, so it does not share the messages' connection.
 */
#include "fcm_oauth.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cong/errors.h"

#define FCM_SCOPE "https://www.googleapis.com/auth/firebase.messaging"
#define GRANT_TYPE "urn:ietf:params:oauth:grant-type:jwt-bearer"
#define ASSERTION_LIFE_S 3600
#define EARLY_REFRESH_S 60 /* a token is dropped this long before Google says it expires */

int64_t fcm_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int fcm_token_cache_init(fcm_token_cache_t *c)
{
    *c = (fcm_token_cache_t){0};
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return CONG_ENOMEM;
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&c->fetched, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0)
        return CONG_ENOMEM;
    if (pthread_mutex_init(&c->mutex, NULL) != 0)
        return pthread_cond_destroy(&c->fetched), CONG_ENOMEM;
    return 0;
}

void fcm_token_cache_destroy(fcm_token_cache_t *c)
{
    pthread_mutex_destroy(&c->mutex);
    pthread_cond_destroy(&c->fetched);
    memset(c->token, 0, sizeof c->token);
}

/* The signed assertion (malloc'd), or NULL. */
static char *make_assertion(const fcm_account_t *a)
{
    json_int_t iat = (json_int_t)time(NULL);
    json_t *claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", a->client_email, "scope", FCM_SCOPE, "aud",
                               a->token_uri, "iat", iat, "exp", iat + ASSERTION_LIFE_S);
    char *text = claims != NULL ? json_dumps(claims, JSON_COMPACT) : NULL;
    char *jwt = NULL;
    if (text == NULL || cong_jwt_sign(a->key, CONG_JWT_ALG_RS256, a->private_key_id, text, &jwt) != 0)
        jwt = NULL;
    free(text);
    json_decref(claims);
    return jwt;
}

/* Reads Google's answer into token/expires_in; 0, or -1 with why in err. */
static int read_token_answer(long status, const fcm_answer_buf_t *buf, char *token, long *expires_in, char *err,
                             size_t err_size)
{
    json_t *doc = buf->body != NULL ? json_loadb(buf->body, buf->len, 0, NULL) : NULL;
    const char *access = json_string_value(json_object_get(doc, "access_token"));
    json_t *exp = json_object_get(doc, "expires_in");
    int rc = -1;
    if (status == 200 && access != NULL && strlen(access) < FCM_ACCESS_TOKEN_MAX && json_is_integer(exp)) {
        snprintf(token, FCM_ACCESS_TOKEN_MAX, "%s", access);
        *expires_in = (long)json_integer_value(exp);
        rc = 0;
    } else {
        const char *error = json_string_value(json_object_get(doc, "error")); /* invalid_grant..., no secret */
        snprintf(err, err_size, "token endpoint: %ld %.32s", status, error != NULL ? error : "");
    }
    json_decref(doc);
    return rc;
}

/* One exchange at the token endpoint (blocking, bounded by deadline_ms). 0 with token and expires_in, or -1. */
static int fetch_token(const fcm_account_t *a, const fcm_transport_t *t, int64_t deadline_ms, char *token,
                       long *expires_in, char *err, size_t err_size)
{
    char *jwt = make_assertion(a);
    if (jwt == NULL)
        return snprintf(err, err_size, "cannot sign the assertion"), -1;
    size_t form_len = strlen(jwt) + sizeof "grant_type=" GRANT_TYPE "&assertion=";
    char *form = malloc(form_len);
    CURL *e = form != NULL ? curl_easy_init() : NULL;
    int rc = -1;
    if (e == NULL) {
        snprintf(err, err_size, "out of memory");
    } else {
        snprintf(form, form_len, "grant_type=%s&assertion=%s", GRANT_TYPE, jwt); /* base64url and dots: no escaping */
        fcm_answer_buf_t buf;
        fcm_http_setup(e, t, a->token_uri, (long)(deadline_ms - fcm_now_ms()), &buf);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, form);
        CURLcode code = curl_easy_perform(e);
        long status = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        if (code != CURLE_OK)
            snprintf(err, err_size, "token endpoint: %s", code == CURLE_OPERATION_TIMEDOUT ? "timeout" : "unreachable");
        else
            rc = read_token_answer(status, &buf, token, expires_in, err, err_size);
        fcm_answer_buf_free(&buf);
        curl_easy_cleanup(e);
    }
    if (form != NULL)
        memset(form, 0, form_len);
    free(form);
    free(jwt);
    return rc;
}

static int cached(const fcm_token_cache_t *c)
{
    return c->valid_until_ms > 0 && fcm_now_ms() < c->valid_until_ms;
}

/* Called with the mutex held by the caller that fetches; releases it during the exchange. */
static void fetch_locked(fcm_token_cache_t *c, const fcm_account_t *a, const fcm_transport_t *t, int64_t deadline_ms)
{
    c->fetching = 1;
    pthread_mutex_unlock(&c->mutex);
    char token[FCM_ACCESS_TOKEN_MAX], why[sizeof c->last_error] = "";
    long expires_in = 0;
    int rc = fetch_token(a, t, deadline_ms, token, &expires_in, why, sizeof why);
    int64_t now = fcm_now_ms();
    pthread_mutex_lock(&c->mutex);
    c->fetching = 0;
    c->flight++;
    c->last_failed = rc != 0;
    snprintf(c->last_error, sizeof c->last_error, "%s", why);
    if (rc == 0) {
        memcpy(c->token, token, sizeof token);
        /* A token about to expire is still used once (this batch), then fetched again. */
        long life_s = expires_in > EARLY_REFRESH_S ? expires_in - EARLY_REFRESH_S : 0;
        c->valid_until_ms = life_s > 0 ? now + life_s * 1000 : now + 1;
        c->generation++;
        c->fetches++;
    }
    memset(token, 0, sizeof token);
    pthread_cond_broadcast(&c->fetched);
}

int fcm_token_get(fcm_token_cache_t *c, const fcm_account_t *a, const fcm_transport_t *t, int64_t deadline_ms,
                  char *token, uint64_t *generation, char *err, size_t err_size)
{
    pthread_mutex_lock(&c->mutex);
    int failed = 0;
    if (!cached(c)) {
        if (c->fetching) {
            uint64_t flight = c->flight;
            struct timespec until = {.tv_sec = deadline_ms / 1000, .tv_nsec = (deadline_ms % 1000) * 1000000};
            int w = 0;
            while (c->fetching && c->flight == flight && w != ETIMEDOUT)
                w = pthread_cond_timedwait(&c->fetched, &c->mutex, &until);
            failed = c->flight == flight || c->last_failed; /* timed out waiting, or the one fetch failed */
        } else {
            fetch_locked(c, a, t, deadline_ms);
            failed = c->last_failed;
        }
    }
    int rc = 0;
    if (failed || c->valid_until_ms == 0) {
        snprintf(err, err_size, "%s", c->last_error[0] != '\0' ? c->last_error : "token endpoint: timeout");
        rc = CONG_EUNAVAILABLE;
    } else {
        memcpy(token, c->token, FCM_ACCESS_TOKEN_MAX);
        *generation = c->generation;
    }
    pthread_mutex_unlock(&c->mutex);
    return rc;
}

void fcm_token_drop(fcm_token_cache_t *c, uint64_t generation)
{
    pthread_mutex_lock(&c->mutex);
    if (c->generation == generation)
        c->valid_until_ms = 0;
    pthread_mutex_unlock(&c->mutex);
}
