/*
 * gateway/http/access_log.h — (internal to gateway/http/) one JSON line per finished request:
 *   {"time","id","method","route","status","bytes","duration_us","module","subject","proto"}
 * `route` is the matched template (never the raw path, which may hold citizen data), `subject` a pseudonym (first 64
 * bits of SHA-256 of the token subject). Never a token, a query string or a citizen number. One write(2) per line.
 * Written by an end-of-request hook (request_hooks.h), also for a request whose client left (status 499).
 */
#ifndef CONG_GATEWAY_ACCESS_LOG_H
#define CONG_GATEWAY_ACCESS_LOG_H

#include "request.h"
#include "request_hooks.h"

void cong_access_log_write(int fd, const cong_req_t *r, int status, size_t bytes, uint64_t duration_us);

/** The end hook that writes the line to the gateway's access log (log.access_log). */
extern const cong_request_hook_t cong_access_log_hook;

#endif
