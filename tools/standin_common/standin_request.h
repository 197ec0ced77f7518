/*
 * tools/standin_common/standin_request.h — what every stand-in reads off a request and answers with, beyond
 * standin_server.h's reply helpers: the query string, the wall clock, an integer setting of a JSON body, the
 * {"error": ...} reply, and the route table: the lookup that answers 404, 405 (with Allow) and, on the control
 * endpoints, 401 (with WWW-Authenticate: Bearer) itself.
 *
 * Contract: called on the server's loop thread for requests of the server started by standin_start (the replies go
 * through standin_reply, so they are logged like the rest). Nothing here keeps a pointer past the call; the route
 * tables are the caller's (static const in practice).
 */
#ifndef STANDIN_REQUEST_H
#define STANDIN_REQUEST_H

#include "standin_server.h"

#include <h2o.h>
#include <stddef.h>
#include <stdint.h>

/** The request's query (the bytes after '?', pointing into req->path), possibly empty. */
h2o_iovec_t standin_query(const h2o_req_t *req);
/** Milliseconds since the epoch (CLOCK_REALTIME): the stand-ins stamp records and check token times with it. */
int64_t standin_now_ms(void);
/** An integer member `name` of the JSON object body within min..max into *out (*out kept when absent). 0, or -1
 *  when present and not such an integer (the control endpoints' settings). */
int standin_json_int_member(json_t *body, const char *name, long long min, long long max, long long *out);
/** Replies {"error": text} as JSON with status (the stand-ins' own errors, not the imitated service's). */
void standin_reply_error(h2o_req_t *req, int status, const char *text);

/** One route: a whole path (no query) and the methods served there. A stand-in embeds it as the FIRST member of
 *  its own route struct (which adds the handler) and casts the pointer standin_route returns back to that struct. */
typedef struct standin_route {
    const char *path;
    const char *methods; /* "POST", or a list "GET, POST": the methods served, and the Allow header of a 405 */
} standin_route_t;

/** Which comes first on a /control/ path: the token (401 whatever the method: apns-, webhook-standin) or the method
 *  (a wrong method gets 405 even without the token: fcm-, payment-standin). Kept as each stand-in answered. */
typedef enum standin_route_order {
    STANDIN_TOKEN_THEN_METHOD,
    STANDIN_METHOD_THEN_TOKEN,
} standin_route_order_t;

/** Looks the request's path up in n routes laid `stride` bytes apart (each starting with a standin_route_t). The
 *  route to serve, or NULL once the request has been answered: 404 "not found" when no route has the path, 405
 *  "method not allowed" with Allow, or 401 with WWW-Authenticate: Bearer on a path under /control/ when
 *  control_token is not "" and the request does not carry it (standin_control_authorized, standin_auth.h). */
const standin_route_t *standin_route(h2o_req_t *req, const void *routes, size_t n, size_t stride,
                                     const char *control_token, standin_route_order_t order);

#endif
