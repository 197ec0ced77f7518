/*
 * GET /v1/me/events — the caller's live events as Server-Sent Events (issue 14, "Live events"), one stream per open
 * app. Own affairs only, and only with a session's token (an API client's token has no person's events).
 *
 * At connect, before the stream begins (so a failure is still a problem answer): with Last-Event-ID X, the log's
 * entries from X on (XRANGE cong:user:<subject>:log X +, push/live.h); X among them: what follows it is sent, no gap,
 * no duplicate; X not in the log (trimmed past it, expired, or not one of its ids): "reset" with the log's newest id,
 * so the app reloads its inbox, then what comes next. "0-0" (the reset id of an empty log) is older than everything:
 * the whole log. Without Last-Event-ID: the log's newest id (XREVRANGE ... COUNT 1), nothing old. Redis down: 503
 * with Retry-After. Then live_streams.c keeps the stream: a `retry:` hint first, every new entry as
 *     id: <entry id>\nevent: <e>\ndata: <d>\n\n
 * and a comment line when quiet.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "live_streams.h"

/* The caller's session: an API client's token ("client:<id>") or one without a session gets 403. */
static int session_token(cong_req_t *req)
{
    const char *sid = push_api->req_principal(req)->session_id;
    if (sid != NULL && sid[0] != '\0' && strncmp(sid, "client:", 7) != 0)
        return 1;
    push_api->reply_problem(req, 403, "session-required", "Chỉ nhận sự kiện trực tiếp khi đã đăng nhập.",
                            "Live events need a signed-in session; this token has no session.");
    return 0;
}

/* Last-Event-ID, NULL when absent; sets *bad after a 400. */
static const char *last_event_id(cong_req_t *req, int *bad)
{
    size_t len;
    const char *v = push_api->req_header(req, "last-event-id", &len);
    *bad = 0;
    if (v == NULL)
        return NULL;
    char *id = push_api->req_alloc(req, len + 1);
    if (id != NULL)
        memcpy(id, v, len);
    if (id == NULL || !push_live_id_parse(id, NULL)) {
        *bad = 1;
        push_api->reply_problem_ext(req, 400, "validation-failed", "Last-Event-ID không phải mã sự kiện đã gửi.",
                                    "Last-Event-ID is not the id of an event sent.",
                                    json_pack("{s:[{s:s, s:s}]}", "errors", "field", "Last-Event-ID", "code",
                                              "format"));
        return NULL;
    }
    return id;
}

/* The connect read is over and the stream has begun: read again if the channel spoke meanwhile, or more was left. */
static void follow(push_sse_t *sse, int more)
{
    if (more || push_live_seen() != sse->seen)
        push_live_read(sse);
}

static int begin(cong_req_t *req, push_sse_t *sse)
{
    int rc = push_live_open(sse);
    if (rc != 0 && rc != CONG_EGONE)
        push_reply_store_error(req, rc);
    return rc == 0 && !sse->closed;
}

static int redis(cong_req_t *req, push_sse_t *sse, const char *const *argv, int argc, cong_redis_cb cb)
{
    size_t argvlen[6];
    for (int i = 0; i < argc; i++)
        argvlen[i] = strlen(argv[i]);
    int rc = push_api->redis_command(req, argc, argv, argvlen, cb, sse);
    if (rc != 0)
        push_reply_store_error(req, rc);
    return rc;
}

static int reply_ok(cong_req_t *req, int err, const cong_redis_reply_t *reply)
{
    if (err == 0 && push_api->redis_type(reply) == CONG_REDIS_ARRAY)
        return 1;
    push_reply_store_error(req, err != 0 ? err : CONG_EUNAVAILABLE);
    return 0;
}

/* The newest entry's id of an XREVRANGE ... COUNT 1 reply, or "0-0". */
static void newest_id(const cong_redis_reply_t *reply, char out[PUSH_LIVE_ID_SIZE])
{
    const cong_api_t *api = push_api;
    const char *id = NULL;
    if (api->redis_elements(reply) > 0 && api->redis_elements(api->redis_element(reply, 0)) == 2)
        id = api->redis_string(api->redis_element(api->redis_element(reply, 0), 0), NULL);
    snprintf(out, PUSH_LIVE_ID_SIZE, "%s", id != NULL && push_live_id_parse(id, NULL) ? id : "0-0");
}

