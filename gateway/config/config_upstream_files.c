/* The files an upstream names, opened once the configuration is read (contract in upstreams_config.h): a CA bundle
 * with a certificate in it, a client certificate and the private key that matches it. A key file is a secret: only
 * whether it loads is said, never what it holds. */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "cong/errors.h"

typedef struct files_ctx {
    const cong_upstreams_config_t *u;
    cong_config_errors_t *errs;
    int count, nomem;
} files_ctx_t;

__attribute__((format(printf, 5, 6))) static void problem(files_ctx_t *c, size_t index, const char *key, int line,
                                                          const char *fmt, ...)
{
    char at[96], message[256];
    snprintf(at, sizeof at, "upstreams[%zu].tls.%s", index, key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (cong_config_error(c->errs, c->u->file ? c->u->file : "(config)", line, at, "%s", message) != 0)
        c->nomem = 1;
    c->count++;
}

/* Opens `path`; on failure reports why (strerror) and returns NULL. */
static FILE *open_file(files_ctx_t *c, size_t index, const char *key, int line, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        problem(c, index, key, line, "cannot read it: %s", strerror(errno));
    return f;
}

static X509 *read_certificate(files_ctx_t *c, size_t index, const char *key, int line, const char *path)
{
    FILE *f = open_file(c, index, key, line, path);
    X509 *cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f && !cert)
        problem(c, index, key, line, "holds no PEM certificate");
    if (f)
        fclose(f);
    return cert;
}

static void check_client_pair(files_ctx_t *c, size_t index, const cong_upstream_config_t *u)
{
    X509 *cert = read_certificate(c, index, "client_cert_file", u->tls.cert_line, u->tls.client_cert_file);
    FILE *f = open_file(c, index, "client_key_file", u->tls.key_line, u->tls.client_key_file);
    EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    if (f && !key)
        problem(c, index, "client_key_file", u->tls.key_line, "holds no unencrypted PEM private key");
    if (cert && key && X509_check_private_key(cert, key) != 1)
        problem(c, index, "client_key_file", u->tls.key_line, "is not the key of client_cert_file");
    EVP_PKEY_free(key);
    X509_free(cert);
}

int cong_config_check_upstream_files(const cong_config_t *cfg, cong_config_errors_t *errs)
{
    files_ctx_t c = {.u = cfg->upstreams, .errs = errs};
    for (size_t i = 0; c.u && i < c.u->count; i++) {
        const cong_upstream_config_t *u = &c.u->items[i];
        if (u->tls.ca_file[0] != '\0')
            X509_free(read_certificate(&c, i, "ca_file", u->tls.ca_line, u->tls.ca_file));
        if (u->tls.client_cert_file[0] != '\0' && u->tls.client_key_file[0] != '\0')
            check_client_pair(&c, i, u);
    }
    ERR_clear_error();
    return c.nomem ? CONG_ENOMEM : c.count;
}
