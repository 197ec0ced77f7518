/* The checks of an upstream as a whole, and of the upstreams of a document together (contract in
 * upstreams_config.h): what no single field can say on its own. Each names the key at fault and its line. */
#include <stdio.h>
#include <string.h>

#include "config_keys.h"
#include "config_upstreams_internal.h"

static void check_targets(cong_config_reader_t *r, const char *path, const cong_upstream_config_t *u)
{
    char at[CONG_CONFIG_PATH_LEN + 32];
    if (u->target_count == 0) {
        snprintf(at, sizeof at, "%s.targets", path);
        cong_config_read_report(r, u->line, at, "at least one target is needed");
    }
    for (size_t i = 0; i < u->target_count; i++)
        for (size_t j = 0; j < i; j++) {
            const cong_upstream_target_config_t *a = &u->targets[i], *b = &u->targets[j];
            if (a->host && b->host && a->port == b->port && strcmp(a->host, b->host) == 0) {
                snprintf(at, sizeof at, "%s.targets[%zu].address", path, i);
                cong_config_read_report(r, a->line, at, "the same address as targets[%zu]", j);
            }
        }
}

static void check_tls(cong_config_reader_t *r, const char *path, const cong_upstream_config_t *u)
{
    char at[CONG_CONFIG_PATH_LEN + 32];
    if (u->protocol == CONG_UPSTREAM_H2C && u->tls.line) {
        snprintf(at, sizeof at, "%s.tls", path);
        cong_config_read_report(r, u->tls.line, at, "h2c is cleartext HTTP/2 (prior knowledge): it takes no tls; use "
                                                    "protocol h2 for HTTP/2 over TLS");
    }
    int cert = u->tls.client_cert_file[0] != '\0', key = u->tls.client_key_file[0] != '\0';
    if (cert != key) {
        snprintf(at, sizeof at, "%s.tls.%s", path, cert ? "client_key_file" : "client_cert_file");
        cong_config_read_report(r, cert ? u->tls.cert_line : u->tls.key_line, at,
                                "a client certificate and its key go together: set both or neither");
    }
}

static void check_timeouts(cong_config_reader_t *r, const char *path, const cong_upstream_config_t *u)
{
    char at[CONG_CONFIG_PATH_LEN + 32];
    int line = u->limits_line ? u->limits_line : u->line;
    if (u->limits.connect_timeout_ms > u->limits.total_timeout_ms ||
        u->limits.first_byte_timeout_ms > u->limits.total_timeout_ms) {
        snprintf(at, sizeof at, "%s.limits.total_timeout_ms", path);
        cong_config_read_report(r, line, at, "must be at least connect_timeout_ms and first_byte_timeout_ms");
    }
    if (u->health.path[0] != '\0' && u->health.timeout_ms >= u->health.interval_ms) {
        snprintf(at, sizeof at, "%s.health.timeout_ms", path);
        cong_config_read_report(r, u->health_line ? u->health_line : u->line, at, "must be less than interval_ms");
    }
}

static void check_balance(cong_config_reader_t *r, const char *path, const cong_upstream_config_t *u)
{
    if (u->balance.policy != CONG_BALANCE_CONSISTENT_HASH && u->balance.hash_header != NULL) {
        char at[CONG_CONFIG_PATH_LEN + 32];
        snprintf(at, sizeof at, "%s.balance.key", path);
        cong_config_read_report(r, u->balance_line, at, "a key is for policy consistent_hash only");
    }
}

void cong_config_check_upstream(cong_config_reader_t *r, const char *path, const cong_upstream_config_t *u)
{
    check_targets(r, path, u);
    check_tls(r, path, u);
    check_timeouts(r, path, u);
    check_balance(r, path, u);
}

void cong_config_check_upstreams_document(cong_config_reader_t *r)
{
    const cong_upstreams_config_t *u = cong_config_read_target(r)->upstreams;
    for (size_t i = 0; u && i < u->count; i++)
        for (size_t j = 0; j < i && u->items[i].name[0] != '\0'; j++)
            if (strcmp(u->items[i].name, u->items[j].name) == 0) {
                char at[64];
                snprintf(at, sizeof at, "upstreams[%zu].name", i);
                cong_config_read_report_in(r, u->file, u->items[i].line, at, "the same name as upstreams[%zu]", j);
                break;
            }
}

/* 1 when two templates have the same shape: the same literals where both have literals, parameters where both have
 * parameters ("/a/{x}" and "/a/{y}" are one route for the router). */
static int same_shape(const char *a, const char *b)
{
    for (;;) {
        size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
        int pa = a[0] == '{', pb = b[0] == '{';
        if (pa != pb || (!pa && (la != lb || memcmp(a, b, la) != 0)))
            return 0;
        a += la, b += lb;
        if (!*a || !*b)
            return !*a && !*b;
        a++, b++;
    }
}

/* The route's path is under /v1/partners/<its upstream's partner>/. */
static int under_partner(const char *path, const char *partner)
{
    const char *name = path + strlen("/v1/partners/");
    size_t n = strlen(partner);
    return strlen(path) > strlen("/v1/partners/") && strncmp(name, partner, n) == 0 && name[n] == '/';
}

static void check_route_upstream(cong_config_reader_t *r, size_t i, const cong_partner_route_config_t *route,
                                 const cong_upstreams_config_t *u)
{
    char at[64];
    const cong_upstream_config_t *up = cong_upstream_config_find(u, route->upstream);
    if (!up) {
        snprintf(at, sizeof at, "partner_routes[%zu].upstream", i);
        cong_config_read_report_in(r, u->routes_file, route->upstream_line ? route->upstream_line : route->line, at,
                                "no upstream of that name in upstreams");
    } else if (up->partner.name[0] != '\0' && strncmp(route->path, "/v1/partners/", 13) == 0 &&
               !under_partner(route->path, up->partner.name)) {
        snprintf(at, sizeof at, "partner_routes[%zu].path", i);
        cong_config_read_report_in(r, u->routes_file, route->path_line, at,
                                   "must be under /v1/partners/<partner>/ with the partner.name of its upstream");
    }
}

void cong_config_check_partner_routes_document(cong_config_reader_t *r)
{
    const cong_upstreams_config_t *u = cong_config_read_target(r)->upstreams;
    for (size_t i = 0; u && i < u->route_count; i++) {
        const cong_partner_route_config_t *route = &u->routes[i];
        if (route->upstream[0] != '\0')
            check_route_upstream(r, i, route, u);
        for (size_t j = 0; j < i && route->path[0] != '\0'; j++)
            if (route->method_index == u->routes[j].method_index && same_shape(route->path, u->routes[j].path)) {
                char at[64];
                snprintf(at, sizeof at, "partner_routes[%zu].path", i);
                cong_config_read_report_in(r, u->routes_file, route->path_line, at,
                                           "the same method and path as partner_routes[%zu]", j);
                break;
            }
    }
}