/* No Last-Event-ID: from now on. */
static void on_newest(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    push_sse_t *sse = udata;
    if (!reply_ok(req, err, reply))
        return;
    newest_id(reply, sse->last_id);
    if (begin(req, sse))
        follow(sse, 0);
}

/* Last-Event-ID not in the log: "reset", with the newest id to resume from. */
static void on_reset(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    push_sse_t *sse = udata;
    if (!reply_ok(req, err, reply))
        return;
    newest_id(reply, sse->last_id);
    if (!begin(req, sse))
        return;
    char text[PUSH_LIVE_ID_SIZE + 40];
    int n = snprintf(text, sizeof text, "id: %s\nevent: reset\ndata: {}\n\n", sse->last_id);
    if (push_live_write(sse, text, (size_t)n))
        follow(sse, 0);
}

static int entry_is(const cong_redis_reply_t *entries, size_t i, const char *id)
{
    const cong_api_t *api = push_api;
    if (i >= api->redis_elements(entries) || api->redis_elements(api->redis_element(entries, i)) != 2)
        return 0;
    const char *s = api->redis_string(api->redis_element(api->redis_element(entries, i), 0), NULL);
    return s != NULL && strcmp(s, id) == 0;
}

/* XRANGE key X + COUNT page: X first (what follows it is new), or X is not in the log. */
static void on_resume(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    push_sse_t *sse = udata;
    if (!reply_ok(req, err, reply))
        return;
    int everything = strcmp(sse->last_id, "0-0") == 0;
    if (!everything && !entry_is(reply, 0, sse->last_id)) {
        const char *argv[] = {"XREVRANGE", sse->log_key, "+", "-", "COUNT", "1"};
        redis(req, sse, argv, 6, on_reset);
        return;
    }
    if (!begin(req, sse))
        return;
    if (push_live_write_entries(sse, reply, everything ? 0 : 1))
        follow(sse, push_api->redis_elements(reply) == PUSH_SSE_PAGE);
}

static void get_events(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = push_api;
    if (!session_token(req))
        return;
    int bad;
    const char *resume = last_event_id(req, &bad);
    if (bad)
        return;
    const char *subject = api->req_principal(req)->subject;
    if (push_live_count(subject) >= push_config.events_max_per_subject) {
        api->reply_problem(req, 429, "rate-limited", "Đã mở quá nhiều luồng sự kiện trực tiếp.",
                           "Too many live event streams are open for this person; close one.");
        return;
    }
    push_sse_t *sse = api->req_alloc(req, sizeof *sse);
    if (sse == NULL || snprintf(sse->log_key, sizeof sse->log_key, "cong:user:%s:log", subject) >= PUSH_SSE_KEY_SIZE) {
        push_reply_store_error(req, CONG_ENOMEM);
        return;
    }
    sse->req = req;
    sse->subject = subject;
    sse->seen = push_live_seen();
    sse->last_write_ms = push_now_ms();
    char count[8];
    snprintf(count, sizeof count, "%d", PUSH_SSE_PAGE);
    if (resume != NULL) {
        snprintf(sse->last_id, sizeof sse->last_id, "%s", resume);
        const char *argv[] = {"XRANGE", sse->log_key, resume, "+", "COUNT", count};
        redis(req, sse, argv, 6, on_resume);
    } else {
        const char *argv[] = {"XREVRANGE", sse->log_key, "+", "-", "COUNT", "1"};
        redis(req, sse, argv, 6, on_newest);
    }
}

int push_events_register(cong_module_ctx_t *ctx)
{
    if (!CONG_API_HAS(push_api, register_channel))
        return CONG_EVERSION;
    cong_route_def_t r = {.size = sizeof r, .method = "GET", .path = "/v1/me/events", .handler = get_events,
                          .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "streamMyEvents",
                          .mandate_action = NULL};
    int rc = push_api->register_route(ctx, &r);
    return rc != 0 ? rc : push_live_register(ctx);
}
