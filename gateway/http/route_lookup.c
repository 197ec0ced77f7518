/* The route of a request, looked up once (contract in route_lookup.h).
 *
 * h2o 2.2's request has no slot for a handler's data, but it carries a list of per-request prefilters that h2o
 * itself searches by their callback (lib/handler/errordoc.c): the lookup rides in one that only passes the response
 * on, so h2o sets up the same filters as without it. */
#include "route_lookup.h"

#include <string.h>

#include "body_limit.h"
#include "gateway/gateway.h"
#include "route.h"

typedef struct lookup_carrier {
    h2o_req_prefilter_t super;
    cong_route_lookup_t lookup;
} lookup_carrier_t;

static void pass_response_on(h2o_req_prefilter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    h2o_setup_next_prefilter(self, req, slot);
}

static cong_route_lookup_t *kept_lookup(h2o_req_t *req)
{
    for (h2o_req_prefilter_t *p = req->prefilters; p != NULL; p = p->next)
        if (p->on_setup_ostream == pass_response_on)
            return &((lookup_carrier_t *)p)->lookup;
    return NULL;
}

static void look_up(const cong_gateway_t *gw, h2o_req_t *req, int admin_listener, cong_route_lookup_t *out)
{
    /* h2o sets req->path only when it processes the request: the input is what is known when the headers arrive */
    h2o_iovec_t path = req->input.path;
    const char *query = memchr(path.base, '?', path.len);
    size_t path_len = query != NULL ? (size_t)(query - path.base) : path.len;
    size_t scratch_len = path_len + CONG_ROUTER_MAX_PARAMS + 1;
    char *scratch = h2o_mem_alloc_pool(&req->pool, scratch_len);
    static const char partners[] = "/v1/partners/";
    if (gw->partner_routes != NULL && path_len >= sizeof partners - 1 &&
        memcmp(path.base, partners, sizeof partners - 1) == 0) /* swapped at SIGHUP (gateway.h) */
        out->result = (cong_route_result_t)gw->partner_routes(cong_worker_of(req->conn->ctx), req, path.base,
                                                              path_len, scratch, scratch_len, &out->match);
    else
        out->result = cong_router_match(gw->router, req->input.method.base, req->input.method.len, path.base,
                                        path_len, scratch, scratch_len, &out->match);
    out->route = out->result == CONG_ROUTE_FOUND ? out->match.route : NULL;
    if (admin_listener && out->route != NULL && !out->route->module_is_host) {
        out->route = NULL;
        out->result = CONG_ROUTE_NOT_FOUND;
    }
    out->body_limit = cong_body_limit(gw->config, out->route);
}

static cong_route_lookup_t *look_up_and_keep(const cong_gateway_t *gw, h2o_req_t *req, int admin_listener)
{
    lookup_carrier_t *carrier = (lookup_carrier_t *)h2o_add_prefilter(req, sizeof *carrier);
    carrier->super.on_setup_ostream = pass_response_on;
    look_up(gw, req, admin_listener, &carrier->lookup);
    return &carrier->lookup;
}

const cong_route_lookup_t *cong_route_lookup(const cong_gateway_t *gw, h2o_req_t *req, int admin_listener)
{
    const cong_route_lookup_t *kept = kept_lookup(req);
    return kept != NULL ? kept : look_up_and_keep(gw, req, admin_listener);
}

static int streams_body(const cong_gateway_t *gw, const cong_route_lookup_t *lookup, const h2o_req_t *req)
{
    size_t declared = req->cong_body.content_length; /* set by h2o before it asks (SIZE_MAX: chunked, or no length) */
    return gw->streamed_body_handler != NULL && lookup->route != NULL &&
           lookup->route->handler == gw->streamed_body_handler &&
           (declared == SIZE_MAX || declared > CONG_STREAMED_BODY_MIN_BYTES);
}

size_t cong_route_lookup_body_limit(h2o_req_t *req)
{
    const cong_worker_t *w = cong_worker_of(req->conn->ctx);
    const cong_gateway_t *gw = w->gateway;
    int admin_listener = req->conn->hosts == gw->admin_hosts;
    const cong_route_lookup_t *lookup = cong_route_lookup(gw, req, admin_listener);
    /* a streamed body never reaches the limits phase: h2o itself holds it to the route's limit */
    return lookup->body_limit + (streams_body(gw, lookup, req) ? 0 : CONG_BODY_SLACK_BYTES);
}

int cong_route_lookup_streams_body(h2o_req_t *req)
{
    const cong_worker_t *w = cong_worker_of(req->conn->ctx);
    const cong_gateway_t *gw = w->gateway;
    int admin_listener = req->conn->hosts == gw->admin_hosts;
    return streams_body(gw, cong_route_lookup(gw, req, admin_listener), req);
}
