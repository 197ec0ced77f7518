/*
 * tools/upstream_standin/main.c — upstream-standin: a partner's HTTP service for the tests of cong's proxy.
 *
 *   upstream-standin --port PORT --name NAME --log FILE [--peers FILE] [--cert PEM --key PEM [--client-ca PEM]]
 *
 * HTTP/1.1 and h2c (prior knowledge or Upgrade) on 127.0.0.1 only, one thread, one libuv loop; with --cert, TLS
 * instead (HTTP/2 or HTTP/1.1 by ALPN), and with --client-ca a client certificate issued by that CA is required
 * (mTLS: a handshake without one fails). Every request's
 * arrival is appended to FILE as "NAME METHOD PATH" (flushed at once: the tests count them); with --peers, the
 * client's "address:port" of each request is appended to that file too, one a line (distinct lines = the connections
 * the requests came on: the tests of cong's connection reuse count them). What it answers is
 * chosen by the path's last segment, whatever comes before it:
 *   .../fail           500 {"error":"fail"}
 *   .../hang           nothing, ever (the client gives up)
 *   .../reset          a 200 whose body breaks off: the connection (HTTP/1.1) or stream (h2) is reset
 *   .../big?bytes=N    N bytes of 'x', streamed 16 KiB at a time as the client takes them (no Content-Length)
 *   .../healthz        200 {"status":"up"}, or 503 {"status":"down"} once told so (cong's active health checks)
 *   .../health-down    200, and every .../healthz answers 503 from now on
 *   .../health-up      200, and .../healthz answers 200 again
 *   anything else      200 JSON echo: {"name","method","path" (with its query),"version","headers":{...},
 *                      "body_bytes"} — after ?delay_ms=N milliseconds when asked (a slow first byte)
 * SIGINT/SIGTERM stop it. Exit status: 0, 1 when it cannot start, 2 on bad arguments.
 */
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "standin_server.h"
#include "standin_tls.h"

static const char *name = "upstream";
static FILE *log_file, *peers_file;
static uv_loop_t *loop;

/* A query parameter's number, or `otherwise`. */
static long long query_number(const h2o_req_t *req, const char *key, long long otherwise)
{
    if (req->query_at == SIZE_MAX)
        return otherwise;
    char query[512];
    snprintf(query, sizeof query, "&%.*s", (int)(req->path.len - req->query_at - 1), req->path.base + req->query_at + 1);
    char needle[64];
    snprintf(needle, sizeof needle, "&%s=", key);
    const char *at = strstr(query, needle);
    return at != NULL ? strtoll(at + strlen(needle), NULL, 10) : otherwise;
}

static int last_segment_is(const h2o_req_t *req, const char *segment)
{
    size_t len = standin_path_length(req), n = strlen(segment);
    return len > n && req->path.base[len - n - 1] == '/' && memcmp(req->path.base + len - n, segment, n) == 0;
}

static void echo(h2o_req_t *req)
{
    json_t *headers = json_object();
    for (size_t i = 0; i < req->headers.size; i++) {
        const h2o_header_t *h = &req->headers.entries[i];
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)h->name->len, h->name->base);
        json_object_set_new(headers, key, json_stringn(h->value.base, h->value.len));
    }
    json_t *body = json_pack("{s:s, s:s%, s:s%, s:s, s:o, s:I}", "name", name, "method", req->method.base,
                             req->method.len, "path", req->path.base, req->path.len, "version",
                             req->version >= 0x200 ? "HTTP/2" : "HTTP/1.1", "headers", headers, "body_bytes",
                             (json_int_t)req->entity.len);
    standin_reply_json(req, 200, body);
}

typedef struct delayed {
    uv_timer_t timer;
    h2o_req_t *req;
} delayed_t;

static void on_delay_over(uv_timer_t *timer)
{
    delayed_t *d = timer->data;
    if (d->req != NULL)
        echo(d->req);
    uv_close((uv_handle_t *)timer, NULL); /* the memory is the request's pool's */
}

/* The request's pool goes (the client left before the delay was over): no echo then. */
static void on_delayed_dispose(void *p)
{
    delayed_t *d = *(delayed_t **)p;
    d->req = NULL;
}

static void echo_later(h2o_req_t *req, long long ms)
{
    delayed_t *d = malloc(sizeof *d); /* outlives the pool when the client leaves: a test tool's leak, bounded */
    delayed_t **ref = h2o_mem_alloc_shared(&req->pool, sizeof *ref, on_delayed_dispose);
    *ref = d;
    d->req = req;
    uv_timer_init(loop, &d->timer);
    d->timer.data = d;
    uv_timer_start(&d->timer, on_delay_over, (uint64_t)ms, 0);
}

typedef struct big {
    h2o_generator_t generator;
    long long left;
    int reset, sent_one;
} big_t;

static char chunk[16384];

static void big_proceed(h2o_generator_t *generator, h2o_req_t *req)
{
    big_t *b = (big_t *)generator;
    if (b->reset && b->sent_one) { /* one chunk first, so the client has begun to receive */
        h2o_send(req, NULL, 0, H2O_SEND_STATE_ERROR);
        return;
    }
    b->sent_one = 1;
    size_t n = b->left < (long long)sizeof chunk ? (size_t)b->left : sizeof chunk;
    b->left -= (long long)n;
    h2o_iovec_t buf = h2o_iovec_init(chunk, n);
    h2o_send(req, &buf, 1, b->left > 0 ? H2O_SEND_STATE_IN_PROGRESS : H2O_SEND_STATE_FINAL);
}

