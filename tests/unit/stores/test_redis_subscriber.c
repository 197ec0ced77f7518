/* The revocation subscriber (gateway/stores/redis_subscriber.c) against the real Redis started by scripts/test.sh
 * (TEST_REDIS_PORT), and against a stand-in that confirms SUBSCRIBE and then answers nothing. Each test runs its own
 * libuv loop. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "gateway/stores/redis_subscriber.h"

static int env_port(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL) {
        fail_msg("%s is not set: run through `make test` (scripts/test.sh starts the stores)", name);
    }
    return atoi(v);
}

static uint64_t now_ms(uv_loop_t *loop)
{
    uv_update_time(loop);
    return uv_now(loop);
}

static void close_loop(uv_loop_t *loop)
{
    for (int i = 0; i < 100 && uv_run(loop, UV_RUN_NOWAIT) != 0; i++)
        usleep(1000);
    uv_loop_close(loop);
}

typedef struct heard {
    int subscribed, messages;
    char last[64];
} heard_t;

static void on_heard(const char *message, size_t len, void *udata)
{
    heard_t *h = udata;
    h->messages++;
    snprintf(h->last, sizeof h->last, "%.*s", (int)len, message);
}

static void on_heard_subscribed(void *udata)
{
    ((heard_t *)udata)->subscribed++;
}

/* Runs the loop until *count reaches n or ms elapse. */
static void run_until_count(uv_loop_t *loop, const int *count, int n, int ms)
{
    uint64_t give_up = now_ms(loop) + (uint64_t)ms;
    while (*count < n && now_ms(loop) < give_up) {
        uv_run(loop, UV_RUN_NOWAIT);
        usleep(5000);
    }
}

/* Against Redis: messages arrive, and PINGs are answered, so a live subscription is never dropped. */
static void subscriber_hears_and_stays_up(void **state)
{
    (void)state;
    char channel[64];
    snprintf(channel, sizeof channel, "cong:test:sub:%d", getpid());
    uv_loop_t loop;
    uv_loop_init(&loop);
    heard_t h = {0};
    cong_redis_subscriber_t *s = cong_redis_subscriber_new(&loop, "127.0.0.1", env_port("TEST_REDIS_PORT"), "",
                                                           channel, 300, on_heard, on_heard_subscribed, &h);
    run_until_count(&loop, &h.subscribed, 1, 3000);
    assert_int_equal(h.subscribed, 1);
    redisContext *pub = redisConnect("127.0.0.1", env_port("TEST_REDIS_PORT"));
    assert_false(pub == NULL || pub->err);
    freeReplyObject(redisCommand(pub, "PUBLISH %s %s", channel, "xin chào"));
    run_until_count(&loop, &h.messages, 1, 2000);
    assert_string_equal(h.last, "xin chào");

    int never = 0; /* two PING rounds and a half */
    run_until_count(&loop, &never, 1, 5 * CONG_REDIS_SUBSCRIBER_PING_INTERVAL_MS / 2);
    assert_true(cong_redis_subscriber_is_up(s));
    assert_int_equal(cong_redis_subscriber_drops(s), 0);
    assert_int_equal(h.subscribed, 1);

    redisFree(pub);
    cong_redis_subscriber_close(s);
    close_loop(&loop);
}

/* A Redis stand-in that confirms SUBSCRIBE and then answers nothing, as a frozen peer would: its socket stays open. */
typedef struct silent_redis {
    uv_tcp_t server, clients[4];
    int accepted;
    char in[4096];
} silent_redis_t;

static void silent_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    silent_redis_t *r = h->data;
    *buf = uv_buf_init(r->in, sizeof r->in - 1);
}

static void silent_read(uv_stream_t *client, ssize_t n, const uv_buf_t *buf)
{
    if (n <= 0)
        return;
    buf->base[n] = '\0';
    if (strstr(buf->base, "SUBSCRIBE") != NULL) {
        const char *ok = "*3\r\n$9\r\nsubscribe\r\n$16\r\ncong:revocations\r\n:1\r\n";
        uv_buf_t out = uv_buf_init((char *)ok, (unsigned)strlen(ok));
        assert_int_equal(uv_try_write(client, &out, 1), (int)strlen(ok));
    }
}

static void silent_accept(uv_stream_t *server, int status)
{
    silent_redis_t *r = server->data;
    if (status != 0 || r->accepted == 4)
        return;
    uv_tcp_t *c = &r->clients[r->accepted++];
    uv_tcp_init(server->loop, c);
    c->data = r;
    assert_int_equal(uv_accept(server, (uv_stream_t *)c), 0);
    uv_read_start((uv_stream_t *)c, silent_alloc, silent_read);
}

static int silent_start(uv_loop_t *loop, silent_redis_t *r)
{
    struct sockaddr_in addr;
    struct sockaddr_storage bound;
    int len = sizeof bound;
    uv_ip4_addr("127.0.0.1", 0, &addr);
    uv_tcp_init(loop, &r->server);
    r->server.data = r;
    assert_int_equal(uv_tcp_bind(&r->server, (const struct sockaddr *)&addr, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&r->server, 8, silent_accept), 0);
    uv_tcp_getsockname(&r->server, (struct sockaddr *)&bound, &len);
    return ntohs(((struct sockaddr_in *)&bound)->sin_port);
}

static void silent_stop(silent_redis_t *r)
{
    uv_close((uv_handle_t *)&r->server, NULL);
    for (int i = 0; i < r->accepted; i++)
        uv_close((uv_handle_t *)&r->clients[i], NULL);
}

/* A subscription whose server stops answering is dropped at its PING deadline and made again, although its socket
 * never closed: about one PING interval plus the deadline after it went silent. */
static void subscriber_drops_a_silent_subscription(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    silent_redis_t redis = {0};
    int port = silent_start(&loop, &redis);
    heard_t h = {0};
    cong_redis_subscriber_t *s = cong_redis_subscriber_new(&loop, "127.0.0.1", port, "", "cong:revocations", 300,
                                                           on_heard, on_heard_subscribed, &h);
    run_until_count(&loop, &h.subscribed, 1, 3000);
    assert_int_equal(h.subscribed, 1);
    assert_int_equal(redis.accepted, 1);
    uint64_t silent_since = now_ms(&loop);

    run_until_count(&loop, &h.subscribed, 2, 5000);
    assert_int_equal(h.subscribed, 2); /* subscribed again, so its owner catches up */
    assert_int_equal(redis.accepted, 2);
    assert_int_equal(cong_redis_subscriber_drops(s), 1);
    assert_true(now_ms(&loop) - silent_since < CONG_REDIS_SUBSCRIBER_PING_INTERVAL_MS + 300 + 1000);

    cong_redis_subscriber_close(s);
    silent_stop(&redis);
    close_loop(&loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(subscriber_hears_and_stays_up),
        cmocka_unit_test(subscriber_drops_a_silent_subscription),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
