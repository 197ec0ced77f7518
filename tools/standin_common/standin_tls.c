/* tools/standin_common/standin_tls.c — a TLS server context from PEM files (see the header). */
#include "standin_tls.h"

#include <h2o.h>
#include <openssl/err.h>
#include <stdio.h>

static const h2o_iovec_t h2_only_protocols[] = {{H2O_STRLIT("h2")}, {NULL, 0}};

SSL_CTX *standin_tls_context(const char *cert_file, const char *key_file, int h2_only, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    const char *problem = NULL;
    if (ctx == NULL)
        problem = "cannot make a TLS context";
    else if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
        problem = "cannot require TLS 1.2";
    else if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1)
        problem = "cannot read the certificate chain (PEM)";
    else if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1)
        problem = "cannot read the private key (PEM, unencrypted)";
    else if (SSL_CTX_check_private_key(ctx) != 1)
        problem = "the private key does not match the certificate";
    if (problem != NULL) {
        unsigned long e = ERR_peek_last_error();
        snprintf(err, errlen, "%s%s%s", problem, e ? ": " : "", e ? ERR_reason_error_string(e) : "");
        ERR_clear_error();
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    h2o_ssl_register_alpn_protocols(ctx, h2_only ? h2_only_protocols : h2o_http2_alpn_protocols);
    return ctx;
}
