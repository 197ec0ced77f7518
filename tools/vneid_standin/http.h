/*
 * tools/vneid_standin/http.h — replying through h2o, the request log, and the routing table.
 *
 * Every reply goes through vs_reply, which writes the one log line per request: method, path without the query,
 * status. Queries and bodies (codes, verifiers, tokens) are never logged.
 */
#ifndef VS_HTTP_H
#define VS_HTTP_H

#include "app.h"

#include <h2o.h>
#include <jansson.h>

/** Adds a response header (both strings are copied). */
void vs_header(h2o_req_t *req, const char *name, const char *value);
void vs_reply(h2o_req_t *req, int status, const char *content_type, const char *body, size_t len);
void vs_reply_text(h2o_req_t *req, int status, const char *text);
/** Replies with body as compact JSON and releases it. */
void vs_reply_json(h2o_req_t *req, int status, json_t *body);
/** {"error": error, "error_description": description} (RFC 6749 §5.2), never cached. */
void vs_reply_oauth_error(h2o_req_t *req, int status, const char *error, const char *description);

int vs_method_is(const h2o_req_t *req, const char *method);
/** Whether the request body is declared as Content-Type (ignoring parameters such as charset). */
int vs_content_type_is(const h2o_req_t *req, const char *type);
/** Whether the peer is on the loopback interface. */
int vs_peer_is_loopback(h2o_req_t *req);

/** Routes a request to its handler; answers 404/405 itself. */
void vs_dispatch(vs_app_t *app, h2o_req_t *req);

#endif
