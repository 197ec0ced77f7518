/*
 * tools/vneid_standin/main.c — vneid-standin: a small OpenID Connect provider that stands in for VNeID in the demo
 * and the tests.
 *
 *   vneid-standin --port 8090 --issuer http://127.0.0.1:8090 --client-id cong --redirect-uri-prefix http://127.0.0.1
 *                 [--redirect-uri-prefix URL...] [--test-endpoints] [--state-dir DIR] [--code-ttl SECONDS]
 *
 * Plain HTTP/1.1 on 127.0.0.1 only, one thread, one libuv loop. SIGINT/SIGTERM stop it. Exit status: 0, 1 when it
 * cannot start, 2 on bad arguments.
 */
#include "app.h"
#include "http.h"

#include "cong/module.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <h2o.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define CODE_CAPACITY 1024
#define MAX_BODY_BYTES (64 * 1024)

typedef struct standin_handler {
    h2o_handler_t super;
    vs_app_t *app;
} standin_handler_t;

typedef struct server {
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_signal_t sigint, sigterm;
    h2o_globalconf_t config;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept;
} server_t;

static void usage(void)
{
    fputs("usage: vneid-standin --port PORT --issuer URL --client-id ID --redirect-uri-prefix URL\n"
          "                     [--redirect-uri-prefix URL...] [--test-endpoints] [--state-dir DIR]\n"
          "                     [--code-ttl SECONDS]\n",
          stderr);
}

