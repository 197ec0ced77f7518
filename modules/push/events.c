/*
 * GET /v1/me/events — the caller's live events as Server-Sent Events (issue 14, "Live events"), one stream per open
 * app. Own affairs only, and only with a session's token (an API client's token has no person's events).
 *
 * A stream follows three logs (push/live.h): the person's "cong:user:<subject>:log"; the area log of the ward the
 * person chose (push_subscribers.ward_code, read here, when the stream opens: a change of ward counts from the next
 * connect) and the city log — both only when the person is a subscriber, and of both only the broadcasts made at or
 * after their area_since, as the inbox shows them. Each event's `id` is the cursor over the three (live_id.c).
 *
 * At connect, before the stream begins (so a failure is still a problem answer), one Lua script checks the logs:
 *   - without Last-Event-ID: each log's newest id is its component; nothing old is sent;
 *   - with Last-Event-ID (a cursor, or a lone id from before area logs: the person's component, the others "0-0"):
 *     each component that is "0-0" (the whole log) or one of its log's ids is kept, and what follows it is sent, no
 *     gap, no duplicate; a component not in its log (trimmed past it, expired, the ward changed, or not one of its
 *     ids) becomes the log's newest id and the stream says "reset" first (with the cursor so made): the app reloads
 *     its inbox, then what comes next.
 * PostgreSQL or Redis down: 503 with Retry-After. Then live_streams.c keeps the stream: a `retry:` hint first, every
 * new entry as
 *     id: <cursor>\nevent: <e>\ndata: <d>\n\n
 * and a comment line when quiet.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Last-Event-ID into *cursor: 1 when present, 0 when absent, -1 after a 400. */
static int last_event_id(cong_req_t *req, push_live_cursor_t *cursor)
{
    size_t len;
    const char *v = push_api->req_header(req, "last-event-id", &len);
    if (v == NULL)
        return 0;
    char id[PUSH_LIVE_CURSOR_SIZE];
    if (len < sizeof id) {
        memcpy(id, v, len);
        id[len] = '\0';
    }
    if (len >= sizeof id || memchr(v, '\0', len) != NULL || !push_live_cursor_parse(id, cursor)) {
        push_api->reply_problem_ext(req, 400, "validation-failed", "Last-Event-ID không phải mã sự kiện đã gửi.",
                                    "Last-Event-ID is not the id of an event sent.",
                                    json_pack("{s:[{s:s, s:s}]}", "errors", "field", "Last-Event-ID", "code",
                                              "format"));
        return -1;
    }
    return 1;
}

/* KEYS: the logs followed. ARGV: per log, the component to resume after, or "" for none. Per log {state, id}: "new"
 * and its newest id ("0-0" when empty), "ok" and the component, "reset" and its newest id. */
static const char CONNECT_LUA[] =
    "local out = {}\n"
    "for i, key in ipairs(KEYS) do\n"
    "  local want = ARGV[i]\n"
    "  local top = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)\n"
    "  top = top[1] and top[1][1] or '0-0'\n"
    "  if want == '' then out[i] = {'new', top}\n"
    "  elseif want == '0-0' or #redis.call('XRANGE', key, want, want) == 1 then out[i] = {'ok', want}\n"
    "  else out[i] = {'reset', top} end\n"
    "end\n"
    "return out\n";

typedef struct connect {
    push_sse_t *sse;
    int resume; /* Last-Event-ID was given */
    int logs[PUSH_LIVE_LOGS], nlogs; /* the logs followed, in the script's order */
} connect_t;

static int begin(cong_req_t *req, push_sse_t *sse)
{
    int rc = push_live_open(sse);
    if (rc == CONG_ESTATE)
        push_api->reply_problem(req, 401, "invalid-token", "Phiên đăng nhập của mã truy cập này đã kết thúc.",
                                "The session of this access token has ended; sign in again.");
    else if (rc != 0 && rc != CONG_EGONE)
        push_reply_store_error(req, rc);
    return rc == 0 && !sse->closed;
}

/* The script's answer: the cursor set, the stream begun, "reset" if a component was lost, then every log read. */
static void on_checked(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    const cong_api_t *api = push_api;
    connect_t *c = udata;
    push_sse_t *sse = c->sse;
    if (err != 0 || api->redis_type(reply) != CONG_REDIS_ARRAY || api->redis_elements(reply) != (size_t)c->nlogs)
        return push_reply_store_error(req, err != 0 ? err : CONG_EUNAVAILABLE);
    int reset = 0;
    for (int i = 0; i < c->nlogs; i++) {
        const cong_redis_reply_t *r = api->redis_element(reply, i);
        const char *state = api->redis_elements(r) == 2 ? api->redis_string(api->redis_element(r, 0), NULL) : NULL;
        const char *id = state != NULL ? api->redis_string(api->redis_element(r, 1), NULL) : NULL;
        push_live_id_t v = {0, 0};
        if (id == NULL || !push_live_id_parse(id, &v))
            return push_reply_store_error(req, CONG_EIO);
        reset |= strcmp(state, "reset") == 0;
        sse->cursor.id[c->logs[i]] = v;
    }
    if (!begin(req, sse))
        return;
    if (reset) {
        char cursor[PUSH_LIVE_CURSOR_SIZE], text[PUSH_LIVE_CURSOR_SIZE + 40];
        push_live_cursor_format(&sse->cursor, cursor);
        int n = snprintf(text, sizeof text, "id: %s\nevent: reset\ndata: {}\n\n", cursor);
        if (!push_live_write(sse, text, (size_t)n))
            return;
    }
    push_live_read(sse, PUSH_SSE_ALL_LOGS); /* what came since the script (its channel line may be gone by) */
}

