/*
 * tools/vneid_standin/http.h — the request log line, the OAuth error reply, and the routing table. The generic reply
 * helpers (standin_reply, standin_reply_text, standin_reply_json, standin_header...) are in standin_server.h.
 *
 * Every reply goes through standin_reply, which has vs_log_request write the one log line per request: method, path
 * without the query, status. Queries and bodies (codes, verifiers, tokens) are never logged.
 */
#ifndef VS_HTTP_H
#define VS_HTTP_H

#include "app.h"
#include "standin_server.h"

#include <h2o.h>
#include <jansson.h>

/** The request log line: "vneid-standin: METHOD PATH STATUS" (standin_options_t.log_request). */
void vs_log_request(int method_len, const char *method, const char *path, int status);
/** {"error": error, "error_description": description} (RFC 6749 §5.2), never cached. */
void vs_reply_oauth_error(h2o_req_t *req, int status, const char *error, const char *description);

/** Routes a request to its handler; answers 404/405 itself. */
void vs_dispatch(vs_app_t *app, h2o_req_t *req);

#endif
