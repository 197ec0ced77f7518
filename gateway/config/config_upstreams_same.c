/* Whether two readings of `upstreams:` and `partner_routes:` say the same (contract in upstreams_config.h): what a
 * reload compares, since the proxy keeps the start's (gateway/upstream/upstream.h). Lines are not compared: moving a
 * key changes nothing. */
#include <string.h>

#include "config.h"

static int same_text(const char *a, const char *b)
{
    return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

static int same_list(const cong_strlist_t *a, const cong_strlist_t *b)
{
    if (a->count != b->count)
        return 0;
    for (size_t i = 0; i < a->count; i++)
        if (!same_text(a->items[i], b->items[i]))
            return 0;
    return 1;
}

#define SAME(f) (a->f == b->f)
#define SAME_TEXT(f) same_text(a->f, b->f)

static int same_targets(const cong_upstream_config_t *a, const cong_upstream_config_t *b)
{
    if (!SAME(target_count))
        return 0;
    for (size_t i = 0; i < a->target_count; i++)
        if (!same_text(a->targets[i].host, b->targets[i].host) || a->targets[i].port != b->targets[i].port ||
            a->targets[i].weight != b->targets[i].weight)
            return 0;
    return 1;
}

static int same_upstream(const cong_upstream_config_t *a, const cong_upstream_config_t *b)
{
    return SAME_TEXT(name) && same_targets(a, b) && SAME(protocol) && SAME_TEXT(tls.ca_file) &&
           SAME_TEXT(tls.client_cert_file) && SAME_TEXT(tls.client_key_file) && SAME_TEXT(tls.server_name) &&
           (a->tls.line != 0) == (b->tls.line != 0) && SAME(limits.max_concurrent) && SAME(limits.max_queued) &&
           SAME(limits.queue_timeout_ms) &&
           SAME(limits.connect_timeout_ms) && SAME(limits.first_byte_timeout_ms) && SAME(limits.total_timeout_ms) &&
           SAME(limits.max_request_body_bytes) && SAME(limits.max_response_body_bytes) &&
           SAME(retries.budget_permille) && SAME(retries.min_per_s) && SAME(balance.policy) &&
           SAME(balance.hash_key) && SAME_TEXT(balance.hash_header) && SAME_TEXT(health.path) &&
           SAME(health.interval_ms) && SAME(health.timeout_ms) && SAME(health.healthy_threshold) &&
           SAME(health.unhealthy_threshold) && SAME(outlier.consecutive_failures) &&
           SAME(outlier.base_ejection_ms) && SAME(outlier.max_ejection_percent) && SAME_TEXT(partner.name) &&
           same_list(&a->partner.scopes, &b->partner.scopes) && SAME(partner.quota_per_minute) &&
           SAME(partner.quota_burst) && SAME(partner.quota_daily) && SAME_TEXT(openapi_file);
}

static int same_route(const cong_partner_route_config_t *a, const cong_partner_route_config_t *b)
{
    return SAME_TEXT(method) && SAME_TEXT(path) && SAME_TEXT(upstream) && SAME_TEXT(rewrite) && SAME(auth) &&
           same_list(&a->scopes, &b->scopes) && SAME(min_level) && SAME(mandate_action) && SAME_TEXT(rate_class);
}

int cong_upstreams_config_same(const cong_upstreams_config_t *a, const cong_upstreams_config_t *b)
{
    size_t na = a ? a->count : 0, nb = b ? b->count : 0, ra = a ? a->route_count : 0, rb = b ? b->route_count : 0;
    if (na != nb || ra != rb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (!same_upstream(&a->items[i], &b->items[i]))
            return 0;
    for (size_t i = 0; i < ra; i++)
        if (!same_route(&a->routes[i], &b->routes[i]))
            return 0;
    return 1;
}