static void check_logs(cong_req_t *req, connect_t *c)
{
    push_sse_t *sse = c->sse;
    const char *argv[3 + 2 * PUSH_LIVE_LOGS] = {"EVAL", CONNECT_LUA};
    char keys[PUSH_LIVE_LOGS][PUSH_SSE_KEY_SIZE], ids[PUSH_LIVE_LOGS][PUSH_LIVE_ID_SIZE], nkeys[4];
    c->nlogs = 0;
    for (int log = 0; log < PUSH_LIVE_LOGS; log++)
        if (push_live_follows(sse, log))
            c->logs[c->nlogs++] = log;
    snprintf(nkeys, sizeof nkeys, "%d", c->nlogs);
    argv[2] = nkeys;
    for (int i = 0; i < c->nlogs; i++) {
        int log = c->logs[i];
        if (log == PUSH_LOG_PERSON)
            snprintf(keys[i], sizeof keys[i], "%s", sse->log_key);
        else if (log == PUSH_LOG_AREA)
            snprintf(keys[i], sizeof keys[i], "cong:area:%s:log", sse->ward);
        else
            snprintf(keys[i], sizeof keys[i], "cong:city:log"); /* push/live.h PUSH_LIVE_CITY_LOG */
        if (c->resume)
            push_live_id_format(sse->cursor.id[log], ids[i]);
        else
            ids[i][0] = '\0';
        argv[3 + i] = keys[i];
        argv[3 + c->nlogs + i] = ids[i];
    }
    int argc = 3 + 2 * c->nlogs;
    size_t argvlen[3 + 2 * PUSH_LIVE_LOGS];
    for (int i = 0; i < argc; i++)
        argvlen[i] = strlen(argv[i]);
    int rc = push_api->redis_command(req, argc, argv, argvlen, on_checked, c);
    if (rc != 0)
        push_reply_store_error(req, rc);
}

/* The person's area: the ward followed (if any), the city log, area_since. */
static void on_area(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    const cong_api_t *api = push_api;
    connect_t *c = udata;
    if (err != 0)
        return push_reply_store_error(req, err);
    if (api->pg_ntuples(res) == 1) {
        c->sse->city = 1;
        if (!api->pg_is_null(res, 0, 0))
            snprintf(c->sse->ward, sizeof c->sse->ward, "%s", api->pg_value(res, 0, 0));
        c->sse->area_since_us = strtoll(api->pg_value(res, 0, 1), NULL, 10);
    }
    check_logs(req, c);
}

static void get_events(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = push_api;
    if (!session_token(req))
        return;
    push_live_cursor_t resume = {0};
    int given = last_event_id(req, &resume);
    if (given < 0)
        return;
    const char *subject = api->req_principal(req)->subject;
    if (push_live_count(subject) >= push_config.events_max_per_subject) {
        api->reply_problem(req, 429, "rate-limited", "Đã mở quá nhiều luồng sự kiện trực tiếp.",
                           "Too many live event streams are open for this person; close one.");
        return;
    }
    push_sse_t *sse = api->req_alloc(req, sizeof *sse);
    connect_t *c = api->req_alloc(req, sizeof *c);
    if (sse == NULL || c == NULL ||
        snprintf(sse->log_key, sizeof sse->log_key, "cong:user:%s:log", subject) >= PUSH_SSE_KEY_SIZE) {
        push_reply_store_error(req, CONG_ENOMEM);
        return;
    }
    memset(sse, 0, sizeof *sse);
    snprintf(sse->log_key, sizeof sse->log_key, "cong:user:%s:log", subject);
    sse->req = req;
    sse->subject = subject;
    sse->session_id = api->req_principal(req)->session_id; /* session_token(): a session's, never NULL here */
    sse->cursor = resume;
    sse->last_write_ms = push_now_ms();
    *c = (connect_t){.sse = sse, .resume = given};
    const char *params[] = {subject};
    push_query(req,
               "SELECT ward_code, (extract(epoch FROM area_since) * 1000000)::bigint FROM push_subscribers"
               " WHERE subject = $1",
               1, params, on_area, c);
}

int push_events_register(cong_module_ctx_t *ctx)
{
    if (!CONG_API_HAS(push_api, register_session_listener))
        return CONG_EVERSION;
    cong_route_def_t r = {.size = sizeof r, .method = "GET", .path = "/v1/me/events", .handler = get_events,
                          .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "streamMyEvents",
                          .mandate_action = NULL};
    int rc = push_api->register_route(ctx, &r);
    return rc != 0 ? rc : push_live_register(ctx);
}
