#include "pipeline.h"

#include <string.h>

#include "gateway/host/module_loader.h"
#include "problem.h"

/* The order is the contract: see pipeline.h. */
static const cong_phase_t phases[] = {
    {"request_id", cong_phase_request_id},
    {"limits", cong_phase_limits},
    {"cors", cong_phase_cors},
    {"authenticate", cong_phase_authenticate},
    {"authorize", cong_phase_authorize},
    {"rate_limit", cong_phase_rate_limit},
    {"route", cong_phase_route},
};

static void run_phases(cong_req_t *r)
{
    while (r->next_phase < sizeof phases / sizeof phases[0]) {
        const cong_phase_t *phase = &phases[r->next_phase++];
        switch (phase->run(r)) {
        case CONG_PHASE_NEXT:
            continue;
        case CONG_PHASE_DONE:
        case CONG_PHASE_WAIT:
            return;
        }
    }
}

static void match_route(cong_req_t *r)
{
    h2o_iovec_t path = cong_req_path(r);
    size_t scratch_len = path.len + CONG_ROUTER_MAX_PARAMS + 1;
    r->match_scratch = h2o_mem_alloc_pool(&r->h2o->pool, scratch_len);
    r->route_result = cong_router_match(r->worker->gateway->router, r->h2o->input.method.base,
                                        r->h2o->input.method.len, path.base, path.len, r->match_scratch, scratch_len,
                                        &r->match);
    r->route = r->route_result == CONG_ROUTE_FOUND ? r->match.route : NULL;
    /* The admin listener serves the gateway's own routes only (/metrics, /healthz, /readyz, /openapi.json). */
    if (r->admin_listener && r->route != NULL && strcmp(r->route->module->name, "system") != 0) {
        r->route = NULL;
        r->route_result = CONG_ROUTE_NOT_FOUND;
    }
}

void cong_pipeline_start(cong_req_t *r)
{
    h2o_iovec_t lang = cong_req_header(r, H2O_STRLIT("accept-language"));
    r->lang_en = lang.base != NULL && cong_lang_prefers_en(lang.base, lang.len);
    match_route(r);
    r->next_phase = 0;
    run_phases(r);
}

void cong_pipeline_resume(cong_req_t *r)
{
    if (r->h2o == NULL || r->replied)
        return;
    run_phases(r);
}
