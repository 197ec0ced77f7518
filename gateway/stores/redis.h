/*
 * gateway/stores/redis.h — one asynchronous Redis connection per worker loop (hiredis + libuv).
 *
 * Every command has a timeout. While the connection is down, commands fail at once with CONG_EUNAVAILABLE (the
 * caller answers 503); the client reconnects by itself with exponential backoff (50 ms doubling to 2 s). A command
 * that times out also drops the connection (a Redis that does not answer is treated as down), and every command still
 * under way then completes with an error. Callbacks run on the loop's thread.
 *
 * Contract: if cong_redis_command returns 0, `cb` is called exactly once, later (never inside the call); otherwise it
 * is never called. `reply` is owned by the client and valid only during the callback (NULL when err != 0).
 * A Redis error reply is delivered as err == 0 with reply->type == REDIS_REPLY_ERROR.
 */
#ifndef CONG_GATEWAY_REDIS_H
#define CONG_GATEWAY_REDIS_H

#include <stddef.h>
#include <uv.h>

struct redisReply;
typedef struct cong_redis cong_redis_t;
typedef void (*cong_redis_reply_cb)(int err, struct redisReply *reply, void *udata);

/** Creates the client and starts connecting. Strings are copied. Returns NULL on allocation failure. */
cong_redis_t *cong_redis_new(uv_loop_t *loop, const char *host, int port, const char *password, int timeout_ms);
/** Sends a command with binary-safe arguments (copied). Returns 0, CONG_EUNAVAILABLE, CONG_ENOMEM, CONG_EINVAL. */
int cong_redis_command(cong_redis_t *r, int argc, const char *const *argv, const size_t *argvlen,
                       cong_redis_reply_cb cb, void *udata);
/** 1 when connected (and authenticated). */
int cong_redis_is_up(const cong_redis_t *r);
/** Times the connection was lost since start. */
unsigned long cong_redis_disconnects(const cong_redis_t *r);
/** Stops reconnecting, fails what is under way (callbacks are called with CONG_EUNAVAILABLE) and frees the client
 *  once its handles are closed; run the loop until it has no active handles afterwards. */
void cong_redis_close(cong_redis_t *r);

#endif
