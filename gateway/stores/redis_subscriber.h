/*
 * gateway/stores/redis_subscriber.h — a Redis Pub/Sub subscription on a worker loop that never stops silently.
 *
 * It keeps its own connection (a subscribed connection can do nothing else), subscribes to one channel and calls
 * on_message for every message. While subscribed it sends a PING every second; a PONG that does not come within
 * ping_timeout_ms means the subscription is dead even if its socket looks open (a frozen peer, a middlebox that
 * dropped the flow), so the connection is dropped. TCP keepalive is on as well. Lost or dropped, it reconnects with
 * backoff (50 ms doubling to 2 s) and subscribes again; after every (re)subscription it calls on_subscribed, so the
 * owner can re-read what it may have missed (messages published while nobody listens are lost by Redis).
 * Callbacks run on the loop's thread; `message` is valid only during the callback.
 */
#ifndef CONG_GATEWAY_REDIS_SUBSCRIBER_H
#define CONG_GATEWAY_REDIS_SUBSCRIBER_H

#include <stddef.h>
#include <uv.h>

#define CONG_REDIS_SUBSCRIBER_PING_INTERVAL_MS 1000

typedef struct cong_redis_subscriber cong_redis_subscriber_t;
typedef void (*cong_redis_message_cb)(const char *message, size_t len, void *udata);
typedef void (*cong_redis_subscribed_cb)(void *udata);

/** Strings are copied. NULL on allocation failure. */
cong_redis_subscriber_t *cong_redis_subscriber_new(uv_loop_t *loop, const char *host, int port, const char *password,
                                                   const char *channel, int ping_timeout_ms,
                                                   cong_redis_message_cb on_message,
                                                   cong_redis_subscribed_cb on_subscribed, void *udata);
/** 1 while subscribed. */
int cong_redis_subscriber_is_up(const cong_redis_subscriber_t *s);
/** Times a subscription that was up was lost or went silent past its PING deadline (each followed by a new one). */
unsigned long cong_redis_subscriber_drops(const cong_redis_subscriber_t *s);
/** Stops and frees once its handles are closed (run the loop afterwards). */
void cong_redis_subscriber_close(cong_redis_subscriber_t *s);

#endif
