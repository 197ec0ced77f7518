/*
 * tools/standin_common/standin_tls.h — a TLS server context for a stand-in that must speak TLS like the service it
 * stands in for (apns-standin: APNs is HTTPS-only). Handed to standin_start through standin_options_t.ssl_ctx.
 *
 * Ownership: the context lives until exit (h2o keeps using it), like the rest of the server.
 */
#ifndef STANDIN_TLS_H
#define STANDIN_TLS_H

#include <openssl/ssl.h>
#include <stddef.h>

/** A TLS 1.2+ server context with the PEM certificate chain and private key at these paths, offering only "h2" by
 *  ALPN when h2_only (a client offering only http/1.1 then gets no ALPN and speaks HTTP/1.1, which the stand-in can
 *  refuse with an answer), else h2o's usual list. NULL after writing why into err (errlen bytes). */
SSL_CTX *standin_tls_context(const char *cert_file, const char *key_file, int h2_only, char *err, size_t errlen);

#endif
