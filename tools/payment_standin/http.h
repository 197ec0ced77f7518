/*
 * tools/payment_standin/http.h — the request log line, error pages and held replies, and the routing table. The
 * generic helpers (standin_reply, standin_reply_json, standin_header..., standin_query, standin_reply_error) are in
 * standin_server.h and standin_request.h.
 *
 * Every reply goes through standin_reply, which has pay_log_request write the one log line per request: method, path
 * without the query, status. Queries (the signed payment parameters), bodies and the Authorization header are never
 * logged.
 */
#ifndef PAY_HTTP_H
#define PAY_HTTP_H

#include "app.h"
#include "standin_hold.h"
#include "standin_request.h"
#include "standin_server.h"

#include <h2o.h>
#include <jansson.h>

/** The request log line: "payment-standin: METHOD PATH STATUS" (standin_options_t.log_request). */
void pay_log_request(int method_len, const char *method, const char *path, int status);
/** The payment gateway's HTML error page: status 400, VNPay's code (e.g. "70") in <span id="error-code">, the reason
 *  in Vietnamese and English. */
void pay_reply_error_page(h2o_req_t *req, const char *code, const char *vi, const char *en);
/** Holds the request PAY_API_HOLD_MS, then answers 504 (unless the client went away first and h2o disposed of it). */
void pay_hold_request(pay_app_t *app, h2o_req_t *req);

/** Routes a request to its handler (checking the control token for /control/); answers 404/405 itself. */
void pay_dispatch(pay_app_t *app, h2o_req_t *req);

#endif
