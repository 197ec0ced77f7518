/* push/worker/redis.c — a Redis reply checked, on the runtime's connection (worker.h). */
#include "worker.h"

int worker_reply_ok(relay_redis_t *r, redisReply *reply, const char *what)
{
    if (!reply) {
        relay_redis_down(r, r->ctx ? r->ctx->errstr : "no connection");
        return 0;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        relay_log_failure("redis-command", "%s: %s", what, reply->str);
        return 0;
    }
    return 1;
}
