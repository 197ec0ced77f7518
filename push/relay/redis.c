/* push/relay/redis.c — one blocking Redis connection, reconnected with backoff (relay.h). */
#include "relay.h"

#include <sys/time.h>

#include "cong/errors.h"

#define REDIS_TIMEOUT_MS 2000
#define REDIS_BACKOFF_MIN_MS 250
#define REDIS_BACKOFF_MAX_MS 5000

void push_relay_redis_close(push_relay_redis_t *r)
{
    if (r->ctx)
        redisFree(r->ctx);
    r->ctx = NULL;
}

void push_relay_redis_down(push_relay_redis_t *r, const char *why)
{
    relay_log_failure("redis", "%s:%d: %s", r->host, r->port, why);
    push_relay_redis_close(r);
    r->backoff_ms = r->backoff_ms ? r->backoff_ms * 2 : REDIS_BACKOFF_MIN_MS;
    if (r->backoff_ms > REDIS_BACKOFF_MAX_MS)
        r->backoff_ms = REDIS_BACKOFF_MAX_MS;
    r->retry_at_ms = relay_now_ms() + r->backoff_ms;
}

int push_relay_redis_ensure(push_relay_redis_t *r)
{
    if (r->ctx)
        return CONG_OK;
    if (relay_now_ms() < r->retry_at_ms)
        return CONG_EUNAVAILABLE;
    struct timeval tv = {REDIS_TIMEOUT_MS / 1000, (REDIS_TIMEOUT_MS % 1000) * 1000};
    r->ctx = redisConnectWithTimeout(r->host, r->port, tv);
    if (!r->ctx || r->ctx->err) {
        push_relay_redis_down(r, r->ctx ? r->ctx->errstr : "out of memory");
        return CONG_EUNAVAILABLE;
    }
    redisSetTimeout(r->ctx, tv);
    if (r->backoff_ms)
        relay_log_info("redis: connected to %s:%d", r->host, r->port);
    r->backoff_ms = 0;
    return CONG_OK;
}