static void stream_big(h2o_req_t *req, long long bytes, int reset)
{
    big_t *b = h2o_mem_alloc_pool(&req->pool, sizeof *b);
    *b = (big_t){.generator = {big_proceed, NULL}, .left = bytes, .reset = reset};
    req->res.status = 200;
    req->res.reason = "OK";
    standin_header(req, "content-type", "application/octet-stream");
    h2o_start_response(req, &b->generator);
    big_proceed(&b->generator, req);
}

static int health_down; /* .../healthz answers 503 */

static void log_peer(h2o_req_t *req)
{
    struct sockaddr_storage ss;
    char host[NI_MAXHOST], port[NI_MAXSERV];
    if (peers_file == NULL)
        return;
    socklen_t len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    if (len == 0 || getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, port, sizeof port,
                                NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return;
    fprintf(peers_file, "%s:%s\n", host, port);
    fflush(peers_file);
}

static void dispatch(void *app, h2o_req_t *req)
{
    (void)app;
    fprintf(log_file, "%s %.*s %.*s\n", name, (int)req->method.len, req->method.base, (int)standin_path_length(req),
            req->path.base);
    fflush(log_file);
    log_peer(req);
    if (last_segment_is(req, "fail"))
        standin_reply(req, 500, "application/json", "{\"error\":\"fail\"}", 16);
    else if (last_segment_is(req, "healthz"))
        standin_reply(req, health_down ? 503 : 200, "application/json",
                      health_down ? "{\"status\":\"down\"}" : "{\"status\":\"up\"}", health_down ? 17 : 15);
    else if (last_segment_is(req, "health-down") || last_segment_is(req, "health-up")) {
        health_down = last_segment_is(req, "health-down");
        standin_reply(req, 200, "application/json", "{}", 2);
    } else if (last_segment_is(req, "hang"))
        return;
    else if (last_segment_is(req, "reset"))
        stream_big(req, 100000, 1);
    else if (last_segment_is(req, "big"))
        stream_big(req, query_number(req, "bytes", 1024), 0);
    else if (query_number(req, "delay_ms", 0) > 0)
        echo_later(req, query_number(req, "delay_ms", 0));
    else
        echo(req);
}

static void log_request(int method_len, const char *method, const char *path, int status)
{
    (void)method_len, (void)method, (void)path, (void)status; /* arrivals are logged by dispatch */
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"port", required_argument, NULL, 'p'}, {"name", required_argument, NULL, 'n'},
        {"log", required_argument, NULL, 'l'},  {"cert", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},  {"client-ca", required_argument, NULL, 'a'},
        {"peers", required_argument, NULL, 'P'},
        {NULL, 0, NULL, 0},
    };
    const char *cert = NULL, *key = NULL, *client_ca = NULL;
    int port = -1, opt;
    const char *log_path = NULL, *peers_path = NULL;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (opt == 'p')
            port = atoi(optarg);
        else if (opt == 'n')
            name = optarg;
        else if (opt == 'l')
            log_path = optarg;
        else if (opt == 'c')
            cert = optarg;
        else if (opt == 'k')
            key = optarg;
        else if (opt == 'a')
            client_ca = optarg;
        else if (opt == 'P')
            peers_path = optarg;
        else
            return 2;
    }
    if (port < 0 || port > 65535 || log_path == NULL || optind != argc || (cert == NULL) != (key == NULL) ||
        (client_ca != NULL && cert == NULL)) {
        fputs("usage: upstream-standin --port PORT --name NAME --log FILE [--peers FILE] [--cert PEM --key PEM "
              "[--client-ca PEM]]\n", stderr);
        return 2;
    }
    if ((log_file = fopen(log_path, "a")) == NULL) {
        perror(log_path);
        return 1;
    }
    if (peers_path != NULL && (peers_file = fopen(peers_path, "a")) == NULL) {
        perror(peers_path);
        return 1;
    }
    memset(chunk, 'x', sizeof chunk);
    standin_options_t o = {.name = "upstream-standin", .max_body_bytes = 64 * 1024 * 1024, .h2c = 1,
                           .text_type = "text/plain", .dispatch = dispatch, .log_request = log_request};
    char err[256];
    if (cert != NULL && (o.ssl_ctx = standin_tls_context(cert, key, 0, err, sizeof err)) == NULL) {
        fprintf(stderr, "upstream-standin: %s\n", err);
        return 1;
    }
    if (client_ca != NULL) {
        if (SSL_CTX_load_verify_locations(o.ssl_ctx, client_ca, NULL) != 1) {
            fprintf(stderr, "upstream-standin: cannot read %s\n", client_ca);
            return 1;
        }
        SSL_CTX_set_verify(o.ssl_ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    int bound = 0;
    if ((loop = standin_start(&o, port, &bound)) == NULL)
        return 1;
    standin_run();
    return 0;
}
