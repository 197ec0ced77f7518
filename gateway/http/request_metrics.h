/*
 * gateway/http/request_metrics.h — (internal to gateway/http/) what every request adds to /metrics (metrics.h), as
 * start and end hooks
 * (request_hooks.h): requests in flight (which graceful shutdown waits on), requests by route and status, latency,
 * and the 5xx answers of each module.
 */
#ifndef CONG_GATEWAY_REQUEST_METRICS_H
#define CONG_GATEWAY_REQUEST_METRICS_H

#include "request_hooks.h"

extern const cong_request_hook_t cong_request_metrics_hook;

#endif
