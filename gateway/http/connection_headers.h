/*
 * gateway/http/connection_headers.h — (internal to gateway/http/) HTTP/2 requests that carry connection-specific
 * header fields are malformed (RFC 9113 §8.2.2): h2o 2.2 resets the stream for connection, te (other than
 * "trailers"), transfer-encoding and upgrade, but lets keep-alive and proxy-connection through. The limits phase
 * answers 400 connection-specific-header for those, so that cong never acts on (or forwards) a request whose framing
 * an HTTP/1.1 hop behind it could read differently. HTTP/1.1 framing is h2o's (third_party/h2o-patches/0007).
 */
#ifndef CONG_GATEWAY_CONNECTION_HEADERS_H
#define CONG_GATEWAY_CONNECTION_HEADERS_H

#include <h2o.h>

/** Non-zero if `req` came over HTTP/2 (or later) with a connection-specific header field. */
int cong_has_connection_specific_header(const h2o_req_t *req);

#endif
