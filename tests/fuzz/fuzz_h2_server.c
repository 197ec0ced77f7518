/*
 * tests/fuzz/fuzz_h2_server.c — libFuzzer target for cong's HTTP/2 front door: h2o's HTTP/2 server with cong's
 * patches (third_party/h2o-patches/0001–0009), configured by cong's own cong_server_configure_h2o (budgets,
 * concurrent streams, idle timeout, the per-request body limit, the unindexed headers, on_abuse) and serving cong's
 * real pipeline and request hooks. h2o's own approach (its fuzz/driver.cc): a real connection into a real context.
 *
 * Input: what an h2c client sends. The connection preface is put in front unless the input starts with it. The
 * input is written in chunks split at each SPLIT marker ("\n--MARK--\n", h2o's); after each chunk the loop runs until
 * h2o has read it and gone quiet, the client side reading (and dropping) all the server writes. Then the client
 * resets the connection and the loop runs until h2o has closed it. A connection h2o does not close traps.
 *
 * Why the pipeline runs with stand-in routes (auth none, cong_rate_limiter_unlimited) and no Redis or PostgreSQL: the
 * target is the HTTP/2 layer. The stores would add reconnect timers and answers that depend on time, which a fuzzer
 * cannot reproduce; what reaches h2o from cong is the same kind of response: a small JSON body, a problem+json 4xx
 * (cong's own 404/405/413/401 and a handler's 409), and a streamed body larger than the peer's initial window.
 *
 * Also built with tests/fuzz/replay_main.c (no libFuzzer) to replay the corpus in `make test`.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <h2o.h>

#include "common/common.h"
#include "gateway/authn/token_cache.h"
#include "gateway/config/live_config.h"
#include "gateway/gateway.h"
#include "gateway/http/problem.h"
#include "gateway/http/request.h"
#include "gateway/http/server.h"
#include "gateway/http/stream_reply.h"
#include "gateway/limits/rate_limit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(condition)                                                                                               \
    do {                                                                                                               \
        if (!(condition)) {                                                                                            \
            fprintf(stderr, "fuzz_h2_server: check failed: %s (line %d)\n", #condition, __LINE__);                   \
            __builtin_trap();                                                                                          \
        }                                                                                                              \
    } while (0)

static const char PREFACE[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define PREFACE_LEN (sizeof PREFACE - 1)
static const char SPLIT[] = "\n--MARK--\n";
#define SPLIT_LEN (sizeof SPLIT - 1)

#define QUIET_PUMPS 4           /* loop turns without any progress before h2o counts as idle */
#define MAX_PUMPS_PER_CHUNK 400 /* bounds one chunk's time whatever h2o does */
#define MAX_CLOSE_WAIT_MS 3000  /* h2o must have closed the connection this long after the client's FIN */
#define STREAM_BODY_BYTES (200 * 1024) /* over the 64 KiB initial window: flow control and proceed() run */
#define ROUTES 7

/* ---- cong as the target sees it: one gateway, one worker, the stand-in routes -------------------------------- */

typedef struct fuzz_server {
    cong_config_t config;
    cong_gateway_t gw;
    cong_worker_t worker;
    cong_route_entry_t routes[ROUTES];
    cong_route_entry_t *route_list[ROUTES];
    int listen_fd;
} fuzz_server_t;

static fuzz_server_t *server;

static void reply_small(cong_req_t *r, void *udata)
{
    (void)udata;
    static const char body[] = "{\"ok\":true,\"service\":\"fuzz\"}";
    cong_reply(r, 200, "application/json", body, sizeof body - 1);
}

static void reply_conflict(cong_req_t *r, void *udata)
{
    (void)udata;
    cong_reply_problem(r, 409, "conflict", "Xung đột", "Conflict", 0);
}

static void reply_body_size(cong_req_t *r, void *udata)
{
    (void)udata;
    char body[64];
    int n = snprintf(body, sizeof body, "{\"bytes\":%zu}", r->h2o->entity.len);
    cong_reply(r, 201, "application/json", body, (size_t)n);
}

/* A streamed body (h2o patch 0009, the partner proxy's kind of route): taken as it arrives, every byte consumed so that
 * the stream's window is given back; answered at once, before the body ends (h2o then resets the stream with
 * NO_ERROR and the peer's later DATA lands on a closed stream). */
static void consume_streamed(h2o_req_t *req)
{
    h2o_cong_req_body_consume(req, h2o_cong_req_body_peek(req).len);
}

