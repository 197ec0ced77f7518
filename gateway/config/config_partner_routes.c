/* Configuration of the routes to partners' upstreams: the `partner_routes:` list (contract in upstreams_config.h).
 * A route is `METHOD /v1/partners/<partner>/...` with {param} segments as the router takes them, the upstream that
 * serves it, how its path is rewritten, and what the phases check (auth, scopes, level, mandate action, rate class),
 * as a module's route declares them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "config_fields.h"
#include "config_keys.h"
#include "config_upstreams_internal.h"
#include "config_values.h"
#include "cong/module.h"

#define PREFIX "/v1/partners/"
#define MAX_PARAMS 8    /* CONG_ROUTER_MAX_PARAMS (router.h) */
#define MAX_SEGMENTS 32 /* CONG_ROUTER_MAX_SEGMENTS */

/* RFC 3986 pchar without percent-encoding: what a literal segment of a template may hold. */
static int is_literal_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~!$&'()*+,;=:@", c);
}

static int is_param_name(const char *s, size_t len)
{
    if (len == 0 || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_'))
            return 0;
    return 1;
}

/* 1 when the segment [s, s+len) of `text` names a {param} that appears as a whole segment of `path`. */
static int path_has_param(const char *path, const char *name, size_t len)
{
    for (const char *p = strchr(path, '{'); p; p = strchr(p + 1, '{'))
        if (strncmp(p + 1, name, len) == 0 && p[1 + len] == '}')
            return 1;
    return 0;
}

/* "/v1/partners/<partner>/more/{id}": whole-segment {params}, literal pchars, no dot segments. */
static const char *check_path(const char *text)
{
    if (strncmp(text, PREFIX, strlen(PREFIX)) != 0)
        return "must start with /v1/partners/<partner>/";
    size_t segments = 0, params = 0;
    for (const char *s = text + 1;; segments++) {
        const char *end = strchr(s, '/');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        if (len == 0 || (len <= 2 && strncmp(s, "..", len) == 0))
            return "expected segments that are not empty, \".\" or \"..\"";
        if (s[0] == '{') {
            if (s[len - 1] != '}' || !is_param_name(s + 1, len - 2) || segments == 2)
                return segments == 2 ? "the partner's segment must be its name, not a parameter"
                                     : "a parameter is a whole segment {name} of [A-Za-z0-9_]";
            if (path_has_param(s + len, s + 1, len - 2))
                return "a parameter name appears twice";
            params++;
        } else {
            for (size_t i = 0; i < len; i++)
                if (!is_literal_char(s[i]))
                    return "a literal segment holds letters, digits and -._~!$&'()*+,;=:@ only";
        }
        if (!end)
            break;
        s = end + 1;
    }
    if (segments + 1 < 4)
        return "expected at least one segment after /v1/partners/<partner>";
    if (segments + 1 > MAX_SEGMENTS || params > MAX_PARAMS)
        return "at most 32 segments and 8 parameters";
    return NULL;
}

/* "" or an absolute path whose {name}s are parameters of the route's path (checked once both are read). */
static const char *check_rewrite_syntax(const char *text)
{
    if (!*text)
        return NULL;
    if (text[0] != '/')
        return "expected an absolute path, or \"\" to strip /v1/partners/<partner>";
    for (const char *s = text; *s; s++)
        if (*s != '/' && *s != '{' && *s != '}' && !is_literal_char(*s))
            return "expected a path of letters, digits, -._~!$&'()*+,;=:@ and {parameters}";
    return NULL;
}

static const char *check_upstream_ref(const char *text)
{
    return cong_config_check_name(text, 64, 1);
}

static const char *check_rate_class(const char *text)
{
    size_t n = strlen(text);
    if (n == 0 || n > 32 || strspn(text, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
        return "expected 1 to 32 of [a-z0-9_]";
    return NULL;
}

static int read_mandate_action(cong_config_reader_t *r, const char *path, int line, void *base)
{
    cong_partner_route_config_t *route = base;
    size_t len = 0;
    const char *text = cong_config_read_scalar(r, &len);
    if (text && (len == 0 || cong_config_read_is_null(r))) {
        route->mandate_action = 0;
        return 0;
    }
    for (unsigned bit = 1; text && bit; bit <<= 1) {
        const char *name = cong_mandate_action_name(bit);
        if (name && strlen(name) == len && memcmp(name, text, len) == 0) {
            route->mandate_action = bit;
            return 0;
        }
    }
    return cong_config_read_refuse(r, line, path, "expected a mandate action (view, submit, pay, receive_result, "
                                                  "rate)");
}

#define R(f) offsetof(cong_partner_route_config_t, f)
static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", NULL};
static const char *const auth_modes[] = {"none", "token", "session", NULL};

static const cong_config_field_t route_fields[] = {
    {.name = "method", .type = CONG_FIELD_ENUM, .offset = R(method_index), .names = methods, .required = 1,
     CONG_FIELD_NO_LINE},
    {.name = "path", .type = CONG_FIELD_STRING, .offset = R(path), .check = check_path, .required = 1,
     .line_offset = R(path_line)},
    {.name = "upstream", .type = CONG_FIELD_STRING, .offset = R(upstream), .check = check_upstream_ref,
     .required = 1, .line_offset = R(upstream_line)},
    {.name = "rewrite", .type = CONG_FIELD_STRING, .offset = R(rewrite), .check = check_rewrite_syntax,
     .line_offset = R(rewrite_line)},
    {.name = "auth", .type = CONG_FIELD_ENUM, .offset = R(auth), .names = auth_modes, .line_offset = R(auth_line)},
    {.name = "scopes", .type = CONG_FIELD_STRLIST, .offset = R(scopes), .check = cong_config_check_scope,
     CONG_FIELD_NO_LINE},
    {.name = "min_level", .type = CONG_FIELD_INT, .offset = R(min_level), .min = 0, .max = 2,
     .line_offset = R(min_level_line)},
    {.name = "mandate_action", .type = CONG_FIELD_CUSTOM, .read = read_mandate_action, CONG_FIELD_NO_LINE},
    {.name = "rate_class", .type = CONG_FIELD_STRING, .offset = R(rate_class), .check = check_rate_class,
     .line_offset = R(rate_class_line)},
};

static void route_free(cong_partner_route_config_t *route)
{
    free(route->path);
    free(route->upstream);
    free(route->rewrite);
    free(route->rate_class);
    cong_strlist_free(&route->scopes);
}

void cong_partner_routes_free(cong_upstreams_config_t *u)
{
    for (size_t i = 0; i < u->route_count; i++)
        route_free(&u->routes[i]);
    free(u->routes);
    u->routes = NULL;
    u->route_count = 0;
}

/* Every {name} of the rewrite must be a parameter of the path. */
static void check_rewrite(cong_config_reader_t *r, const char *path, const cong_partner_route_config_t *route)
{
    if (!route->rewrite[0] || !route->path[0])
        return;
    for (const char *s = strchr(route->rewrite, '{'); s; s = strchr(s + 1, '{')) {
        const char *end = strchr(s, '}');
        if (!end || !path_has_param(route->path, s + 1, (size_t)(end - s - 1))) {
            char at[CONG_CONFIG_PATH_LEN + 16];
            snprintf(at, sizeof at, "%s.rewrite", path);
            cong_config_read_report(r, route->rewrite_line, at, "each {name} must be a parameter of the path");
            return;
        }
    }
}

/* auth none is a public route: no scopes, no level, nobody acting for someone. */
static void check_auth(cong_config_reader_t *r, const char *path, cong_partner_route_config_t *route)
{
    char at[CONG_CONFIG_PATH_LEN + 16];
    if (route->auth != CONG_PARTNER_AUTH_NONE)
        return;
    if (!route->min_level_line)
        route->min_level = 0;
    const char *what = route->scopes.count ? "scopes" : route->min_level ? "min_level" : route->mandate_action
                                                                                       ? "mandate_action" : NULL;
    if (what) {
        snprintf(at, sizeof at, "%s.auth", path);
        cong_config_read_report(r, route->auth_line, at, "a route with auth none takes no %s", what);
    }
}

static int on_route(cong_config_reader_t *r, const char *path, size_t index, int line, void *arg)
{
    (void)index;
    cong_upstreams_config_t *u = arg;
    cong_partner_route_config_t *grown = realloc(u->routes, (u->route_count + 1) * sizeof *grown);
    if (!grown)
        return cong_config_read_nomem(r);
    u->routes = grown;
    cong_partner_route_config_t *route = &grown[u->route_count++];
    *route = (cong_partner_route_config_t){.auth = CONG_PARTNER_AUTH_TOKEN, .min_level = 1, .line = line,
                                           .path = strdup(""), .upstream = strdup(""), .rewrite = strdup(""),
                                           .rate_class = strdup("default")};
    if (!route->path || !route->upstream || !route->rewrite || !route->rate_class)
        return cong_config_read_nomem(r);
    if (!cong_config_read_is_mapping(r))
        return cong_config_read_refuse(r, line, path, "expected a mapping (method, path, upstream, ...)");
    if (cong_config_read_fields(r, path, line, route_fields, sizeof route_fields / sizeof route_fields[0], route) < 0)
        return -1;
    route->method = methods[route->method_index];
    check_rewrite(r, path, route);
    check_auth(r, path, route);
    return 0;
}

static int read_routes_section(cong_config_reader_t *r, const char *path)
{
    cong_upstreams_config_t *u = cong_config_upstreams_of(cong_config_read_target(r));
    if (!u || cong_config_upstreams_note_file(r, &u->routes_file) < 0)
        return cong_config_read_nomem(r);
    cong_partner_routes_free(u); /* the section replaces what an earlier parse gave */
    return cong_config_read_items(r, path, on_route, u);
}

const cong_config_feature_t cong_config_partner_routes_feature = CONG_CONFIG_LIST_FEATURE(
    "partner routes", "partner_routes", read_routes_section, cong_config_check_partner_routes_document);
