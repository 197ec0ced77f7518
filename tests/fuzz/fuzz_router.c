/*
 * tests/fuzz/fuzz_router.c — libFuzzer target for gateway/http/router.h.
 *
 * Input: the first byte picks a method from `methods`, the rest is the request path (raw bytes, no NUL terminator).
 * The target matches it against a fixed set of realistic routes and traps when a documented property fails.
 * Also built with tests/fuzz/replay_main.c (no libFuzzer) to replay the corpus.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(condition)                                                                                               \
    do {                                                                                                               \
        if (!(condition))                                                                                              \
            __builtin_trap();                                                                                          \
    } while (0)

typedef struct fuzz_route {
    const char *method;
    const char *template_path;
} fuzz_route_t;

/* Each entry's own address is its route pointer. */
static fuzz_route_t routes[] = {
    {"GET", "/"},
    {"GET", "/healthz"},
    {"GET", "/readyz"},
    {"GET", "/v1/ping"},
    {"POST", "/v1/dossiers"},
    {"GET", "/v1/dossiers/search"},
    {"GET", "/v1/dossiers/{code}"},
    {"PUT", "/v1/dossiers/{code}"},
    {"DELETE", "/v1/dossiers/{code}"},
    {"GET", "/v1/dossiers/{code}/timeline"},
    {"GET", "/v1/dossiers/{code}/timeline/{event_id}"},
    {"GET", "/v1/procedures/{code}"},
    {"HEAD", "/v1/procedures/{code}"},
    {"GET", "/v1/procedures/{code}/steps/{step}"},
    {"GET", "/v1/citizens/me/inbox"},
    {"PATCH", "/v1/citizens/me/inbox/{message_id}"},
    {"POST", "/v1/{service}/webhooks/{hook_id}"},
    {"GET", "/v1/{service}/status"},
    {"GET", "/v1/a/b/c"},
    {"GET", "/v1/{x}/b/d"},
};
#define NROUTES (sizeof routes / sizeof routes[0])

static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get", ""};
#define NMETHODS (sizeof methods / sizeof methods[0])

static const cong_router_t *fuzz_router(void)
{
    static cong_router_t *router;
    if (router == NULL) {
        router = cong_router_new();
        CHECK(router != NULL);
        for (size_t i = 0; i < NROUTES; i++)
            CHECK(cong_router_add(router, routes[i].method, routes[i].template_path, &routes[i]) == 0);
    }
    return router;
}

static bool equals(const char *a, size_t a_len, const char *b)
{
    return a_len == strlen(b) && memcmp(a, b, a_len) == 0;
}

static bool allow_lists(const char *allow, const char *method, size_t method_len)
{
    const char *start = allow;
    for (;;) {
        const char *comma = strchr(start, ',');
        size_t len = comma ? (size_t)(comma - start) : strlen(start);
        if (len == method_len && memcmp(start, method, len) == 0)
            return true;
        if (comma == NULL)
            return false;
        start = comma + 2;
    }
}

static size_t count_byte(const char *text, size_t len, char byte)
{
    size_t count = 0;
    for (size_t i = 0; i < len; i++)
        count += text[i] == byte;
    return count;
}

/* Without '%' in the path the decoded segments are the raw ones: literals must equal, parameters must be them. */
static void check_against_template(const char *path, size_t path_len, const cong_route_match_t *m)
{
    const char *template_path = m->template_path;
    size_t path_at = 1, template_at = 1, param = 0;
    size_t template_len = strlen(template_path);
    for (;;) {
        size_t path_end = path_at, template_end = template_at;
        while (path_end < path_len && path[path_end] != '/')
            path_end++;
        while (template_end < template_len && template_path[template_end] != '/')
            template_end++;
        const char *segment = path + path_at;
        size_t segment_len = path_end - path_at;
        if (template_path[template_at] == '{') {
            CHECK(param < m->nparams);
            CHECK(m->params[param].value_len == segment_len);
            CHECK(memcmp(m->params[param].value, segment, segment_len) == 0);
            param++;
        } else {
            CHECK(template_end - template_at == segment_len);
            CHECK(memcmp(template_path + template_at, segment, segment_len) == 0);
        }
        CHECK((path_end == path_len) == (template_end == template_len));
        if (path_end == path_len)
            break;
        path_at = path_end + 1;
        template_at = template_end + 1;
    }
    CHECK(param == m->nparams);
}

