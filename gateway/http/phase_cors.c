/* Phase 3: CORS. Requests with an Origin on cors.allowed_origins get Access-Control-Allow-Origin (set by the response
 * filters). A preflight (OPTIONS + Origin + Access-Control-Request-Method) is answered here: 204 with the allowed
 * methods/headers when the origin is allowed and the path exists, 403 problem otherwise. Requests from other origins
 * are served without CORS headers, so browsers withhold the response. */
#include <stdio.h>
#include <string.h>

#include "gateway/config/config.h"
#include "pipeline.h"
#include "problem.h"

static const char *find_allowed_origin(const cong_config_t *cfg, h2o_iovec_t origin)
{
    for (size_t i = 0; i < cfg->cors.allowed_origins.count; i++) {
        const char *o = cfg->cors.allowed_origins.items[i];
        if (strlen(o) == origin.len && memcmp(o, origin.base, origin.len) == 0)
            return o;
    }
    return NULL;
}

static void join_list(char *out, size_t cap, const cong_strlist_t *list)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < list->count; i++) {
        size_t len = strlen(list->items[i]);
        if (n + len + 3 >= cap)
            break;
        if (i > 0) {
            memcpy(out + n, ", ", 2);
            n += 2;
        }
        memcpy(out + n, list->items[i], len);
        n += len;
        out[n] = '\0';
    }
}

cong_phase_result_t cong_phase_cors(cong_req_t *r)
{
    const cong_config_t *cfg = r->worker->live->config; /* cors.* (reloadable) */
    h2o_iovec_t origin = cong_req_header(r, H2O_STRLIT("origin"));
    if (origin.base == NULL)
        return CONG_PHASE_NEXT;
    r->cors_origin = find_allowed_origin(cfg, origin);
    int preflight = h2o_memis(r->h2o->input.method.base, r->h2o->input.method.len, H2O_STRLIT("OPTIONS")) &&
                    cong_req_header(r, H2O_STRLIT("access-control-request-method")).base != NULL;
    if (!preflight)
        return CONG_PHASE_NEXT;
    if (r->cors_origin == NULL) {
        cong_reply_problem(r, 403, "cors-origin-denied", NULL, NULL, 0);
        return CONG_PHASE_DONE;
    }
    if (r->lookup->result != CONG_ROUTE_FOUND && r->lookup->result != CONG_ROUTE_METHOD_NOT_ALLOWED) {
        cong_reply_problem(r, 404, "not-found", NULL, NULL, 0);
        return CONG_PHASE_DONE;
    }
    char buf[512];
    const char *methods = r->lookup->result == CONG_ROUTE_METHOD_NOT_ALLOWED ? r->lookup->match.allow : NULL;
    if (methods == NULL) {
        join_list(buf, sizeof buf, &r->worker->gateway->config->limits.allowed_methods);
        methods = buf;
    }
    cong_reply_add_header(r, H2O_STRLIT("access-control-allow-methods"), methods, strlen(methods));
    join_list(buf, sizeof buf, &cfg->cors.allowed_headers);
    cong_reply_add_header(r, H2O_STRLIT("access-control-allow-headers"), buf, strlen(buf));
    int n = snprintf(buf, sizeof buf, "%d", cfg->cors.max_age_s);
    cong_reply_add_header(r, H2O_STRLIT("access-control-max-age"), buf, (size_t)n);
    cong_reply(r, 204, NULL, NULL, 0);
    return CONG_PHASE_DONE;
}
