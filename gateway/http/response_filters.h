/*
 * gateway/http/response_filters.h — (internal to gateway/http/) the headers every reply carries (security headers,
 * X-Request-Id, CORS), as a
 * reply hook: the server registers it (request_hooks.h) and every cong_reply* runs it before the headers leave.
 */
#ifndef CONG_GATEWAY_RESPONSE_FILTERS_H
#define CONG_GATEWAY_RESPONSE_FILTERS_H

#include "request_hooks.h"

extern const cong_request_hook_t cong_response_filters_hook;

#endif
