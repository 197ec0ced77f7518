#include "revocation.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cong/errors.h"
#include "common/common.h"
#include "gateway/stores/stores.h"
#include "token_cache.h"

static void apply(cong_worker_t *w, const char *sid, int64_t until)
{
    cong_token_cache_revoke_session(w->tokens, sid, until);
    if (w->gateway->session_ended != NULL)
        w->gateway->session_ended(w, sid);
}

/* "<sid> <until>" */
static void on_message(const char *message, size_t len, void *udata)
{
    cong_worker_t *w = udata;
    char buf[160], sid[100];
    long long until;
    if (len >= sizeof buf)
        return;
    memcpy(buf, message, len);
    buf[len] = '\0';
    if (sscanf(buf, "%99s %lld", sid, &until) == 2)
        apply(w, sid, (int64_t)until);
}

static void on_catch_up(int err, redisReply *reply, void *udata)
{
    cong_worker_t *w = udata;
    if (err != 0 || reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        w->revocation_catch_up_pending = 1;
        return;
    }
    for (size_t i = 0; i + 1 < reply->elements; i += 2)
        if (reply->element[i]->type == REDIS_REPLY_STRING && reply->element[i + 1]->type == REDIS_REPLY_STRING)
            apply(w, reply->element[i]->str, strtoll(reply->element[i + 1]->str, NULL, 10));
    w->revocation_catch_up_pending = 0;
}

static void catch_up(cong_worker_t *w)
{
    char now[24];
    snprintf(now, sizeof now, "(%lld", (long long)time(NULL));
    const char *argv[] = {"ZRANGEBYSCORE", CONG_REVOCATION_SET, now, "+inf", "WITHSCORES"};
    size_t argvlen[] = {13, strlen(CONG_REVOCATION_SET), strlen(now), 4, 10};
    w->revocation_catch_up_pending = cong_redis_command(w->redis, 5, argv, argvlen, on_catch_up, w) != 0;
}

static void on_subscribed(void *udata)
{
    catch_up(udata);
}

int cong_revocation_start(cong_worker_t *w)
{
    const cong_config_t *cfg = w->gateway->config;
    w->revocations = cong_redis_subscriber_new(&w->loop, cfg->redis.host, cfg->redis.port, cfg->redis.password,
                                               CONG_REVOCATION_CHANNEL, cfg->redis.timeout_ms, on_message,
                                               on_subscribed, w);
    return w->revocations != NULL ? 0 : CONG_ENOMEM;
}

void cong_revocation_tick(cong_worker_t *w)
{
    if (w->revocation_catch_up_pending && cong_redis_is_up(w->redis))
        catch_up(w);
}

void cong_revocation_stop(cong_worker_t *w)
{
    if (w->revocations != NULL)
        cong_redis_subscriber_close(w->revocations);
    w->revocations = NULL;
}

typedef struct publish_call {
    void (*cb)(int err, void *udata);
    void *udata;
    int pending, err;
} publish_call_t;

static void on_step_done(int err, redisReply *reply, void *udata)
{
    publish_call_t *call = udata;
    if (err == 0 && (reply == NULL || reply->type == REDIS_REPLY_ERROR))
        err = CONG_EQUERY;
    if (err != 0)
        call->err = err;
    if (--call->pending == 0) {
        if (call->err != 0)
            cong_log(CONG_LOG_ERROR, "auth", "a session revocation may not have reached every instance");
        call->cb(call->err, call->udata);
        free(call);
    }
}

int cong_revocation_publish(cong_worker_t *w, const char *sid, int64_t until, void (*cb)(int err, void *udata),
                            void *udata)
{
    char score[24], message[160], now[24];
    snprintf(score, sizeof score, "%lld", (long long)until);
    snprintf(now, sizeof now, "%lld", (long long)time(NULL));
    int n = snprintf(message, sizeof message, "%s %lld", sid, (long long)until);
    if (n <= 0 || (size_t)n >= sizeof message || strchr(sid, ' ') != NULL)
        return CONG_EINVAL;
    publish_call_t *call = calloc(1, sizeof *call);
    if (call == NULL)
        return CONG_ENOMEM;
    *call = (publish_call_t){cb, udata, 3, 0};
    const char *zadd[] = {"ZADD", CONG_REVOCATION_SET, score, sid};
    size_t zadd_len[] = {4, strlen(CONG_REVOCATION_SET), strlen(score), strlen(sid)};
    const char *trim[] = {"ZREMRANGEBYSCORE", CONG_REVOCATION_SET, "-inf", now};
    size_t trim_len[] = {16, strlen(CONG_REVOCATION_SET), 4, strlen(now)};
    const char *pub[] = {"PUBLISH", CONG_REVOCATION_CHANNEL, message};
    size_t pub_len[] = {7, strlen(CONG_REVOCATION_CHANNEL), (size_t)n};
    /* Commands on one connection run in order: the set holds the revocation before anyone hears of it. */
    int rc = cong_redis_command(w->redis, 4, zadd, zadd_len, on_step_done, call);
    if (rc != 0) {
        free(call);
        return rc;
    }
    apply(w, sid, until);
    if (cong_redis_command(w->redis, 4, trim, trim_len, on_step_done, call) != 0)
        call->pending--;
    if (cong_redis_command(w->redis, 3, pub, pub_len, on_step_done, call) != 0) {
        call->err = CONG_EUNAVAILABLE;
        call->pending--;
    }
    return 0;
}
