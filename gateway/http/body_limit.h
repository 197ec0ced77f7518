/*
 * gateway/http/body_limit.h — (internal to gateway/http/) how large a request's body may be: the one rule, and what
 * h2o is told.
 *
 * A body may be as large as its route's max_body_bytes (a module's register_route, ABI 1.2), else
 * limits.max_body_bytes. h2o buffers a body before cong's handler runs. Over HTTP/2 it asks each request's own limit
 * as its headers arrive (patch 0004; route_lookup.c answers) and refuses the stream CONG_BODY_SLACK_BYTES past it;
 * over HTTP/1.1 its one limit is the largest of any route plus the slack, past which it answers a plain 413 itself.
 * The slack lets a body a little over its limit reach the limits phase, which answers 413 problem+json. A streamed
 * body (partner routes, h2o patch 0009, route_lookup.h) is held to exactly its limit by h2o instead.
 */
#ifndef CONG_GATEWAY_BODY_LIMIT_H
#define CONG_GATEWAY_BODY_LIMIT_H

#include <stddef.h>

#include "gateway/config/config.h"

/* h2o reads this much past a limit, so that cong answers 413 problem+json for a body a little over it */
#define CONG_BODY_SLACK_BYTES 65536

struct cong_route_entry;
struct cong_gateway;

/** The largest body a request to `route` (NULL: no route matched) may send. */
size_t cong_body_limit(const cong_config_t *cfg, const struct cong_route_entry *route);
/** The largest body any request may send (at least limits.max_body_bytes): what h2o must be let to read. */
size_t cong_body_limit_largest(const struct cong_gateway *gw);

#endif