static void reply_streamed_body(cong_req_t *r, void *udata)
{
    (void)udata;
    h2o_req_t *req = r->h2o;
    if (req->cong_body.streaming) {
        consume_streamed(req);
        req->cong_body.on_data = consume_streamed;
    }
    cong_reply(r, 202, "application/json", "{}", 2);
}

typedef struct feed {
    cong_stream_t *stream;
    size_t left;
} feed_t;

/* Writes until the stream's buffer is full (then h2o's proceed calls feed_more back) or the body is all out. */
static void feed_write(feed_t *f)
{
    static const char line[] = "{\"event\":\"dossier.updated\",\"code\":\"HN-2026-000123\",\"step\":4}\n";
    while (f->left > 0) {
        size_t n = f->left < sizeof line - 1 ? f->left : sizeof line - 1;
        int rc = cong_stream_write(f->stream, line, n);
        if (rc == CONG_EBUSY)
            return;
        if (rc != 0)
            return; /* the client is gone: the CONG_EGONE callback follows or came */
        f->left -= n;
    }
    cong_stream_end(f->stream);
}

static void feed_more(cong_req_t *r, cong_stream_t *stream, int err, void *udata)
{
    (void)r;
    (void)stream;
    if (err == 0)
        feed_write(udata);
}

static void reply_stream(cong_req_t *r, void *udata)
{
    (void)udata;
    feed_t *f = h2o_mem_alloc_pool(&r->h2o->pool, sizeof *f);
    f->left = STREAM_BODY_BYTES;
    if (cong_stream_begin(r, 200, "application/x-ndjson", 16 * 1024, feed_more, f, &f->stream) == 0)
        feed_write(f);
}

static void add_route(fuzz_server_t *s, const char *method, const char *path, long long max_body_bytes,
                      cong_handler_fn handler)
{
    size_t i = s->gw.route_count;
    CHECK(i < ROUTES);
    cong_route_entry_t *e = &s->routes[i];
    *e = (cong_route_entry_t){.index = i, .module_name = "fuzz", .method = (char *)method, .path = (char *)path,
                              .rate_limit_class = (char *)"default", .scopes = (char *)"", .auth = CONG_AUTH_NONE,
                              .max_body_bytes = max_body_bytes, .handler = handler};
    CHECK(cong_router_add(s->gw.router, method, path, e) == 0);
    s->route_list[i] = e;
    s->gw.route_count++;
}

static int listen_loopback(void)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0);
    CHECK(bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 && listen(fd, 16) == 0);
    return fd;
}

/* The limits the corpus aims at (just under and over): set here, not taken from defaults that may change. */
static void set_limits(cong_config_t *c)
{
    c->limits.max_body_bytes = 4096;
    c->server.max_concurrent_streams = 100;
    c->server.http2_reset_burst = 50;
    c->server.http2_reset_per_second = 50;
    c->server.idle_timeout_ms = 2000; /* a connection h2o stops reading ends within an input's time */
    c->server.shutdown_timeout_ms = 2000;
}

static fuzz_server_t *server_new(void)
{
    signal(SIGPIPE, SIG_IGN);
    fuzz_server_t *s = calloc(1, sizeof *s);
    CHECK(s != NULL && cong_config_defaults(&s->config) == 0);
    set_limits(&s->config);
    cong_log_set_level(CONG_LOG_ERROR); /* on_abuse warns once per shed connection */
    s->gw.config = &s->config;
    s->gw.config_path = "-";
    s->gw.access_log_fd = -1;
    s->gw.router = cong_router_new();
    s->gw.routes = s->route_list;
    CHECK(s->gw.router != NULL);
    add_route(s, "GET", "/v1/ping", 0, reply_small);
    add_route(s, "GET", "/v1/dossiers/{code}", 0, reply_small);
    add_route(s, "PUT", "/v1/dossiers/{code}", 0, reply_conflict);
    add_route(s, "POST", "/v1/notes", 1000, reply_body_size);
    add_route(s, "POST", "/v1/uploads", 20000, reply_body_size);
    add_route(s, "GET", "/v1/events", 0, reply_stream);
    add_route(s, "POST", "/v1/partners/stream", 100000, reply_streamed_body);
    s->gw.streamed_body_handler = reply_streamed_body; /* that route's body is streamed (patch 0009) */
    cong_rate_limiter = &cong_rate_limiter_unlimited;

    const char *methods[ROUTES], *templates[ROUTES], *module_names[] = {"fuzz"}, *versions[] = {"1"};
    for (size_t i = 0; i < ROUTES; i++) {
        methods[i] = s->routes[i].method;
        templates[i] = s->routes[i].path;
    }
    cong_metrics_labels_t labels = {ROUTES, methods, templates, 1, module_names, 1, versions};
    CHECK((s->gw.metrics = cong_metrics_new(&labels, 1)) != NULL);
    cong_server_register_request_hooks(&s->gw);
    cong_server_configure_h2o(&s->gw);

    cong_worker_t *w = &s->worker;
    w->gateway = &s->gw;
    w->metrics = cong_metrics_worker(s->gw.metrics, 0);
    w->live = cong_live_config_new(&s->config, 0, 0);
    w->tokens = cong_token_cache_new(16);
    w->rng[0] = 0x9e3779b97f4a7c15ull;
    w->rng[1] = 0xbf58476d1ce4e5b9ull;
    CHECK(w->live != NULL && w->tokens != NULL);
    CHECK(uv_loop_init(&w->loop) == 0);
    h2o_context_init(&w->h2o, &w->loop, &s->gw.h2o_config);
    w->accept_h2c = (h2o_accept_ctx_t){.ctx = &w->h2o, .hosts = s->gw.public_hosts};
    cong_req_thread_init(w);
    s->listen_fd = listen_loopback();
    return s;
}

