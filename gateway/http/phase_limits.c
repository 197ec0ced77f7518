/* Phase 2: limits. An HTTP/2 request with a connection-specific header → 400 (connection_headers.h); methods outside
 * the configured allow-list → 501; too many or too large headers → 431; a body over
 * the request's body limit (body_limit.h: the route's, else limits.max_body_bytes; decided when the route was looked
 * up) → 413, for a body h2o still took (it reads up to the limit + 64 KiB, see body_limit.h). */
#include <string.h>

#include "connection_headers.h"
#include "pipeline.h"
#include "problem.h"

static int method_allowed(const cong_config_t *cfg, h2o_iovec_t method)
{
    for (size_t i = 0; i < cfg->limits.allowed_methods.count; i++) {
        const char *m = cfg->limits.allowed_methods.items[i];
        if (strlen(m) == method.len && memcmp(m, method.base, method.len) == 0)
            return 1;
    }
    return 0;
}

cong_phase_result_t cong_phase_limits(cong_req_t *r)
{
    const cong_config_t *cfg = r->worker->gateway->config;
    h2o_req_t *req = r->h2o;
    if (cong_has_connection_specific_header(req)) {
        cong_reply_problem(r, 400, "connection-specific-header", NULL, NULL, 0);
        return CONG_PHASE_DONE;
    }
    if (!method_allowed(cfg, req->input.method)) {
        cong_reply_problem(r, 501, "method-not-implemented", NULL, NULL, 0);
        return CONG_PHASE_DONE;
    }
    size_t header_bytes = 0;
    for (size_t i = 0; i < req->headers.size; i++)
        header_bytes += req->headers.entries[i].name->len + req->headers.entries[i].value.len;
    if (req->headers.size > (size_t)cfg->limits.max_header_count || header_bytes > (size_t)cfg->limits.max_header_bytes) {
        cong_reply_problem(r, 431, "headers-too-large", NULL, NULL, 0);
        return CONG_PHASE_DONE;
    }
    /* a streamed body (h2o patch 0009: partner routes) is not in entity: its declared length is refused here, and h2o
     * never reads it past the limit (HTTP/2 refuses such a stream before this phase) */
    size_t declared = req->cong_body.streaming ? req->cong_body.content_length : 0;
    if (req->entity.len > r->lookup->body_limit || (declared != SIZE_MAX && declared > r->lookup->body_limit)) {
        cong_reply_problem(r, 413, "payload-too-large", NULL, NULL, 0);
        return CONG_PHASE_DONE;
    }
    return CONG_PHASE_NEXT;
}
