#include "pipeline.h"

#include "problem.h"

/* The order is the contract: see pipeline.h. */
static const cong_phase_t phases[] = {
    {"request_id", cong_phase_request_id},
    {"admission", cong_phase_admission},
    {"limits", cong_phase_limits},
    {"cors", cong_phase_cors},
    {"authenticate", cong_phase_authenticate},
    {"mandate", cong_phase_mandate},
    {"authorize", cong_phase_authorize},
    {"rate_limit", cong_phase_rate_limit},
    {"route", cong_phase_route},
};

#define PHASE_COUNT (sizeof phases / sizeof phases[0])

const cong_phase_t *cong_pipeline_phases(size_t *count)
{
    *count = PHASE_COUNT;
    return phases;
}

void cong_pipeline_run(cong_req_t *r, const cong_phase_t *table, size_t count)
{
    while (r->next_phase < count) {
        const cong_phase_t *phase = &table[r->next_phase++];
        switch (phase->run(r)) {
        case CONG_PHASE_NEXT:
            continue;
        case CONG_PHASE_DONE:
        case CONG_PHASE_WAIT:
            return;
        }
    }
}

void cong_pipeline_start(cong_req_t *r)
{
    h2o_iovec_t lang = cong_req_header(r, H2O_STRLIT("accept-language"));
    r->lang_en = lang.base != NULL && cong_lang_prefers_en(lang.base, lang.len);
    r->lookup = cong_route_lookup(r->worker->gateway, r->h2o, r->admin_listener);
    r->route = r->lookup->route;
    r->next_phase = 0;
    cong_pipeline_run(r, phases, PHASE_COUNT);
}

void cong_pipeline_resume(cong_req_t *r)
{
    if (r->h2o == NULL || r->replied)
        return;
    cong_pipeline_run(r, phases, PHASE_COUNT);
}
