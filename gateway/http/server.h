/*
 * gateway/http/server.h — (internal to gateway/http/) the h2o set-up that every worker serves with, named so that the
 * HTTP/2 fuzz target (tests/fuzz/fuzz_h2_server.c) drives exactly cong's server and not a copy of it.
 */
#ifndef CONG_GATEWAY_HTTP_SERVER_H
#define CONG_GATEWAY_HTTP_SERVER_H

#include "gateway/gateway.h"

/** gw->h2o_config, gw->public_hosts and gw->admin_hosts from gw->config: HTTP/2 budgets and limits, the per-request
 *  body limit (h2o patch 0004), the unindexed response headers (patch 0005), on_abuse, and the handlers that run
 *  cong's pipeline. Once, before any h2o context is made from it. */
void cong_server_configure_h2o(cong_gateway_t *gw);
/** What runs around every request (metrics, response filters, the access log), into gw->request_hooks. Once. */
void cong_server_register_request_hooks(cong_gateway_t *gw);

#endif
