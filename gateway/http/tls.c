/* The TLS listener's context: Mozilla's "intermediate" profile, built at start and again at SIGHUP, and handed to
 * the workers (contract in tls.h).
 *
 * Server cipher preference: Mozilla's intermediate profile leaves the choice to the client, because every suite it
 * offers is strong and a phone without AES instructions knows ChaCha20 is faster for it. cong keeps the server's order
 * (AES-GCM first) but with SSL_OP_PRIORITIZE_CHACHA: a client that puts ChaCha20 first gets it. That serves the same
 * phones, and a client with an odd order cannot steer the server to its least preferred suite. */
#include "tls.h"

#include <h2o.h>
#include <h2o/http2.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "common/common.h"

/* Mozilla intermediate (ssl-config.mozilla.org, guidelines 5.7) without its DHE suites: ECDHE with AEAD only. */
#define TLS12_CIPHERS                                                                                          \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"                 \
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define TLS13_SUITES "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
#define TLS_GROUPS "X25519:prime256v1:secp384r1"
#define SESSION_ID_CONTEXT "cong"

struct cong_tls {
    const cong_config_t *cfg;             /* the start-up configuration: the files' paths */
    cong_tls_ticket_keys_t *random_keys;  /* without a key file: made once, so a reload keeps sessions resumable */
    pthread_mutex_t lock;                 /* a worker's up-ref of `current` against its release by a reload */
    SSL_CTX *_Atomic current;             /* one reference owned */
};

static int apply_profile(SSL_CTX *ctx)
{
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_PRIORITIZE_CHACHA);
    return SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 && SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) == 1 &&
                   SSL_CTX_set_ciphersuites(ctx, TLS13_SUITES) == 1 && SSL_CTX_set1_groups_list(ctx, TLS_GROUPS) == 1 &&
                   SSL_CTX_set_session_id_context(ctx, (const unsigned char *)SESSION_ID_CONTEXT,
                                                  sizeof SESSION_ID_CONTEXT - 1) == 1
               ? 0
               : CONG_EINVAL;
}

static int load_certificate(SSL_CTX *ctx, const cong_config_t *cfg)
{
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->server.tls_certificate) == 1 &&
        SSL_CTX_use_PrivateKey_file(ctx, cfg->server.tls_private_key, SSL_FILETYPE_PEM) == 1 &&
        SSL_CTX_check_private_key(ctx) == 1)
        return 0;
    const char *reason = ERR_reason_error_string(ERR_peek_last_error());
    cong_log(CONG_LOG_ERROR, "tls", "cannot use the certificate %s with the key %s: %s", cfg->server.tls_certificate,
             cfg->server.tls_private_key, reason != NULL ? reason : "unknown error");
    return CONG_EINVAL;
}

/* The key file's keys when one is configured (read again at each build), else the process's random key. */
static int use_ticket_keys(cong_tls_t *tls, SSL_CTX *ctx, size_t *count)
{
    const char *path = tls->cfg->server.tls_session_ticket_key_file;
    cong_tls_ticket_keys_t *from_file = path[0] != '\0' ? cong_tls_ticket_keys_read(path) : NULL;
    const cong_tls_ticket_keys_t *keys = path[0] != '\0' ? from_file : tls->random_keys;
    int rc = keys != NULL ? cong_tls_use_ticket_keys(ctx, keys) : CONG_EINVAL;
    *count = rc == 0 ? cong_tls_ticket_keys_count(keys) : 0;
    cong_tls_ticket_keys_free(from_file);
    return rc;
}

static void log_built(const cong_tls_t *tls, SSL_CTX *ctx, size_t ticket_keys, int stapling, const char *what)
{
    X509 *cert = SSL_CTX_get0_certificate(ctx);
    char subject[256] = "?", not_after[64] = "?";
    X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio != NULL && ASN1_TIME_print(bio, X509_get0_notAfter(cert)) == 1) {
        int n = BIO_read(bio, not_after, sizeof not_after - 1);
        not_after[n > 0 ? n : 0] = '\0';
    }
    BIO_free(bio);
    int from_file = tls->cfg->server.tls_session_ticket_key_file[0] != '\0';
    cong_log(CONG_LOG_INFO, "tls", "%s: certificate %s (until %s), %zu session ticket key(s) %s, OCSP stapling %s",
             what, subject, not_after, ticket_keys, from_file ? "from the key file" : "of this process only",
             stapling ? "on" : "off");
}

static SSL_CTX *build(cong_tls_t *tls, const char *what)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    size_t ticket_keys = 0;
    if (ctx == NULL || apply_profile(ctx) != 0 || load_certificate(ctx, tls->cfg) != 0 ||
        use_ticket_keys(tls, ctx, &ticket_keys) != 0) {
        SSL_CTX_free(ctx);
        ERR_clear_error();
        return NULL;
    }
    int stapling = cong_tls_use_ocsp_response(ctx, tls->cfg->server.tls_ocsp_response_file);
    h2o_ssl_register_alpn_protocols(ctx, h2o_http2_alpn_protocols);
    log_built(tls, ctx, ticket_keys, stapling, what);
    return ctx;
}

cong_tls_t *cong_tls_new(const cong_config_t *cfg)
{
    cong_tls_t *tls = calloc(1, sizeof *tls);
    if (tls == NULL)
        return NULL;
    tls->cfg = cfg;
    pthread_mutex_init(&tls->lock, NULL);
    tls->random_keys = cong_tls_ticket_keys_random();
    SSL_CTX *ctx = tls->random_keys != NULL ? build(tls, "TLS ready") : NULL;
    if (ctx == NULL) {
        cong_tls_free(tls);
        return NULL;
    }
    atomic_store(&tls->current, ctx);
    return tls;
}

int cong_tls_reload(cong_tls_t *tls)
{
    SSL_CTX *next = build(tls, "TLS reloaded");
    if (next == NULL) {
        cong_log(CONG_LOG_ERROR, "tls", "reload refused: the running certificate, key and ticket keys stay");
        return CONG_EINVAL;
    }
    pthread_mutex_lock(&tls->lock);
    SSL_CTX *old = atomic_exchange(&tls->current, next);
    pthread_mutex_unlock(&tls->lock);
    SSL_CTX_free(old); /* workers and open connections hold references of their own */
    return 0;
}

void cong_tls_adopt(cong_tls_t *tls, SSL_CTX **in_use)
{
    if (atomic_load_explicit(&tls->current, memory_order_acquire) == *in_use)
        return; /* the context held in *in_use cannot be freed meanwhile: its reference is ours */
    pthread_mutex_lock(&tls->lock);
    SSL_CTX *next = atomic_load(&tls->current);
    SSL_CTX_up_ref(next);
    pthread_mutex_unlock(&tls->lock);
    SSL_CTX_free(*in_use);
    *in_use = next;
}

void cong_tls_free(cong_tls_t *tls)
{
    if (tls == NULL)
        return;
    SSL_CTX_free(atomic_load(&tls->current));
    cong_tls_ticket_keys_free(tls->random_keys);
    pthread_mutex_destroy(&tls->lock);
    free(tls);
}
