/* tools/standin_common/standin_request.c — query, clock, JSON setting, error reply, the route lookup (see the header). */
#include "standin_request.h"

#include "standin_auth.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define CONTROL_PREFIX "/control/"
#define ALLOW_MAX 64

h2o_iovec_t standin_query(const h2o_req_t *req)
{
    size_t n = standin_path_length(req);
    if (n >= req->path.len)
        return h2o_iovec_init("", 0);
    return h2o_iovec_init(req->path.base + n + 1, req->path.len - n - 1);
}

int64_t standin_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int standin_json_int_member(json_t *body, const char *name, long long min, long long max, long long *out)
{
    json_t *v = json_object_get(body, name);
    if (v == NULL)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return -1;
    *out = json_integer_value(v);
    return 0;
}

void standin_reply_error(h2o_req_t *req, int status, const char *text)
{
    standin_reply_json(req, status, json_pack("{s:s}", "error", text));
}

/* Whether the request's method is one of the list "GET, POST". */
static int method_listed(const h2o_req_t *req, const char *methods)
{
    for (const char *p = methods; *p;) {
        size_t n = strcspn(p, ",");
        if (h2o_memis(req->method.base, req->method.len, p, n))
            return 1;
        p += n;
        p += strspn(p, ", ");
    }
    return 0;
}

/* 0 after answering 401 when the path is a control one and the token is missing; 1 otherwise. */
static int token_ok(h2o_req_t *req, const standin_route_t *r, const char *control_token)
{
    if (strncmp(r->path, CONTROL_PREFIX, strlen(CONTROL_PREFIX)) != 0 ||
        standin_control_authorized(req, control_token))
        return 1;
    standin_header(req, "www-authenticate", "Bearer");
    standin_reply_error(req, 401, "the control endpoints need authorization: Bearer <control token>");
    return 0;
}

const standin_route_t *standin_route(h2o_req_t *req, const void *routes, size_t n, size_t stride,
                                     const char *control_token, standin_route_order_t order)
{
    size_t len = standin_path_length(req);
    char allow[ALLOW_MAX] = "";
    for (size_t i = 0; i < n; i++) {
        const standin_route_t *r = (const standin_route_t *)((const char *)routes + i * stride);
        if (!h2o_memis(req->path.base, len, r->path, strlen(r->path)))
            continue;
        if (order == STANDIN_TOKEN_THEN_METHOD && !token_ok(req, r, control_token))
            return NULL;
        if (!method_listed(req, r->methods)) {
            snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s%s", allow[0] ? ", " : "", r->methods);
            continue;
        }
        return token_ok(req, r, control_token) ? r : NULL;
    }
    if (allow[0]) {
        standin_header(req, "allow", allow);
        standin_reply_error(req, 405, "method not allowed");
    } else {
        standin_reply_error(req, 404, "not found");
    }
    return NULL;
}
