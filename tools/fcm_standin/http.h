/*
 * tools/fcm_standin/http.h — the request log line, Google's error shapes, held replies, and the routing table. The
 * generic helpers (standin_reply, standin_reply_json, standin_header..., standin_query, standin_now_ms, and
 * standin_reply_error for the stand-in's own errors) are in standin_server.h and standin_request.h.
 *
 * Every reply goes through standin_reply, which has fcm_log_request write the one log line per request: method, path
 * without the query, status. Bodies (assertions, device tokens, messages) and the Authorization header are never
 * logged.
 */
#ifndef FCM_HTTP_H
#define FCM_HTTP_H

#include "app.h"
#include "standin_hold.h"
#include "standin_request.h"
#include "standin_server.h"

#include <h2o.h>
#include <jansson.h>

/** The request log line: "fcm-standin: METHOD PATH STATUS" (standin_options_t.log_request). */
void fcm_log_request(int method_len, const char *method, const char *path, int status);
/** Google's API error: {"error": {"code", "message", "status", "details": [...]}}. details may be NULL (an empty
 *  array is then left out); it is released. */
json_t *fcm_google_error(int code, const char *status, const char *message, json_t *details);
/** The FcmError detail {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code}. */
json_t *fcm_error_detail(const char *error_code);
/** Replies with `body` after delay_ms (0: at once), with Retry-After when retry_after_s >= 0. The body is released.
 *  A request whose client goes away before is dropped (h2o disposes of it). */
void fcm_reply_later(fcm_app_t *app, h2o_req_t *req, int delay_ms, int status, json_t *body, int retry_after_s);
/** Whether the request carries "authorization: Bearer " + a token; the token's bytes go to *token. */
int fcm_bearer(const h2o_req_t *req, h2o_iovec_t *token);

/** Routes a request to its handler (checking the control token for /control/); answers 404/405 itself. */
void fcm_dispatch(fcm_app_t *app, h2o_req_t *req);

#endif
