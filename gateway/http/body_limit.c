/* The body-limit rule (contract in body_limit.h). */
#include "body_limit.h"

#include "gateway/gateway.h"
#include "route.h"

size_t cong_body_limit(const cong_config_t *cfg, const cong_route_entry_t *route)
{
    if (route != NULL && route->max_body_bytes > 0)
        return (size_t)route->max_body_bytes;
    return (size_t)cfg->limits.max_body_bytes;
}

size_t cong_body_limit_largest(const cong_gateway_t *gw)
{
    size_t max = cong_body_limit(gw->config, NULL);
    for (size_t i = 0; i < gw->route_count; i++) {
        size_t own = cong_body_limit(gw->config, gw->routes[i]);
        if (own > max)
            max = own;
    }
    return max;
}
