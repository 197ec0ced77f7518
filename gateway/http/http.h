/*
 * gateway/http/http.h — the http room's contract: what the rest of the host may use of the HTTP server.
 *
 * Owns: the h2o listeners and each worker's serving loop (server.c), the TLS listener's context (its profile, OCSP
 * stapling, session-ticket keys, its rebuild at SIGHUP: tls.c, tls_ocsp.c, tls_tickets.c), one request's state and
 * its single reply (request.h), the route lookup done once per request and the body limit, the pipeline and its
 * phases, the router, the request hooks (response filters, access log, metrics), problems (RFC 9457), metrics, the
 * client's address, per-address admission of connections (admission.h) and streamed replies.
 * Offers: the headers below; nothing else of http/ is for other rooms (access_log.h, admission.h, body_limit.h,
 * request_metrics.h, response_filters.h, route_lookup.h, router_trie.h, server.h, tls.h are internal).
 * Threading and ownership: a request and all its callbacks stay on its worker's thread; a cong_req_t is
 * reference-counted and answered once (request.h). The router and the routes are built before the workers start and
 * read-only after. Metrics counters are per worker, summed when /metrics is read.
 * May use: the process (gateway/gateway.h), config/, stores/, authn/, limits/, outbound/, host/ (server.c is where a
 * worker is put together, so it reaches every room), auth/ and common/.
 */
#ifndef CONG_GATEWAY_HTTP_H
#define CONG_GATEWAY_HTTP_H

#include "gateway/gateway.h" /* the shared state first: request.h and pipeline.h build on cong_worker_t */

#include "client_address.h"
#include "metrics.h"
#include "pipeline.h"
#include "problem.h"
#include "request.h"
#include "request_hooks.h"
#include "route.h"
#include "router.h"
#include "stream_reply.h"

#endif
