/*
 * gateway/http/route_lookup.h — (internal to gateway/http/) the route of a request, looked up once.
 *
 * Several steps need a request's route before its handler runs: h2o asks an HTTP/2 request's body limit as soon as
 * its headers are in (body_limit.h), and the phases read the route's declared needs (authentication, scopes, level
 * of assurance, rate-limit class). The router is asked once; what it answered is kept with the h2o request, in its
 * pool, and the request state (request.h) points to it. An HTTP/2 request with a body is looked up when its headers
 * arrive; any other request when h2o hands it to cong.
 *
 * Paths under /v1/partners/ are matched by the gateway's partner_routes (gateway.h: the upstream room's table,
 * swapped at SIGHUP), which keeps the matched route alive with the request's pool; every other path by its router.
 *
 * The admin listener serves the gateway's own routes only (module "system": /metrics, /healthz, /readyz,
 * /openapi.json): a route of another module is NOT_FOUND there.
 */
#ifndef CONG_GATEWAY_ROUTE_LOOKUP_H
#define CONG_GATEWAY_ROUTE_LOOKUP_H

#include <h2o.h>

#include "router.h"

struct cong_gateway;
struct cong_route_entry;

typedef struct cong_route_lookup {
    cong_route_result_t result;
    cong_route_match_t match;              /* decoded parameters point into the request's pool */
    const struct cong_route_entry *route;  /* NULL unless FOUND (on a listener that serves it) */
    size_t body_limit;                     /* cong_body_limit() of the route */
} cong_route_lookup_t;

/** The lookup of `req`: the one made when its headers arrived, else a new one. Lives as long as req's pool. */
const cong_route_lookup_t *cong_route_lookup(const struct cong_gateway *gw, h2o_req_t *req, int admin_listener);

/** h2o's http2.max_request_body (patch 0004): the request's body limit plus CONG_BODY_SLACK_BYTES, from a lookup
 *  made now and kept for the request. */
size_t cong_route_lookup_body_limit(h2o_req_t *req);

/* A body declared this small is buffered as before, even on a partner route: it costs no more than a socket's read
 * buffer, keeps requests to plain HTTP/1.1 upstreams on h2o's own client (upstream/proxy_h1.c, twice libcurl's
 * speed: bench/README) and keeps an idempotent request retryable. */
#define CONG_STREAMED_BODY_MIN_BYTES (64 * 1024)

/** h2o's http2.stream_request_body (patch 0009): 1 when the request's route is served by the gateway's
 *  streamed_body_handler (the partner proxy) and its body is not declared at most CONG_STREAMED_BODY_MIN_BYTES; that
 *  handler then reads the body as it arrives (req->cong_body) instead of h2o buffering it whole, and its limit is
 *  exactly the route's (no slack: the limits phase sees only a declared length, req->cong_body.content_length).
 *  HTTP/1.1 asks both too. Every other request keeps the buffered body, the limits phase and its 413 problem. */
int cong_route_lookup_streams_body(h2o_req_t *req);

#endif
