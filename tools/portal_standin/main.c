/*
 * tools/portal_standin/main.c — portal-standin: a small stand-in for the National Public Service Portal, which
 * receives every dossier version cong-portal-sync delivers, for the demo and the tests.
 *
 *   portal-standin --port 8091 (--token-file PATH | --token TOKEN) [--state-file PATH]
 *
 * HTTP/1.1 and h2c (prior knowledge or Upgrade) on 127.0.0.1 only, one thread, one libuv loop. The API is in api.c,
 * the tests' controls in control.c, what is kept in ledger.h. SIGINT/SIGTERM stop it. Exit status: 0, 1 when it
 * cannot start, 2 on bad arguments. --token shows the token in the process list: prefer --token-file.
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

#define MAX_BODY_BYTES (1024 * 1024)

typedef struct standin_handler {
    h2o_handler_t super;
    ps_app_t *app;
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
    fputs("usage: portal-standin --port PORT (--token-file PATH | --token TOKEN) [--state-file PATH]\n", stderr);
}

/* Reads the token: the file's first line, without trailing whitespace. 0 or -1. */
static int read_token_file(const char *path, char out[PS_TOKEN_MAX + 1])
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[PS_TOKEN_MAX + 2];
    int ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    size_t n = strcspn(line, "\r\n");
    while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    if (n == 0 || n > PS_TOKEN_MAX)
        return -1;
    memcpy(out, line, n);
    out[n] = '\0';
    return 0;
}

/* 0, or 2 after printing what is wrong. */
static int parse_args(int argc, char **argv, ps_config_t *c)
{
    static const struct option options[] = {
        {"port", required_argument, NULL, 'p'},       {"token", required_argument, NULL, 't'},
        {"token-file", required_argument, NULL, 'f'}, {"state-file", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0},
    };
    *c = (ps_config_t){.port = -1};
    const char *token = NULL, *token_file = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'p': {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            c->port = errno || end == optarg || *end || v < 0 || v > 65535 ? -2 : (int)v;
            break;
        }
        case 't': token = optarg; break;
        case 'f': token_file = optarg; break;
        case 's': c->state_file = optarg; break;
        default: usage(); return 2;
        }
    }
    const char *problem = NULL;
    if (optind != argc || c->port == -1 || (!token && !token_file))
        problem = "--port and --token-file (or --token) are required";
    else if (c->port < 0)
        problem = "--port must be a number from 0 to 65535";
    else if (token && token_file)
        problem = "give --token or --token-file, not both";
    else if (token && (!*token || strlen(token) > PS_TOKEN_MAX))
        problem = "--token must be 1 to 512 characters";
    else if (token)
        snprintf(c->token, sizeof c->token, "%s", token);
    else if (read_token_file(token_file, c->token) != 0)
        problem = "--token-file must name a readable file whose first line is the token (1 to 512 characters)";
    if (problem) {
        fprintf(stderr, "portal-standin: %s\n", problem);
        usage();
        return 2;
    }
    return 0;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    ps_dispatch(((standin_handler_t *)self)->app, req);
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

static void configure_h2o(server_t *s, ps_app_t *app)
{
    h2o_config_init(&s->config);
    s->config.server_name = h2o_iovec_init(H2O_STRLIT("portal-standin"));
    s->config.max_request_entity_size = MAX_BODY_BYTES;
    s->config.http1.upgrade_to_http2 = 1; /* h2c: prior knowledge and Upgrade */
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
        fprintf(stderr, "portal-standin: cannot listen on 127.0.0.1:%d: %s\n", port, uv_strerror(rc));
        return -1;
    }
    struct sockaddr_in name;
    int len = sizeof name;
    uv_tcp_getsockname(&s->listener, (struct sockaddr *)&name, &len);
    *bound = ntohs(name.sin_port);
    return 0;
}

static int serve(ps_app_t *app)
{
    static server_t s; /* h2o keeps pointers into it until exit */
    uv_loop_init(&s.loop);
    app->loop = &s.loop;
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
    fprintf(stderr, "portal-standin: listening on http://127.0.0.1:%d (HTTP/1.1, h2c), %zu records loaded%s%s\n",
            port, app->ledger.count, app->config.state_file ? " from " : "",
            app->config.state_file ? app->config.state_file : "");
    uv_run(&s.loop, UV_RUN_DEFAULT);
    fputs("portal-standin: stopped\n", stderr);
    return 0;
}

int main(int argc, char **argv)
{
    static ps_app_t app; /* held replies may point at it until exit */
    int rc = parse_args(argc, argv, &app.config);
    if (rc != 0)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stderr, NULL, _IOLBF, 0);
    if (ps_ledger_open(&app.ledger, app.config.state_file) != CONG_OK) {
        fprintf(stderr, "portal-standin: cannot open the state file %s\n", app.config.state_file);
        return 1;
    }
    rc = serve(&app);
    ps_ledger_close(&app.ledger);
    return rc;
}