/* ---- one connection ------------------------------------------------------------------------------------------ */

typedef struct client {
    int fd;        /* the client's end, non-blocking */
    h2o_buffer_t *seen; /* what the server wrote, kept only when H2_FUZZ_VERBOSE is set (describe) */
    int server_fd; /* h2o's end (owned by libuv): how much it has not read yet */
    int eof;       /* the server closed its side */
    int closed;    /* h2o closed the connection: its uv handle is gone */
} client_t;

static client_t *current;

static void on_server_closed(uv_handle_t *handle)
{
    current->closed = 1;
    free(handle);
}

/* The server's end, accepted as cong's on_accept does: a uv_tcp_t with TCP_NODELAY, into h2o_accept. */
static void connect_client(client_t *c)
{
    fuzz_server_t *s = server;
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    CHECK(getsockname(s->listen_fd, (struct sockaddr *)&addr, &len) == 0);
    /* Non-blocking from the start: libFuzzer's timer signal (-timeout) interrupts blocking calls. */
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    CHECK(c->fd >= 0);
    if (connect(c->fd, (struct sockaddr *)&addr, len) != 0 && errno != EINPROGRESS && errno != EINTR) {
        perror("fuzz_h2_server: connect");
        CHECK(!"the client can connect");
    }
    do
        c->server_fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC); /* the handshake is done: connected */
    while (c->server_fd < 0 && errno == EINTR);
    CHECK(c->server_fd >= 0);
    int on = 1;
    CHECK(setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) == 0);
    uv_tcp_t *conn = malloc(sizeof *conn);
    CHECK(conn != NULL);
    uv_tcp_init(&s->worker.loop, conn);
    CHECK(uv_tcp_open(conn, c->server_fd) == 0);
    uv_tcp_nodelay(conn, 1);
    h2o_socket_t *sock = h2o_uv_socket_create((uv_stream_t *)conn, on_server_closed);
    h2o_accept(&s->worker.accept_h2c, sock);
}

/* Reads (and drops) what the server wrote. Returns how many bytes. */
static size_t drain(client_t *c)
{
    char buf[16384];
    size_t total = 0;
    while (!c->eof) {
        ssize_t n = read(c->fd, buf, sizeof buf);
        if (n > 0) {
            total += (size_t)n;
            if (c->seen != NULL) {
                h2o_buffer_reserve(&c->seen, (size_t)n);
                memcpy(c->seen->bytes + c->seen->size, buf, (size_t)n);
                c->seen->size += (size_t)n;
            }
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            c->eof = 1;
        } else if (errno == EAGAIN) {
            break;
        }
    }
    return total;
}

static size_t unread_by_server(const client_t *c)
{
    int n = 0;
    if (c->closed || ioctl(c->server_fd, FIONREAD, &n) != 0)
        return 0;
    return (size_t)n;
}

/* One turn of the loop, not waiting. Returns whether anything moved: bytes read by either side. */
static int pump(client_t *c)
{
    size_t before = unread_by_server(c);
    uv_run(&server->worker.loop, UV_RUN_NOWAIT);
    size_t got = drain(c);
    return got > 0 || unread_by_server(c) != before;
}

