/* What only the gateway can check of the partner routes, at start and at `cong --check-config` (contract in
 * upstream.h): their rate-limit classes are among the configured ones (limits/), and cong has the key it signs the
 * partner's token with (every proxied call carries one: without the key each would fail 502, silently). */
#include <stdio.h>

#include "gateway/limits/limits.h"
#include "upstream.h"

int cong_upstream_check_routes(const cong_config_t *cfg, cong_config_errors_t *errs)
{
    const cong_upstreams_config_t *u = cfg->upstreams;
    int count = 0;
    if (u && u->route_count > 0 && cfg->auth.signing_key_file[0] == '\0') {
        if (cong_config_error(errs, u->routes_file ? u->routes_file : "(config)", u->routes[0].line,
                              "partner_routes", "cong signs a token for the partner on every proxied call: set "
                              "auth.signing_key_file (CONG_AUTH_SIGNING_KEY_FILE)") != 0)
            return CONG_ENOMEM;
        count++;
    }
    for (size_t i = 0; u && i < u->route_count; i++) {
        const cong_partner_route_config_t *route = &u->routes[i];
        if (cong_rate_limit_class_known(route->rate_class))
            continue;
        char at[64];
        snprintf(at, sizeof at, "partner_routes[%zu].rate_class", i);
        int line = route->rate_class_line ? route->rate_class_line : route->line;
        if (cong_config_error(errs, u->routes_file ? u->routes_file : "(config)", line, at,
                              "not a configured class (%s)", cong_rate_limit_class_list) != 0)
            return CONG_ENOMEM;
        count++;
    }
    return count;
}
