/* What every request adds to /metrics (contract in request_metrics.h). Runs on the request's worker, the only writer
 * of its block of counters. */
#include "request_metrics.h"

#include "route.h"
#include "request.h"

static void on_request_start(cong_req_t *r, void *udata)
{
    (void)udata;
    cong_gauge_add(&r->worker->metrics->in_flight, 1);
}

static void on_request_end(cong_req_t *r, const cong_request_outcome_t *outcome, void *udata)
{
    (void)udata;
    cong_worker_t *w = r->worker;
    cong_gateway_t *gw = w->gateway;
    size_t slot = r->route != NULL ? r->route->index : gw->route_count; /* route_count: "unmatched" */
    cong_metrics_observe(gw->metrics, w->metrics, slot, outcome->status, outcome->duration_us);
    if (r->route != NULL && r->replied && outcome->status >= 500)
        cong_counter_add(&w->metrics->module_errors[r->route->module_index], 1);
    cong_gauge_add(&w->metrics->in_flight, -1);
}

const cong_request_hook_t cong_request_metrics_hook = {
    .name = "metrics",
    .on_start = on_request_start,
    .on_end = on_request_end,
};