static int parse_number(const char *s, long min, long max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

/* 0, or 2 after printing what is wrong. */
static int parse_args(int argc, char **argv, vs_config_t *c)
{
    static const struct option options[] = {
        {"port", required_argument, NULL, 'p'},          {"issuer", required_argument, NULL, 'i'},
        {"client-id", required_argument, NULL, 'c'},     {"redirect-uri-prefix", required_argument, NULL, 'r'},
        {"test-endpoints", no_argument, NULL, 't'},      {"state-dir", required_argument, NULL, 's'},
        {"code-ttl", required_argument, NULL, 'T'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *c = (vs_config_t){.port = -1, .code_ttl_s = 60};
    int opt, prefixes_ok = 1;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'p':
            if (parse_number(optarg, 0, 65535, &c->port) != 0)
                c->port = -2;
            break;
        case 'i': c->issuer = optarg; break;
        case 'c': c->client_id = optarg; break;
        case 'r':
            if (c->redirect_uri_prefix_count == VS_MAX_REDIRECT_PREFIXES || strlen(optarg) < 8)
                prefixes_ok = 0;
            else
                c->redirect_uri_prefixes[c->redirect_uri_prefix_count++] = optarg;
            break;
        case 't': c->test_endpoints = 1; break;
        case 's': c->state_dir = optarg; break;
        case 'T':
            if (parse_number(optarg, 1, 3600, &c->code_ttl_s) != 0)
                c->code_ttl_s = 0;
            break;
        default: usage(); return 2;
        }
    }
    const char *problem = NULL;
    if (optind != argc || !c->issuer || !c->client_id || c->port == -1 ||
        (c->redirect_uri_prefix_count == 0 && prefixes_ok))
        problem = "--port, --issuer, --client-id and --redirect-uri-prefix are required";
    else if (c->port < 0)
        problem = "--port must be a number from 0 to 65535";
    else if (c->code_ttl_s == 0)
        problem = "--code-ttl must be a number of seconds from 1 to 3600";
    else if (strncmp(c->issuer, "http://", 7) != 0 && strncmp(c->issuer, "https://", 8) != 0)
        problem = "--issuer must be an http:// or https:// URL";
    else if (c->issuer[strlen(c->issuer) - 1] == '/' || strchr(c->issuer, '?') || strchr(c->issuer, '#'))
        problem = "--issuer must have no trailing slash, query or fragment";
    else if (!*c->client_id || strlen(c->client_id) >= VS_CLIENT_ID_MAX)
        problem = "--client-id must be 1 to 127 characters";
    else if (!prefixes_ok)
        problem = "--redirect-uri-prefix must be a URL prefix such as http://127.0.0.1 (at most 8 of them)";
    if (problem) {
        fprintf(stderr, "vneid-standin: %s\n", problem);
        usage();
        return 2;
    }
    return 0;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    vs_dispatch(((standin_handler_t *)self)->app, req);
    return 0;
}

static void on_accept(uv_stream_t *listener, int status)
{
    if (status != 0)
        return;
    uv_tcp_t *conn = malloc(sizeof *conn);
    if (!conn)
        return;
    uv_tcp_init(listener->loop, conn);
    if (uv_accept(listener, (uv_stream_t *)conn) != 0) {
        uv_close((uv_handle_t *)conn, (uv_close_cb)free);
        return;
    }
    h2o_socket_t *sock = h2o_uv_socket_create((uv_stream_t *)conn, (uv_close_cb)free);
    h2o_accept(listener->data, sock);
}

static void on_signal(uv_signal_t *handle, int signum)
{
    (void)signum;
    uv_stop(handle->loop);
}

static void configure_h2o(server_t *s, vs_app_t *app)
{
    h2o_config_init(&s->config);
    s->config.server_name = h2o_iovec_init(H2O_STRLIT("vneid-standin"));
    s->config.max_request_entity_size = MAX_BODY_BYTES;
    h2o_hostconf_t *host = h2o_config_register_host(&s->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    standin_handler_t *handler = (standin_handler_t *)h2o_create_handler(path, sizeof *handler);
    handler->super.on_req = on_req;
    handler->app = app;
}

/* Listens on 127.0.0.1:port; the port actually bound (port 0 picks one) goes to *bound. */
static int listen_loopback(server_t *s, int port, int *bound)
{
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", port, &addr);
    uv_tcp_init(&s->loop, &s->listener);
    s->listener.data = &s->accept;
    int rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&s->listener, 128, on_accept);
    if (rc != 0) {
        fprintf(stderr, "vneid-standin: cannot listen on 127.0.0.1:%d: %s\n", port, uv_strerror(rc));
        return -1;
    }
    struct sockaddr_in name;
    int len = sizeof name;
    uv_tcp_getsockname(&s->listener, (struct sockaddr *)&name, &len);
    *bound = ntohs(name.sin_port);
    return 0;
}

static int serve(vs_app_t *app)
{
    static server_t s; /* h2o keeps pointers into it until exit */
    uv_loop_init(&s.loop);
    configure_h2o(&s, app);
    h2o_context_init(&s.ctx, &s.loop, &s.config);
    s.accept = (h2o_accept_ctx_t){.ctx = &s.ctx, .hosts = s.config.hosts};
    int port;
    if (listen_loopback(&s, app->config.port, &port) != 0)
        return 1;
    uv_signal_init(&s.loop, &s.sigint);
    uv_signal_init(&s.loop, &s.sigterm);
    uv_signal_start(&s.sigint, on_signal, SIGINT);
    uv_signal_start(&s.sigterm, on_signal, SIGTERM);
    fprintf(stderr, "vneid-standin: listening on http://127.0.0.1:%d, issuer %s, client %s, signing kid %s%s\n", port,
            app->config.issuer, app->config.client_id, vs_key_kid(app->keys.current),
            app->config.test_endpoints ? ", test endpoints on" : "");
    uv_run(&s.loop, UV_RUN_DEFAULT);
    fputs("vneid-standin: stopped\n", stderr);
    return 0;
}

int main(int argc, char **argv)
{
    vs_app_t app = {0};
    int rc = parse_args(argc, argv, &app.config);
    if (rc != 0)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stderr, NULL, _IOLBF, 0);
    if (vs_keyring_open(&app.keys, app.config.state_dir) != CONG_OK) {
        fputs("vneid-standin: cannot load or create the signing keys\n", stderr);
        return 1;
    }
    if (vs_codes_init(&app.codes, CODE_CAPACITY, app.config.code_ttl_s) != CONG_OK) {
        vs_keyring_close(&app.keys);
        return 1;
    }
    rc = serve(&app);
    vs_codes_free(&app.codes);
    vs_keyring_close(&app.keys);
    return rc;
}
