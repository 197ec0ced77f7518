/* tools/fcm_standin/http.c — the request log line, Google's error shapes, held replies, routing (see http.h). */
#include "http.h"

#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SEND_PREFIX "/v1/projects/"
#define SEND_SUFFIX "/messages:send"

typedef struct route {
    standin_route_t route; /* first: standin_route hands it back */
    void (*serve)(fcm_app_t *app, h2o_req_t *req);
} route_t;

static const route_t routes[] = {
    {{"/token", "POST"}, fcm_serve_token},
    {{"/control/behaviour", "POST"}, fcm_serve_behaviour},
    {{"/control/messages", "GET"}, fcm_serve_messages},
    {{"/control/stats", "GET"}, fcm_serve_stats},
    {{"/control/reset", "POST"}, fcm_serve_reset},
    {{"/control/tokens/expire", "POST"}, fcm_serve_expire_tokens},
    {{"/healthz", "GET"}, fcm_serve_healthz},
};

void fcm_log_request(int method_len, const char *method, const char *path, int status)
{
    fprintf(stderr, "fcm-standin: %.*s %s %d\n", method_len, method, path, status);
}

json_t *fcm_google_error(int code, const char *status, const char *message, json_t *details)
{
    json_t *error = json_pack("{s:i, s:s, s:s}", "code", code, "message", message, "status", status);
    if (error && json_array_size(details) > 0)
        json_object_set(error, "details", details);
    json_decref(details);
    return error ? json_pack("{s:o}", "error", error) : NULL;
}

json_t *fcm_error_detail(const char *error_code)
{
    return json_pack("{s:s, s:s}", "@type", "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode",
                     error_code);
}

/* A reply waiting for its time (standin_hold.h); it owns body until sent or dropped. */
typedef struct held_reply {
    int status, retry_after_s;
    json_t *body;
} held_reply_t;

static void reply_now(h2o_req_t *req, int status, json_t *body, int retry_after_s)
{
    if (retry_after_s >= 0) {
        char value[16];
        snprintf(value, sizeof value, "%d", retry_after_s);
        standin_header(req, "retry-after", value);
    }
    standin_reply_json(req, status, body);
}

static void on_held(void *data, h2o_req_t *req)
{
    held_reply_t *r = data;
    if (req)
        reply_now(req, r->status, r->body, r->retry_after_s);
    else
        json_decref(r->body);
    free(r);
}

void fcm_reply_later(fcm_app_t *app, h2o_req_t *req, int delay_ms, int status, json_t *body, int retry_after_s)
{
    held_reply_t *r = delay_ms > 0 ? malloc(sizeof *r) : NULL;
    if (r) {
        *r = (held_reply_t){.status = status, .body = body, .retry_after_s = retry_after_s};
        if (standin_hold(app->loop, req, (uint64_t)delay_ms, on_held, r) == 0)
            return;
        free(r);
    }
    reply_now(req, status, body, retry_after_s);
}

int fcm_bearer(const h2o_req_t *req, h2o_iovec_t *token)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (i < 0)
        return 0;
    h2o_iovec_t v = req->headers.entries[i].value;
    if (v.len <= 7 || strncasecmp(v.base, "Bearer ", 7) != 0)
        return 0;
    *token = h2o_iovec_init(v.base + 7, v.len - 7);
    return 1;
}

/* POST /v1/projects/{project}/messages:send: the project's bytes, or 0 when the path is not that. */
static size_t send_project(const h2o_req_t *req, const char **project)
{
    size_t n = standin_path_length(req), pre = strlen(SEND_PREFIX), suf = strlen(SEND_SUFFIX);
    const char *p = req->path.base;
    if (n <= pre + suf || memcmp(p, SEND_PREFIX, pre) != 0 || memcmp(p + n - suf, SEND_SUFFIX, suf) != 0)
        return 0;
    *project = p + pre;
    size_t len = n - pre - suf;
    return memchr(*project, '/', len) ? 0 : len;
}

static void serve_api_path(fcm_app_t *app, h2o_req_t *req)
{
    const char *project;
    size_t len = send_project(req, &project);
    if (len > 0 && standin_method_is(req, "POST")) {
        fcm_serve_send(app, req, project, len);
        return;
    }
    standin_reply_json(req, 404, fcm_google_error(404, "NOT_FOUND", "The requested URL was not found on this server.",
                                                  NULL));
}

void fcm_dispatch(fcm_app_t *app, h2o_req_t *req)
{
    size_t n = standin_path_length(req);
    if (n >= 4 && memcmp(req->path.base, "/v1/", 4) == 0) {
        serve_api_path(app, req);
        return;
    }
    const route_t *r = (const route_t *)standin_route(req, routes, sizeof routes / sizeof routes[0], sizeof routes[0],
                                                      app->config.control_token, STANDIN_METHOD_THEN_TOKEN);
    if (r)
        r->serve(app, req);
}
