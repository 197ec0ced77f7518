/* common/relay_runtime/redis.c — one blocking Redis connection, reconnected with backoff (relay_runtime.h). */
#include "relay_runtime.h"

#include <sys/time.h>

#include "cong/errors.h"

#define REDIS_DEFAULT_TIMEOUT_MS 2000
#define REDIS_BACKOFF_MIN_MS 250
#define REDIS_BACKOFF_MAX_MS 5000

void relay_redis_close(relay_redis_t *r)
{
    if (r->ctx)
        redisFree(r->ctx);
    r->ctx = NULL;
}

void relay_redis_down(relay_redis_t *r, const char *why)
{
    relay_log_failure("redis", "%s:%d: %s", r->host, r->port, why);
    relay_redis_close(r);
    r->backoff_ms = r->backoff_ms ? r->backoff_ms * 2 : REDIS_BACKOFF_MIN_MS;
    if (r->backoff_ms > REDIS_BACKOFF_MAX_MS)
        r->backoff_ms = REDIS_BACKOFF_MAX_MS;
    r->retry_at_ms = relay_now_ms() + r->backoff_ms;
}

int relay_redis_ensure(relay_redis_t *r)
{
    if (r->ctx)
        return CONG_OK;
    if (relay_now_ms() < r->retry_at_ms)
        return CONG_EUNAVAILABLE;
    int timeout_ms = r->timeout_ms > 0 ? r->timeout_ms : REDIS_DEFAULT_TIMEOUT_MS;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    r->ctx = redisConnectWithTimeout(r->host, r->port, tv);
    if (!r->ctx || r->ctx->err) {
        relay_redis_down(r, r->ctx ? r->ctx->errstr : "out of memory");
        return CONG_EUNAVAILABLE;
    }
    redisSetTimeout(r->ctx, tv);
    if (r->backoff_ms)
        relay_log_info("redis: connected to %s:%d", r->host, r->port);
    r->backoff_ms = 0;
    r->generation++;
    return CONG_OK;
}
