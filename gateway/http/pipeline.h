/*
 * gateway/http/pipeline.h — the request pipeline: fixed, named phases in a fixed order.
 *
 *   request_id → limits → cors → authenticate → authorize → rate_limit → route (the module handler)
 *
 * The router lookup runs once before the phases, because several phases need the matched route's declared needs
 * (authentication, scopes, level of assurance, rate-limit class); the `route` phase then answers 400/404/405 or calls
 * the module's handler. Response filters (security headers, request id, CORS) run inside every reply, and the access
 * log is written when h2o releases the request (see request.h).
 *
 * A phase returns CONG_PHASE_NEXT (go on), CONG_PHASE_DONE (it replied) or CONG_PHASE_WAIT (it will call
 * cong_pipeline_resume later, from a callback on the same worker, holding a request reference meanwhile).
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

/** Starts a new request through the pipeline. */
void cong_pipeline_start(cong_req_t *r);
/** Continues after a CONG_PHASE_WAIT phase (no-op if the client has gone). */
void cong_pipeline_resume(cong_req_t *r);

/* The phases, one file each. */
cong_phase_result_t cong_phase_request_id(cong_req_t *r);
cong_phase_result_t cong_phase_limits(cong_req_t *r);
cong_phase_result_t cong_phase_cors(cong_req_t *r);
cong_phase_result_t cong_phase_authenticate(cong_req_t *r);
struct cong_rate_decision;
/** The "auth_failure" budget's answer for a refused token arrived (from the rate limiter): 401, or 429 when spent. */
void cong_auth_failure_decided(cong_req_t *r, const struct cong_rate_decision *d);
cong_phase_result_t cong_phase_authorize(cong_req_t *r);
cong_phase_result_t cong_phase_rate_limit(cong_req_t *r);
cong_phase_result_t cong_phase_route(cong_req_t *r);

/** Response filters (gateway/http/response_filters.c): security headers, X-Request-Id, CORS. Called by cong_reply. */
void cong_response_filters_apply(cong_req_t *r);

/** Request-id helpers (gateway/http/phase_request_id.c), exposed for tests. */
int cong_request_id_valid(const char *s, size_t len);
/** Extract the trace id of a valid W3C traceparent into out (33 bytes). Returns 1 if valid. */
int cong_traceparent_trace_id(const char *s, size_t len, char out[33]);

#endif
