/* Phase 7: route. Answers what the router found: 400 invalid-path, 404 not-found, 405 method-not-allowed with Allow,
 * or calls the module's handler, which replies now or from a later callback. */
#include <string.h>

#include "route.h"
#include "pipeline.h"
#include "problem.h"

cong_phase_result_t cong_phase_route(cong_req_t *r)
{
    switch (r->lookup->result) {
    case CONG_ROUTE_BAD_PATH:
        cong_reply_problem(r, 400, "invalid-path", NULL, NULL, 0);
        return CONG_PHASE_DONE;
    case CONG_ROUTE_NOT_FOUND:
        cong_reply_problem(r, 404, "not-found", NULL, NULL, 0);
        return CONG_PHASE_DONE;
    case CONG_ROUTE_METHOD_NOT_ALLOWED:
        cong_reply_add_header(r, H2O_STRLIT("allow"), r->lookup->match.allow, strlen(r->lookup->match.allow));
        cong_reply_problem(r, 405, "method-not-allowed", NULL, NULL, 0);
        return CONG_PHASE_DONE;
    case CONG_ROUTE_FOUND:
        break;
    }
    r->route->handler(r, r->route->udata);
    return CONG_PHASE_DONE;
}
