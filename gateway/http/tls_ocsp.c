/* OCSP stapling from a file (contract in tls.h): the operator's job fetches a fresh response from the CA's responder
 * (`openssl ocsp -respout`) and sends SIGHUP; cong checks it once, when the context is built, and staples the same
 * bytes to every handshake whose client asks (status_request) until its nextUpdate. A response that would make a
 * client refuse the connection or trust a stale answer is never stapled: better none than a wrong one. */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "tls.h"

#define OCSP_MAX_BYTES (64 * 1024)
#define OCSP_CLOCK_SKEW_S 300

typedef struct staple {
    unsigned char *der;
    size_t len;
    time_t next_update;
    atomic_int expiry_logged;
} staple_t;

static int staple_index = -1;
static pthread_once_t staple_index_once = PTHREAD_ONCE_INIT;

static void free_staple(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int index, long argl, void *argp)
{
    (void)parent, (void)ad, (void)index, (void)argl, (void)argp;
    staple_t *s = ptr;
    if (s != NULL)
        free(s->der);
    free(s);
}

static void make_staple_index(void)
{
    staple_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, free_staple);
}

/* A worker's thread, in the handshake: staple while the response is still fresh. */
static int on_status_request(SSL *ssl, void *arg)
{
    (void)arg;
    staple_t *s = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), staple_index);
    if (s == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    if (time(NULL) >= s->next_update) {
        if (atomic_exchange(&s->expiry_logged, 1) == 0)
            cong_log(CONG_LOG_WARN, "tls", "the stapled OCSP response passed its nextUpdate: no longer stapled; "
                                           "fetch a new one and send SIGHUP");
        return SSL_TLSEXT_ERR_NOACK;
    }
    unsigned char *copy = OPENSSL_memdup(s->der, s->len); /* OpenSSL frees what it is given */
    if (copy == NULL || SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)s->len) != 1) {
        OPENSSL_free(copy);
        return SSL_TLSEXT_ERR_NOACK;
    }
    return SSL_TLSEXT_ERR_OK;
}

static unsigned char *read_file(const char *path, size_t *len, const char **problem)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        *problem = strerror(errno);
        return NULL;
    }
    unsigned char *der = malloc(OCSP_MAX_BYTES + 1);
    *len = der != NULL ? fread(der, 1, OCSP_MAX_BYTES + 1, f) : 0;
    fclose(f);
    if (der == NULL || *len == 0 || *len > OCSP_MAX_BYTES) {
        *problem = der == NULL ? "out of memory" : *len == 0 ? "empty file" : "larger than 64 KB";
        free(der);
        return NULL;
    }
    return der;
}

/* The certificate's issuer: in the chain file after it, or the certificate itself when it is self-issued. */
static X509 *issuer_of(SSL_CTX *ctx, X509 *leaf)
{
    STACK_OF(X509) *chain = NULL;
    SSL_CTX_get0_chain_certs(ctx, &chain);
    for (int i = 0; i < sk_X509_num(chain); i++)
        if (X509_check_issued(sk_X509_value(chain, i), leaf) == X509_V_OK)
            return sk_X509_value(chain, i);
    return X509_check_issued(leaf, leaf) == X509_V_OK ? leaf : NULL;
}

/* Signed by the issuer, or by a responder the issuer delegated (id-kp-OCSPSigning); the issuer is trusted as is. */
static int signed_by_issuer(OCSP_BASICRESP *basic, SSL_CTX *ctx, X509 *issuer)
{
    STACK_OF(X509) *chain = NULL;
    SSL_CTX_get0_chain_certs(ctx, &chain);
    X509_STORE *store = X509_STORE_new();
    int ok = store != NULL && X509_STORE_add_cert(store, issuer) == 1 &&
             X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN) == 1 &&
             OCSP_basic_verify(basic, chain, store, 0) == 1;
    X509_STORE_free(store);
    return ok;
}

