/*
 * GET /v1/units/{code}/queue — the unit's queue today: the number last called at each counter, and per domain the
 * tickets waiting and the last number issued. Public (CONG_AUTH_NONE): it is what the screen in the unit's hall shows,
 * names nobody, and screens and apps poll it without a citizen's token (per-address rate limits apply).
 *
 * Cheap to poll: the answer is a JSON snapshot kept in Redis for view_cache_ms and served from there; every change
 * (a number taken, called or cancelled) drops it, and the next request rebuilds it from PostgreSQL (queue_view). When
 * Redis does not answer, PostgreSQL is read directly. Clients may cache it as long (Cache-Control: public, max-age).
 * A snapshot can lag a change by at most view_cache_ms (a rebuild that read before the change and stored after its
 * drop), and a client's copy by max-age more.
 */
#include <stdio.h>
#include <string.h>

#include "queue.h"

typedef struct viewing {
    const char *unit, *day;
    int cache; /* 1 when Redis answered: store the rebuilt snapshot */
} viewing_t;

static void reply_view(cong_req_t *req, const char *text, size_t len)
{
    char control[48];
    int max_age = queue_config.view_cache_ms / 1000;
    if (max_age > 0)
        snprintf(control, sizeof control, "public, max-age=%d", max_age);
    else
        snprintf(control, sizeof control, "public, no-cache");
    queue_api->reply_header(req, "cache-control", control);
    queue_api->reply_text(req, 200, "application/json", text, len);
}

static void ignore(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    (void)req, (void)err, (void)reply, (void)udata;
}

int queue_view_key(char *out, size_t size, const char *unit, const char *day)
{
    int n = snprintf(out, size, "cong:queue:{%s}:%s:view", unit, day);
    return n > 0 && (size_t)n < size ? n : -1;
}

void queue_view_forget(cong_req_t *req, const char *unit, const char *day)
{
    char key[128];
    if (queue_view_key(key, sizeof key, unit, day) < 0)
        return;
    const char *argv[] = {"DEL", key};
    size_t argvlen[] = {3, strlen(key)};
    (void)queue_api->redis_command(req, 2, argv, argvlen, ignore, NULL); /* unsent: it ends with its lifetime */
}

static void store(cong_req_t *req, const viewing_t *v, const char *text)
{
    char key[128], ttl[16];
    if (queue_config.view_cache_ms <= 0 || queue_view_key(key, sizeof key, v->unit, v->day) < 0)
        return;
    snprintf(ttl, sizeof ttl, "%d", queue_config.view_cache_ms);
    const char *argv[] = {"SET", key, text, "PX", ttl};
    size_t argvlen[] = {3, strlen(key), strlen(text), 2, strlen(ttl)};
    (void)queue_api->redis_command(req, 5, argv, argvlen, ignore, NULL);
}

static void on_built(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    const cong_api_t *api = queue_api;
    viewing_t *v = udata;
    if (err != 0 || api->pg_ntuples(res) != 1)
        return queue_reply_store_error(req, err != 0 ? err : CONG_EIO);
    if (api->pg_is_null(res, 0, 0))
        return (void)api->reply_problem(req, 404, "not-found", "Không có đơn vị này.", "There is no such unit.");
    const char *text = api->pg_value(res, 0, 0);
    if (v->cache)
        store(req, v, text);
    reply_view(req, text, strlen(text));
}

static void build(cong_req_t *req, viewing_t *v)
{
    const char *params[] = {v->unit, v->day};
    queue_query(req, "SELECT queue_view($1, $2::date)", 2, params, on_built, v);
}

static void on_cached(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    const cong_api_t *api = queue_api;
    viewing_t *v = udata;
    if (err == 0 && api->redis_type(reply) == CONG_REDIS_STRING) {
        size_t len = 0;
        const char *text = api->redis_string(reply, &len);
        return reply_view(req, text, len);
    }
    v->cache = err == 0 && api->redis_type(reply) == CONG_REDIS_NIL;
    build(req, v);
}

static void view(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = queue_api;
    size_t len = 0;
    viewing_t *v = api->req_alloc(req, sizeof *v);
    if (v == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    v->unit = api->req_path_param(req, "code", &len);
    if (!queue_code_ok(v->unit))
        return (void)api->reply_problem(req, 404, "not-found", "Không có đơn vị này.", "There is no such unit.");
    v->day = queue_today(req, NULL, NULL);
    if (v->day == NULL)
        return;
    char key[128];
    if (queue_config.view_cache_ms <= 0 || queue_view_key(key, sizeof key, v->unit, v->day) < 0)
        return build(req, v);
    const char *argv[] = {"GET", key};
    size_t argvlen[] = {3, strlen(key)};
    if (api->redis_command(req, 2, argv, argvlen, on_cached, v) != 0)
        build(req, v); /* Redis down: read PostgreSQL, store nothing */
}

int queue_view_register(cong_module_ctx_t *ctx)
{
    cong_route_def_t def = {.size = sizeof def, .method = "GET", .path = "/v1/units/{code}/queue", .handler = view,
                            .auth = CONG_AUTH_NONE, .min_loa = 0, .operation_id = "getUnitQueue"};
    return queue_api->register_route(ctx, &def);
}