static void check_found(const char *method, size_t method_len, const char *path, size_t path_len,
                        const char *scratch, size_t scratch_len, const cong_route_match_t *m)
{
    const fuzz_route_t *route = m->route;
    CHECK(route != NULL);
    CHECK(route >= routes && route < routes + NROUTES);
    CHECK(m->template_path != NULL && strcmp(m->template_path, route->template_path) == 0);
    CHECK(equals(method, method_len, route->method) ||
          (equals(method, method_len, "HEAD") && strcmp(route->method, "GET") == 0));
    CHECK(m->allow[0] == '\0');
    CHECK(m->nparams == count_byte(route->template_path, strlen(route->template_path), '{'));
    CHECK(count_byte(path, path_len, '/') == count_byte(route->template_path, strlen(route->template_path), '/'));
    CHECK(memchr(path, '\0', path_len) == NULL);

    for (size_t p = 0; p < m->nparams; p++) {
        const cong_path_param_t *param = &m->params[p];
        CHECK(param->name != NULL && param->value != NULL);
        CHECK(param->value >= scratch && param->value + param->value_len < scratch + scratch_len);
        CHECK(param->value_len > 0);
        /* %00 is refused, so a decoded value holds no NUL before its terminator. */
        CHECK(strlen(param->value) == param->value_len);
        CHECK(strcmp(param->value, ".") != 0 && strcmp(param->value, "..") != 0);
        size_t len = 0;
        CHECK(cong_route_param(m, param->name, &len) == param->value && len == param->value_len);
    }
    if (memchr(path, '%', path_len) == NULL)
        check_against_template(path, path_len, m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const cong_router_t *router = fuzz_router();
    const char *method = methods[data[0] % NMETHODS];
    size_t method_len = strlen(method);
    size_t path_len = size - 1;

    /* Exact-size copies, so that AddressSanitizer sees any read or write past them. */
    char *path = malloc(path_len ? path_len : 1);
    size_t scratch_len = path_len + CONG_ROUTER_MAX_PARAMS;
    char *scratch = malloc(scratch_len);
    CHECK(path != NULL && scratch != NULL);
    memcpy(path, data + 1, path_len);

    cong_route_match_t m;
    cong_route_result_t result =
        cong_router_match(router, method, method_len, path, path_len, scratch, scratch_len, &m);
    CHECK(memchr(m.allow, '\0', sizeof m.allow) != NULL);

    switch (result) {
    case CONG_ROUTE_FOUND:
        check_found(method, method_len, path, path_len, scratch, scratch_len, &m);
        break;
    case CONG_ROUTE_METHOD_NOT_ALLOWED:
        CHECK(m.route == NULL && m.nparams == 0);
        CHECK(m.allow[0] != '\0');
        CHECK(!allow_lists(m.allow, method, method_len));
        CHECK(!(equals(method, method_len, "HEAD") && allow_lists(m.allow, "GET", 3)));
        break;
    case CONG_ROUTE_NOT_FOUND:
    case CONG_ROUTE_BAD_PATH:
        CHECK(m.route == NULL && m.nparams == 0 && m.allow[0] == '\0');
        break;
    default:
        CHECK(false);
    }

    if (path_len == 0 || path[0] != '/' || memchr(path, '\0', path_len) != NULL || memmem(path, path_len, "%00", 3))
        CHECK(result == CONG_ROUTE_BAD_PATH);

    /* Matching is a pure function of its inputs. */
    cong_route_match_t again;
    CHECK(cong_router_match(router, method, method_len, path, path_len, scratch, scratch_len, &again) == result);
    CHECK(again.route == m.route && again.nparams == m.nparams && strcmp(again.allow, m.allow) == 0);

    free(scratch);
    free(path);
    return 0;
}
