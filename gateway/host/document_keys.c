/* cong's document keys at run time: the signer, the history ring and its refresh, the published JWKS (contract in
 * document_keys.h). */
#include "document_keys.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/signed_document.h"
#include "jobs.h"
#include "common/common.h"
#include "module_loader.h"
#include "gateway/http/http.h"

struct cong_document_keys {
    cong_document_signer_t signer;   /* immutable once started */
    int recorded;                    /* the signer is in the history (not the development fallback) */
    pthread_mutex_t lock;            /* guards `ring` (the pointer; the ring itself is immutable) */
    cong_document_ring_t *ring;
    char *history;                   /* the JWKS text the ring was built from (refresh thread only, after start) */
    int refresh_job;                 /* jobs.h id */
    atomic_llong last_wake_ms;
};

static const char HISTORY_SQL[] =
    "SELECT json_build_object('keys', coalesce(json_agg(jwk ORDER BY first_used_at, kid), '[]'))::text "
    "FROM document_keys";

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A ring from the history's JWKS text (plus the signer when it is not recorded); NULL after a log line. Only the
 * signer's ES256 table is built now: an old key's is built when a document of its time is first verified. */
static cong_document_ring_t *ring_from(const cong_document_keys_t *k, const char *jwks)
{
    cong_document_ring_t *ring = NULL;
    int rc = cong_document_ring_parse_with(jwks, strlen(jwks), &k->signer, &ring);
    if (rc != 0) {
        cong_log(CONG_LOG_ERROR, "documents", "the document key history cannot be read (%s)",
                 cong_module_api.strerror(rc));
        return NULL;
    }
    if (cong_document_ring_skipped(ring) > 0)
        cong_log(CONG_LOG_WARN, "documents", "%zu key(s) of the document key history are not usable P-256 keys",
                 cong_document_ring_skipped(ring));
    cong_jwt_key_prepare(cong_document_ring_find(ring, k->signer.kid, strlen(k->signer.kid)));
    return ring;
}

static void install(cong_document_keys_t *k, cong_document_ring_t *ring)
{
    pthread_mutex_lock(&k->lock);
    cong_document_ring_t *old = k->ring;
    k->ring = ring;
    pthread_mutex_unlock(&k->lock);
    cong_document_ring_release(old);
}

static cong_document_ring_t *current_ring(cong_document_keys_t *k)
{
    pthread_mutex_lock(&k->lock);
    cong_document_ring_t *ring = cong_document_ring_retain(k->ring);
    pthread_mutex_unlock(&k->lock);
    return ring;
}

/* The refresh job: the history again, in case another instance added a key. A new ring only when the history
 * changed (the tables built for the old one's keys stay in use); the ring it has on failure. */
static void refresh(cong_job_t *job, void *udata)
{
    cong_document_keys_t *k = udata;
    cong_pg_result_t *res = NULL;
    if (cong_job_pg_exec(job, HISTORY_SQL, 0, NULL, &res) != 0)
        return;
    const char *jwks = cong_module_api.pg_value(res, 0, 0);
    cong_document_ring_t *ring = NULL;
    if (jwks != NULL && (k->history == NULL || strcmp(jwks, k->history) != 0) && (ring = ring_from(k, jwks)) != NULL) {
        free(k->history);
        k->history = strdup(jwks);
        install(k, ring);
        cong_log(CONG_LOG_INFO, "documents", "%zu key(s) in the document key history", cong_document_ring_count(ring));
    }
    cong_job_pg_clear(res);
}

/* ---- start ---- */

static int load_signer(cong_gateway_t *gw, cong_document_keys_t *k)
{
    const cong_config_t *c = gw->config;
    const char *path = c->auth.document_signing_key_file;
    if (path[0] != '\0') {
        if (cong_document_signer_load(path, &k->signer) != 0) {
            cong_log(CONG_LOG_ERROR, "documents", "auth.document_signing_key_file: cannot load a P-256 private key");
            return CONG_EINVAL;
        }
        k->recorded = 1;
    } else if (strcmp(c->server.environment, "development") == 0) {
        if (cong_document_signer_generate(&k->signer) != 0)
            return CONG_EIO;
        cong_log(CONG_LOG_WARN, "documents", "no auth.document_signing_key_file: documents are signed with a key made "
                 "for this process only, not recorded; they stop verifying when it stops (development only)");
    } else {
        cong_log(CONG_LOG_ERROR, "documents", "auth.document_signing_key_file is required in production: results "
                 "are signed with it (scripts/make-keys.sh makes one)");
        return CONG_EINVAL;
    }
    const cong_identity_t *id = gw->has_identity ? &gw->identity : NULL;
    if (id != NULL && (strcmp(k->signer.kid, id->kid) == 0 || strcmp(k->signer.kid, id->previous_kid) == 0)) {
        cong_log(CONG_LOG_ERROR, "documents", "auth.document_signing_key_file is an access-token signing key: "
                 "documents need a key of their own");
        return CONG_EINVAL;
    }
    return 0;
}