/* Runs the loop until h2o has read everything and stays idle for a few turns (or has closed). */
static void settle(client_t *c)
{
    int quiet = 0;
    for (int i = 0; i < MAX_PUMPS_PER_CHUNK && !c->closed && quiet < QUIET_PUMPS; i++)
        quiet = pump(c) || unread_by_server(c) > 0 ? 0 : quiet + 1;
}

/* Writes one chunk; when the socket is full, lets h2o read (it may stop reading: then the rest is dropped). */
static void send_chunk(client_t *c, const uint8_t *p, size_t len)
{
    int stuck = 0;
    while (len > 0 && !c->eof && stuck < MAX_PUMPS_PER_CHUNK) {
        ssize_t n = write(c->fd, p, len);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            stuck = 0;
        } else if (n < 0 && errno == EAGAIN) {
            stuck = pump(c) ? 0 : stuck + 1;
        } else if (n < 0 && errno != EINTR) {
            return; /* EPIPE, ECONNRESET: h2o closed the connection */
        }
    }
    settle(c);
}

/* The client goes away (a reset, not a FIN: a fuzzing run opens hundreds of thousands of loopback connections, and
 * the side that closes first keeps its TIME_WAIT, the ports running out); h2o must then close the connection. */
static void finish(client_t *c)
{
    struct linger hard = {1, 0};
    CHECK(setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard) == 0);
    close(c->fd);
    uint64_t deadline = uv_now(&server->worker.loop) + MAX_CLOSE_WAIT_MS;
    while (!c->closed && uv_now(&server->worker.loop) < deadline) {
        uv_run(&server->worker.loop, UV_RUN_NOWAIT);
        if (!c->closed && unread_by_server(c) == 0)
            uv_run(&server->worker.loop, UV_RUN_ONCE); /* nothing to do now: wait for a timer or the socket */
    }
    CHECK(c->closed);
}

/* H2_FUZZ_VERBOSE=1: one line per input on stderr, the frames the server sent by type (and GOAWAY's error code), to
 * check by hand what a corpus file makes h2o do. */
static void describe(client_t *c)
{
    static const char *const names[] = {"DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE",
                                        "PING", "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"};
    unsigned counts[10] = {0}, goaway_code = 0, rst_codes = 0;
    const uint8_t *p = (const uint8_t *)c->seen->bytes, *end = p + c->seen->size;
    for (; end - p >= 9; p += 9 + ((p[0] << 16) | (p[1] << 8) | p[2])) {
        size_t len = (p[0] << 16) | (p[1] << 8) | p[2];
        if (p[3] < 10)
            counts[p[3]]++;
        if (p[3] == 7 && len >= 8 && end - p >= 17)
            goaway_code = ((unsigned)p[13] << 24) | (p[14] << 16) | (p[15] << 8) | p[16];
        if (p[3] == 3 && len >= 4 && end - p >= 13)
            rst_codes |= 1u << (p[12] & 15);
    }
    fprintf(stderr, "h2_server:");
    for (int i = 0; i < 10; i++)
        if (counts[i] > 0)
            fprintf(stderr, " %s=%u", names[i], counts[i]);
    fprintf(stderr, " goaway_code=%u rst_code_bits=0x%x calm_closes=%" PRIu64 "\n", goaway_code, rst_codes,
            server->worker.h2o.http2.events.calm_closes);
    h2o_buffer_dispose(&c->seen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (server == NULL)
        server = server_new();
    client_t c = {.fd = -1};
    current = &c;
    if (getenv("H2_FUZZ_VERBOSE") != NULL)
        h2o_buffer_init(&c.seen, &h2o_socket_buffer_prototype);
    connect_client(&c);
    if (size < PREFACE_LEN || memcmp(data, PREFACE, PREFACE_LEN) != 0)
        send_chunk(&c, (const uint8_t *)PREFACE, PREFACE_LEN);
    const uint8_t *p = data, *end = data + size;
    while (p < end && !c.closed) {
        const uint8_t *mark = memmem(p, (size_t)(end - p), SPLIT, SPLIT_LEN);
        const uint8_t *chunk_end = mark != NULL ? mark : end;
        send_chunk(&c, p, (size_t)(chunk_end - p));
        p = mark != NULL ? mark + SPLIT_LEN : end;
    }
    finish(&c);
    if (c.seen != NULL)
        describe(&c);
    current = NULL;
    return 0;
}
