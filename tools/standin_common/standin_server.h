/*
 * tools/standin_common/standin_server.h — the h2o server boilerplate shared by the stand-ins (vneid-standin,
 * portal-standin): a listener on 127.0.0.1, one h2o context on one libuv loop, SIGINT/SIGTERM stopping the loop, and
 * the reply helpers their handlers use.
 *
 * Contract:
 *   - One server per process, single-threaded: standin_start once, then standin_run once; every request is handed to
 *     options->dispatch on the loop's thread, one at a time. The server lives in static storage until exit (h2o keeps
 *     pointers into it), so nothing is torn down.
 *   - Every request must be answered through standin_reply (directly or through the helpers built on it), which
 *     passes the method, the path cut at the query and made printable, and the status to options->log_request: the
 *     stand-in writes its own request log line. Queries, headers and bodies are never handed to it.
 *   - The reply helpers may only be called for requests of the server started here (they read its options).
 */
#ifndef STANDIN_SERVER_H
#define STANDIN_SERVER_H

#include <h2o.h>
#include <jansson.h>
#include <stddef.h>
#include <uv.h>

typedef struct standin_options {
    const char *name;       /* "vneid-standin": the Server header and the prefix of the "cannot listen" line */
    size_t max_body_bytes;  /* h2o's max_request_entity_size */
    int h2c;                /* 1: set http1.upgrade_to_http2 explicitly; 0: h2o's default */
    int nosniff;            /* 1: every reply carries x-content-type-options: nosniff */
    const char *text_type;  /* content type of standin_reply_text, and of standin_reply_json's 503 */
    void (*dispatch)(void *app, h2o_req_t *req); /* answers every request */
    void *app;                                   /* handed to dispatch */
    /* called once per reply, before it is sent: method (method_len bytes, at most 16), printable path, status */
    void (*log_request)(int method_len, const char *method, const char *path, int status);
    SSL_CTX *ssl_ctx; /* TLS on the listener (standin_tls.h), or NULL: cleartext */
} standin_options_t;

/** Configures h2o, listens on 127.0.0.1:port (0 picks a free port; the one bound goes to *bound) and arms
 *  SIGINT/SIGTERM. The loop to run on, or NULL after printing "NAME: cannot listen on ..." on stderr. */
uv_loop_t *standin_start(const standin_options_t *options, int port, int *bound);
/** Runs the loop until SIGINT or SIGTERM. */
void standin_run(void);

/** The length of the request's path without its query. */
size_t standin_path_length(const h2o_req_t *req);

/** Adds a response header (both strings are copied). */
void standin_header(h2o_req_t *req, const char *name, const char *value);
/** Replies (the body is copied; content_type may be NULL) and logs the request. */
void standin_reply(h2o_req_t *req, int status, const char *content_type, const char *body, size_t len);
/** Replies with text as options->text_type. */
void standin_reply_text(h2o_req_t *req, int status, const char *text);
/** Replies with body as compact JSON and releases it (NULL body, or no memory: 503 "out of memory\n" as text). */
void standin_reply_json(h2o_req_t *req, int status, json_t *body);

int standin_method_is(const h2o_req_t *req, const char *method);
/** Whether the request body is declared as Content-Type (ignoring parameters such as charset). */
int standin_content_type_is(const h2o_req_t *req, const char *type);
/** Whether the peer is on the loopback interface. */
int standin_peer_is_loopback(h2o_req_t *req);

#endif