/* Records the signer (when it is a configured key) and reads the history; blocking. */
static int read_history(cong_gateway_t *gw, cong_document_keys_t *k)
{
    PGconn *c = PQconnectdb(gw->config->postgres.conninfo);
    char *jwk = NULL;
    int rc = PQstatus(c) == CONNECTION_OK ? 0 : CONG_EUNAVAILABLE;
    if (rc == 0 && k->recorded && (rc = cong_document_public_jwk(&k->signer, &jwk)) == 0) {
        const char *params[] = {k->signer.kid, jwk};
        PGresult *res = PQexecParams(c, "INSERT INTO document_keys (kid, jwk) VALUES ($1, $2::jsonb) "
                                        "ON CONFLICT (kid) DO NOTHING", 2, NULL, params, NULL, NULL, 0);
        rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : CONG_EQUERY;
        PQclear(res);
    }
    free(jwk);
    PGresult *res = rc == 0 ? PQexec(c, HISTORY_SQL) : NULL;
    if (rc == 0 && (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1))
        rc = CONG_EQUERY;
    if (rc == 0 && ((k->ring = ring_from(k, PQgetvalue(res, 0, 0))) == NULL ||
                    (k->history = strdup(PQgetvalue(res, 0, 0))) == NULL))
        rc = CONG_EINVAL;
    if (rc == CONG_EUNAVAILABLE || rc == CONG_EQUERY)
        cong_log(CONG_LOG_ERROR, "documents", "cannot record or read the document key history (%s)",
                 cong_module_api.strerror(rc));
    PQclear(res);
    PQfinish(c);
    return rc;
}

int cong_document_keys_start(cong_gateway_t *gw)
{
    cong_document_keys_t *k = calloc(1, sizeof *k);
    if (k == NULL)
        return CONG_ENOMEM;
    pthread_mutex_init(&k->lock, NULL);
    gw->documents = k;
    int rc = load_signer(gw, k);
    if (rc == 0)
        rc = read_history(gw, k);
    if (rc == 0)
        rc = k->refresh_job = cong_jobs_add(gw, "gateway", "document_keys_refresh", CONG_DOCUMENT_KEYS_REFRESH_MS,
                                            refresh, k);
    if (rc < 0)
        return rc;
    cong_log(CONG_LOG_INFO, "documents", "document key %s; %zu key(s) in the history", k->signer.kid,
             cong_document_ring_count(k->ring));
    return 0;
}

void cong_document_keys_free(cong_gateway_t *gw)
{
    cong_document_keys_t *k = gw->documents;
    if (k == NULL)
        return;
    cong_document_ring_release(k->ring);
    free(k->history);
    cong_document_signer_free(&k->signer);
    pthread_mutex_destroy(&k->lock);
    free(k);
    gw->documents = NULL;
}

/* ---- signing and verifying ---- */

int cong_document_keys_sign(cong_gateway_t *gw, const char *payload_json, char **out)
{
    *out = NULL;
    return gw->documents != NULL ? cong_document_sign(&gw->documents->signer, payload_json, out) : CONG_ENOTFOUND;
}

/* A document naming a kid this instance does not know: read the history again soon (at most once per gap). */
static void wake_on_unknown_kid(cong_gateway_t *gw, const cong_document_ring_t *ring, const char *jws, size_t len)
{
    cong_document_keys_t *k = gw->documents;
    char kid[CONG_JWK_KID_MAX + 1];
    if (cong_document_kid(jws, len, kid) != 0 || cong_document_ring_find(ring, kid, strlen(kid)) != NULL)
        return;
    long long now = now_ms(), last = atomic_load(&k->last_wake_ms);
    if (now - last >= CONG_DOCUMENT_KEYS_WAKE_GAP_MS && atomic_compare_exchange_strong(&k->last_wake_ms, &last, now))
        cong_jobs_wake(gw, k->refresh_job);
}

int cong_document_keys_verify(cong_gateway_t *gw, const char *jws, size_t len, char **payload, size_t *payload_len)
{
    *payload = NULL;
    if (gw->documents == NULL)
        return CONG_ENOTFOUND;
    cong_document_ring_t *ring = current_ring(gw->documents);
    int rc = cong_document_verify(ring, jws, len, payload, payload_len);
    if (rc == CONG_EINVAL)
        wake_on_unknown_kid(gw, ring, jws, len);
    cong_document_ring_release(ring);
    return rc;
}

/* ---- GET /.well-known/cong-document-keys.json ---- */

static const cong_api_t *api;

static void published_keys(cong_req_t *req, void *udata)
{
    (void)udata;
    cong_gateway_t *gw = req->worker->gateway;
    cong_document_ring_t *ring = gw->documents != NULL ? current_ring(gw->documents) : NULL;
    size_t len = 0;
    const char *json = cong_document_ring_json(ring, &len);
    if (json == NULL) {
        api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
    } else {
        api->reply_header(req, "cache-control", "public, max-age=300");
        api->reply_text(req, 200, "application/json", json, len);
    }
    cong_document_ring_release(ring);
}

int cong_document_keys_routes(cong_module_ctx_t *ctx, const cong_api_t *a)
{
    api = a;
    cong_route_def_t def = {.size = sizeof def, .method = "GET", .path = "/.well-known/cong-document-keys.json",
                            .handler = published_keys, .auth = CONG_AUTH_NONE, .rate_limit_class = "default",
                            .operation_id = "getDocumentKeys"};
    return api->register_route(ctx, &def);
}
