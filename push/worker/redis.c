/* push/worker/redis.c — one blocking Redis connection, reconnected with backoff (worker.h). */
#include "worker.h"

#include <sys/time.h>

#include "cong/errors.h"

#define REDIS_BACKOFF_MIN_MS 250
#define REDIS_BACKOFF_MAX_MS 5000

void worker_redis_close(worker_redis_t *r)
{
    if (r->ctx)
        redisFree(r->ctx);
    r->ctx = NULL;
}

void worker_redis_down(worker_redis_t *r, const char *why)
{
    relay_log_failure("redis", "%s:%d: %s", r->host, r->port, why);
    worker_redis_close(r);
    r->backoff_ms = r->backoff_ms ? r->backoff_ms * 2 : REDIS_BACKOFF_MIN_MS;
    if (r->backoff_ms > REDIS_BACKOFF_MAX_MS)
        r->backoff_ms = REDIS_BACKOFF_MAX_MS;
    r->retry_at_ms = relay_now_ms() + r->backoff_ms;
}

int worker_redis_ensure(worker_redis_t *r)
{
    if (r->ctx)
        return CONG_OK;
    if (relay_now_ms() < r->retry_at_ms)
        return CONG_EUNAVAILABLE;
    struct timeval tv = {r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000};
    r->ctx = redisConnectWithTimeout(r->host, r->port, tv);
    if (!r->ctx || r->ctx->err) {
        worker_redis_down(r, r->ctx ? r->ctx->errstr : "out of memory");
        return CONG_EUNAVAILABLE;
    }
    redisSetTimeout(r->ctx, tv);
    if (r->backoff_ms)
        relay_log_info("redis: connected to %s:%d", r->host, r->port);
    r->backoff_ms = 0;
    r->generation++;
    return CONG_OK;
}

int worker_reply_ok(worker_redis_t *r, redisReply *reply, const char *what)
{
    if (!reply) {
        worker_redis_down(r, r->ctx ? r->ctx->errstr : "no connection");
        return 0;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        relay_log_failure("redis-command", "%s: %s", what, reply->str);
        return 0;
    }
    return 1;
}