/* The single response about `leaf`, whatever hash the responder named it with. */
static OCSP_SINGLERESP *response_for(OCSP_BASICRESP *basic, X509 *leaf, X509 *issuer)
{
    for (int i = 0; i < OCSP_resp_count(basic); i++) {
        OCSP_SINGLERESP *single = OCSP_resp_get0(basic, i);
        ASN1_OBJECT *hash = NULL;
        OCSP_id_get0_info(NULL, &hash, NULL, NULL, (OCSP_CERTID *)OCSP_SINGLERESP_get0_id(single));
        const EVP_MD *md = hash != NULL ? EVP_get_digestbyobj(hash) : NULL;
        OCSP_CERTID *id = md != NULL ? OCSP_cert_to_id(md, leaf, issuer) : NULL;
        int same = id != NULL && OCSP_id_cmp(id, OCSP_SINGLERESP_get0_id(single)) == 0;
        OCSP_CERTID_free(id);
        if (same)
            return single;
    }
    return NULL;
}

/* NULL when `basic` is a good, current answer about `ctx`'s certificate, else what is wrong; *next_update set. */
static const char *judge(OCSP_BASICRESP *basic, SSL_CTX *ctx, time_t *next_update)
{
    X509 *leaf = SSL_CTX_get0_certificate(ctx);
    X509 *issuer = leaf != NULL ? issuer_of(ctx, leaf) : NULL;
    if (issuer == NULL)
        return "the certificate's issuer is not in server.tls_certificate, so the response cannot be checked";
    if (!signed_by_issuer(basic, ctx, issuer))
        return "not signed by the certificate's issuer or a responder it delegated";
    OCSP_SINGLERESP *single = response_for(basic, leaf, issuer);
    if (single == NULL)
        return "it is not about this certificate";
    int reason;
    ASN1_GENERALIZEDTIME *revoked_at, *this_update, *next;
    int status = OCSP_single_get0_status(single, &reason, &revoked_at, &this_update, &next);
    if (status != V_OCSP_CERTSTATUS_GOOD)
        return status == V_OCSP_CERTSTATUS_REVOKED ? "it says the certificate is REVOKED" : "its status is unknown";
    if (next == NULL)
        return "it has no nextUpdate, so its freshness cannot be judged";
    struct tm tm;
    if (OCSP_check_validity(this_update, next, OCSP_CLOCK_SKEW_S, -1) != 1 || ASN1_TIME_to_tm(next, &tm) != 1)
        return "outside its validity (thisUpdate..nextUpdate): stale or not yet valid";
    *next_update = timegm(&tm);
    return *next_update > time(NULL) ? NULL : "its nextUpdate has passed: stale";
}

static const char *check_response(const unsigned char *der, size_t len, SSL_CTX *ctx, time_t *next_update)
{
    const unsigned char *p = der;
    OCSP_RESPONSE *response = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
    if (response == NULL || p != der + len) {
        OCSP_RESPONSE_free(response);
        return "not a DER OCSP response";
    }
    const char *problem = NULL;
    OCSP_BASICRESP *basic = NULL;
    if (OCSP_response_status(response) != OCSP_RESPONSE_STATUS_SUCCESSFUL)
        problem = "its status is not successful";
    else if ((basic = OCSP_response_get1_basic(response)) == NULL)
        problem = "not a basic OCSP response";
    else
        problem = judge(basic, ctx, next_update);
    OCSP_BASICRESP_free(basic);
    OCSP_RESPONSE_free(response);
    return problem;
}

int cong_tls_use_ocsp_response(SSL_CTX *ctx, const char *path)
{
    if (path[0] == '\0')
        return 0;
    pthread_once(&staple_index_once, make_staple_index);
    size_t len = 0;
    time_t next_update = 0;
    const char *problem = NULL;
    unsigned char *der = read_file(path, &len, &problem);
    if (der != NULL)
        problem = check_response(der, len, ctx, &next_update);
    ERR_clear_error();
    staple_t *s = problem == NULL ? calloc(1, sizeof *s) : NULL;
    if (problem == NULL && (s == NULL || staple_index < 0))
        problem = "out of memory";
    if (problem != NULL) {
        cong_log(CONG_LOG_WARN, "tls", "OCSP response %s not stapled: %s", path, problem);
        free(der);
        free(s);
        return 0;
    }
    *s = (staple_t){.der = der, .len = len, .next_update = next_update};
    if (SSL_CTX_set_ex_data(ctx, staple_index, s) != 1) {
        free_staple(NULL, s, NULL, 0, 0, NULL);
        return 0;
    }
    SSL_CTX_set_tlsext_status_cb(ctx, on_status_request);
    char until[32];
    struct tm tm;
    strftime(until, sizeof until, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&next_update, &tm));
    cong_log(CONG_LOG_INFO, "tls", "OCSP response %s stapled until %s", path, until);
    return 1;
}
