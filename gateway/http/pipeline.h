/*
 * gateway/http/pipeline.h — the request pipeline: fixed, named phases in a fixed order.
 *
 *   request_id → admission → limits → cors → authenticate → authorize → rate_limit → route (the module handler)
 *
 * The route is looked up once before the phases (route_lookup.h), because several phases need the matched route's
 * declared needs (authentication, scopes, level of assurance, rate-limit class, body limit); the `route` phase then
 * answers 400/404/405 or calls the module's handler. The reply hooks (response filters) run inside every reply, the
 * end hooks (metrics, access log) when h2o releases the request (request_hooks.h).
 *
 * A phase returns CONG_PHASE_NEXT (go on), CONG_PHASE_DONE (it replied, or handed the request to its handler) or
 * CONG_PHASE_WAIT (it will call cong_pipeline_resume later, from a callback on the same worker, holding a request
 * reference meanwhile).
 */
#ifndef CONG_GATEWAY_PIPELINE_H
#define CONG_GATEWAY_PIPELINE_H

#include "request.h"

typedef enum cong_phase_result { CONG_PHASE_NEXT = 0, CONG_PHASE_DONE = 1, CONG_PHASE_WAIT = 2 } cong_phase_result_t;
typedef cong_phase_result_t (*cong_phase_fn)(cong_req_t *r);

typedef struct cong_phase {
    const char *name;
    cong_phase_fn run;
} cong_phase_t;

/** Starts a new request through the pipeline: its language, its route (once), then the phases. */
void cong_pipeline_start(cong_req_t *r);
/** Continues after a CONG_PHASE_WAIT phase (no-op if the client has gone or the request was answered). */
void cong_pipeline_resume(cong_req_t *r);

/** The phases in their order (the contract above); *count is set to their number. */
const cong_phase_t *cong_pipeline_phases(size_t *count);
/** Runs phases[r->next_phase..count) until one answers or waits: the loop behind start and resume, also for tests. */
void cong_pipeline_run(cong_req_t *r, const cong_phase_t *phases, size_t count);

/* The phases, one file each. */
cong_phase_result_t cong_phase_request_id(cong_req_t *r);
cong_phase_result_t cong_phase_admission(cong_req_t *r); /* admission.c: per-address limits behind PROXY protocol */
cong_phase_result_t cong_phase_limits(cong_req_t *r);
cong_phase_result_t cong_phase_cors(cong_req_t *r);
cong_phase_result_t cong_phase_authenticate(cong_req_t *r);
cong_phase_result_t cong_phase_mandate(cong_req_t *r);
cong_phase_result_t cong_phase_authorize(cong_req_t *r);
cong_phase_result_t cong_phase_rate_limit(cong_req_t *r);
cong_phase_result_t cong_phase_route(cong_req_t *r);

/** Request-id helpers (gateway/http/phase_request_id.c), exposed for tests. */
int cong_request_id_valid(const char *s, size_t len);
/** Extract the trace id of a valid W3C traceparent into out (33 bytes). Returns 1 if valid. */
int cong_traceparent_trace_id(const char *s, size_t len, char out[33]);

#endif
