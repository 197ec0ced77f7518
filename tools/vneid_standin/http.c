/* tools/vneid_standin/http.c — replies, the request log line, routing (see http.h). */
#include "http.h"

#include "handlers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define LOG_PATH_MAX 200

typedef struct route {
    const char *path;
    const char *method; /* the only one accepted */
    void (*serve)(vs_app_t *app, h2o_req_t *req);
    int test_only;      /* exists only with --test-endpoints */
} route_t;

static const route_t routes[] = {
    {"/.well-known/openid-configuration", "GET", vs_serve_discovery, 0},
    {"/jwks.json", "GET", vs_serve_jwks, 0},
    {"/authorize", "GET", vs_serve_authorize, 0},
    {"/authorize", "POST", vs_serve_authorize, 0},
    {"/token", "POST", vs_serve_token, 0},
    {"/admin/rotate", "POST", vs_serve_rotate, 0},
    {"/healthz", "GET", vs_serve_healthz, 0},
    {"/test/mint", "POST", vs_serve_test_mint, 1},
};

static size_t path_length(const h2o_req_t *req)
{
    return req->query_at != SIZE_MAX && req->query_at < req->path.len ? req->query_at : req->path.len;
}

/* One line per request on stderr; the path is cut at the query and made printable. */
static void log_request(const h2o_req_t *req, int status)
{
    char path[LOG_PATH_MAX + 1];
    size_t n = path_length(req);
    if (n > LOG_PATH_MAX)
        n = LOG_PATH_MAX;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)req->path.base[i];
        path[i] = c > 0x20 && c < 0x7f ? (char)c : '?';
    }
    path[n] = '\0';
    int mlen = req->method.len < 16 ? (int)req->method.len : 16;
    fprintf(stderr, "vneid-standin: %.*s %s %d\n", mlen, req->method.base, path, status);
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 302: return "Found";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 415: return "Unsupported Media Type";
    case 503: return "Service Unavailable";
    default: return status < 400 ? "OK" : "Internal Server Error";
    }
}

void vs_header(h2o_req_t *req, const char *name, const char *value)
{
    h2o_iovec_t n = h2o_strdup(&req->pool, name, strlen(name));
    h2o_iovec_t v = h2o_strdup(&req->pool, value, strlen(value));
    h2o_add_header_by_str(&req->pool, &req->res.headers, n.base, n.len, 1, NULL, v.base, v.len);
}

void vs_reply(h2o_req_t *req, int status, const char *content_type, const char *body, size_t len)
{
    req->res.status = status;
    req->res.reason = reason(status);
    if (content_type)
        vs_header(req, "content-type", content_type);
    vs_header(req, "x-content-type-options", "nosniff");
    log_request(req, status);
    req->res.content_length = len;
    h2o_send_inline(req, len ? body : "", len); /* copies the body */
}

void vs_reply_text(h2o_req_t *req, int status, const char *text)
{
    vs_reply(req, status, "text/plain; charset=utf-8", text, strlen(text));
}

void vs_reply_json(h2o_req_t *req, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) {
        vs_reply_text(req, 503, "out of memory\n");
        return;
    }
    vs_reply(req, status, "application/json", text, strlen(text));
    free(text);
}

void vs_reply_oauth_error(h2o_req_t *req, int status, const char *error, const char *description)
{
    vs_header(req, "cache-control", "no-store");
    vs_header(req, "pragma", "no-cache");
    vs_reply_json(req, status, json_pack("{s:s, s:s}", "error", error, "error_description", description));
}

int vs_method_is(const h2o_req_t *req, const char *method)
{
    return h2o_memis(req->method.base, req->method.len, method, strlen(method));
}

int vs_content_type_is(const h2o_req_t *req, const char *type)
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

int vs_peer_is_loopback(h2o_req_t *req)
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

void vs_dispatch(vs_app_t *app, h2o_req_t *req)
{
    size_t n = path_length(req);
    char allow[32] = "";
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const route_t *r = &routes[i];
        if (!h2o_memis(req->path.base, n, r->path, strlen(r->path)) || (r->test_only && !app->config.test_endpoints))
            continue;
        if (vs_method_is(req, r->method)) {
            r->serve(app, req);
            return;
        }
        snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s%s", allow[0] ? ", " : "", r->method);
    }
    if (allow[0]) {
        vs_header(req, "allow", allow);
        vs_reply_text(req, 405, "method not allowed\n");
        return;
    }
    vs_reply_text(req, 404, "not found\n");
}
