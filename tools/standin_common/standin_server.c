/* tools/standin_common/standin_server.c — listener, h2o context, signals, run loop, replies (see the header). */
#include "standin_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define LOG_PATH_MAX 200

typedef struct standin_handler {
    h2o_handler_t super;
    const standin_options_t *options;
} standin_handler_t;

typedef struct server {
    standin_options_t options;
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_signal_t sigint, sigterm;
    h2o_globalconf_t config;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept;
} server_t;

static server_t server; /* h2o keeps pointers into it until exit */

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    const standin_options_t *o = ((standin_handler_t *)self)->options;
    o->dispatch(o->app, req);
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

static void configure_h2o(server_t *s)
{
    h2o_config_init(&s->config);
    s->config.server_name = h2o_iovec_init(s->options.name, strlen(s->options.name));
    s->config.max_request_entity_size = s->options.max_body_bytes;
    if (s->options.h2c)
        s->config.http1.upgrade_to_http2 = 1; /* h2c: prior knowledge and Upgrade */
    h2o_hostconf_t *host = h2o_config_register_host(&s->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    standin_handler_t *handler = (standin_handler_t *)h2o_create_handler(path, sizeof *handler);
    handler->super.on_req = on_req;
    handler->options = &s->options;
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
        fprintf(stderr, "%s: cannot listen on 127.0.0.1:%d: %s\n", s->options.name, port, uv_strerror(rc));
        return -1;
    }
    struct sockaddr_in name;
    int len = sizeof name;
    uv_tcp_getsockname(&s->listener, (struct sockaddr *)&name, &len);
    *bound = ntohs(name.sin_port);
    return 0;
}

uv_loop_t *standin_start(const standin_options_t *options, int port, int *bound)
{
    server_t *s = &server;
    s->options = *options;
    uv_loop_init(&s->loop);
    configure_h2o(s);
    h2o_context_init(&s->ctx, &s->loop, &s->config);
    s->accept = (h2o_accept_ctx_t){.ctx = &s->ctx, .hosts = s->config.hosts, .ssl_ctx = s->options.ssl_ctx};
    if (listen_loopback(s, port, bound) != 0)
        return NULL;
    uv_signal_init(&s->loop, &s->sigint);
    uv_signal_init(&s->loop, &s->sigterm);
    uv_signal_start(&s->sigint, on_signal, SIGINT);
    uv_signal_start(&s->sigterm, on_signal, SIGTERM);
    return &s->loop;
}

void standin_run(void)
{
    uv_run(&server.loop, UV_RUN_DEFAULT);
}

size_t standin_path_length(const h2o_req_t *req)
{
    return req->query_at != SIZE_MAX && req->query_at < req->path.len ? req->query_at : req->path.len;
}

/* Hands the request to the stand-in's log line; the path is cut at the query and made printable. */
static void log_request(const h2o_req_t *req, int status)
{
    char path[LOG_PATH_MAX + 1];
    size_t n = standin_path_length(req);
    if (n > LOG_PATH_MAX)
        n = LOG_PATH_MAX;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)req->path.base[i];
        path[i] = c > 0x20 && c < 0x7f ? (char)c : '?';
    }
    path[n] = '\0';
    int mlen = req->method.len < 16 ? (int)req->method.len : 16;
    server.options.log_request(mlen, req->method.base, path, status);
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 302: return "Found";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    /* the class's name rather than a wrong reason: HTTP/1.1 clients print it */
    default: return status < 400 ? "OK" : status < 500 ? "Client Error" : "Server Error";
    }
}

void standin_header(h2o_req_t *req, const char *name, const char *value)
{
    h2o_iovec_t n = h2o_strdup(&req->pool, name, strlen(name));
    h2o_iovec_t v = h2o_strdup(&req->pool, value, strlen(value));
    h2o_add_header_by_str(&req->pool, &req->res.headers, n.base, n.len, 1, NULL, v.base, v.len);
}

void standin_reply(h2o_req_t *req, int status, const char *content_type, const char *body, size_t len)
{
    req->res.status = status;
    req->res.reason = reason(status);
    if (content_type)
        standin_header(req, "content-type", content_type);
    if (server.options.nosniff)
        standin_header(req, "x-content-type-options", "nosniff");
    log_request(req, status);
    req->res.content_length = len;
    h2o_send_inline(req, len ? body : "", len); /* copies the body */
}

void standin_reply_text(h2o_req_t *req, int status, const char *text)
{
    standin_reply(req, status, server.options.text_type, text, strlen(text));
}

void standin_reply_json(h2o_req_t *req, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) {
        standin_reply_text(req, 503, "out of memory\n");
        return;
    }
    standin_reply(req, status, "application/json", text, strlen(text));
    free(text);
}

int standin_method_is(const h2o_req_t *req, const char *method)
{
    return h2o_memis(req->method.base, req->method.len, method, strlen(method));
}

int standin_content_type_is(const h2o_req_t *req, const char *type)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (i < 0)
        return 0;
    h2o_iovec_t v = req->headers.entries[i].value;
    size_t n = strlen(type);
    if (v.len < n || strncasecmp(v.base, type, n) != 0)
        return 0;
    return v.len == n || v.base[n] == ';' || v.base[n] == ' ';
}

int standin_peer_is_loopback(h2o_req_t *req)
{
    struct sockaddr_storage ss;
    socklen_t len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    if (len == 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
    if (ss.ss_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr);
    return 0;
}
