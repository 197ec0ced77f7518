/*
 * push/delivery/fcm.c — the FCM HTTP v1 adapter (provider.h). Options in fcm_options.h; the credential in
 * fcm_oauth.h; the body in fcm_message.h; what an answer means in fcm_answer.h.
 *
 * A batch: the access token is obtained first (cached, single-flight across threads), then every message is a stream
 * of one HTTP/2 connection held by the adapter's multi handle (CURLPIPE_MULTIPLEX, CURLOPT_PIPEWAIT, one connection
 * per host), kept open for the next batch. Messages answered 401 get the token dropped and are sent once more with a
 * fresh one. Threads may share an adapter: batches take turns on the connection (conn_mutex), not on the token.
 * Logged on stderr: one line per batch (counts and connections opened) and one per message not sent (its index, the
 * first 8 characters of its token, outcome, status, reason) — never a credential, a whole token or a payload.
 */
#include "provider.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"
#include "fcm_account.h"
#include "fcm_answer.h"
#include "fcm_http.h"
#include "fcm_message.h"
#include "fcm_oauth.h"
#include "fcm_options.h"

struct push_provider {
    fcm_account_t account;
    char *send_url, *ca_file;
    int h2_prior_knowledge;
    long http_version; /* CURLOPT_HTTP_VERSION of the messages (h2c_version) */
    fcm_transport_t transport;
    fcm_token_cache_t tokens;
    pthread_mutex_t conn_mutex; /* guards multi: one batch at a time on the connection */
    CURLM *multi;               /* its connection cache is the one connection reused across batches */
};

/* One batch's state, per message. */
typedef struct fcm_batch {
    const push_message_t *msgs;
    push_result_t *results;
    char **bodies;   /* NULL for a message already settled (unbuildable) */
    int *pending;    /* 1: to be sent in the next round */
    size_t n;
    int64_t deadline_ms;
    long connections; /* new connections libcurl made for the batch's transfers */
    size_t h2_answers; /* answers that came over HTTP/2 */
} fcm_batch_t;

static void close_fcm(push_provider_t *p)
{
    if (p == NULL)
        return;
    if (p->multi != NULL)
        curl_multi_cleanup(p->multi);
    pthread_mutex_destroy(&p->conn_mutex);
    fcm_token_cache_destroy(&p->tokens);
    fcm_account_free(&p->account);
    free(p->send_url);
    free(p->ca_file);
    free(p);
}

/* libcurl before 8.0.0 fails every stream after the first on a reused prior-knowledge h2c connection ("Error in
 * the HTTP2 framing layer", curl issue 10634, fixed by PR 10643): there h2c is reached by Upgrade instead, on the
 * first request, and the connection is then multiplexed all the same. TLS (FCM itself) negotiates h2 by ALPN. */
static long h2c_version(int h2_prior_knowledge)
{
    if (!h2_prior_knowledge)
        return (long)CURL_HTTP_VERSION_2TLS;
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    return v->version_num >= 0x080000 ? (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE : (long)CURL_HTTP_VERSION_2_0;
}

static int open_parts(push_provider_t *p, const fcm_options_t *o, char *err, size_t err_size)
{
    int rc = fcm_account_load(o->service_account_file, &p->account, err, err_size);
    if (rc != 0)
        return rc;
    const char *project = o->project_id != NULL ? o->project_id : p->account.project_id;
    if (strspn(project, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(project))
        return snprintf(err, err_size, "service_account_file: project_id is not a project id"), CONG_EINVAL;
    size_t len = strlen(o->endpoint) + strlen(project) + sizeof "/v1/projects//messages:send";
    if ((p->send_url = malloc(len)) == NULL || (o->ca_file != NULL && (p->ca_file = strdup(o->ca_file)) == NULL))
        return snprintf(err, err_size, "out of memory"), CONG_ENOMEM;
    snprintf(p->send_url, len, "%s/v1/projects/%s/messages:send", o->endpoint, project);
    p->transport = (fcm_transport_t){.ca_file = p->ca_file, .connect_timeout_ms = o->connect_timeout_ms};
    p->h2_prior_knowledge = o->h2_prior_knowledge;
    p->http_version = h2c_version(o->h2_prior_knowledge);
    if (fcm_http_global_init() != 0 || (p->multi = curl_multi_init()) == NULL)
        return snprintf(err, err_size, "out of memory"), CONG_ENOMEM;
    curl_multi_setopt(p->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl_multi_setopt(p->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 1L);
    return 0;
}

static int open_fcm(const char *const *options, push_provider_t **out, char *err, size_t err_size)
{
    *out = NULL;
    fcm_options_t o;
    int rc = fcm_options_parse(options, &o, err, err_size);
    if (rc != 0)
        return rc;
    push_provider_t *p = calloc(1, sizeof *p);
    if (p == NULL || fcm_token_cache_init(&p->tokens) != 0)
        return free(p), snprintf(err, err_size, "out of memory"), CONG_ENOMEM;
    if (pthread_mutex_init(&p->conn_mutex, NULL) != 0) {
        fcm_token_cache_destroy(&p->tokens);
        return free(p), snprintf(err, err_size, "out of memory"), CONG_ENOMEM;
    }
    if ((rc = open_parts(p, &o, err, err_size)) != 0)
        return close_fcm(p), rc;
    *out = p;
    return 0;
}

/* ---- one round of transfers on the connection ---- */

typedef struct fcm_transfer {
    CURL *easy;
    size_t i; /* the message */
    fcm_answer_buf_t answer;
    int done;
} fcm_transfer_t;

static struct curl_slist *request_headers(const char *token)
{
    size_t len = strlen(token) + sizeof "authorization: Bearer ";
    char *auth = malloc(len);
    if (auth == NULL)
        return NULL;
    snprintf(auth, len, "authorization: Bearer %s", token);
    struct curl_slist *h = curl_slist_append(NULL, "content-type: application/json; charset=UTF-8");
    struct curl_slist *with_auth = h != NULL ? curl_slist_append(h, auth) : NULL;
    memset(auth, 0, len);
    free(auth);
    if (with_auth == NULL)
        curl_slist_free_all(h);
    return with_auth;
}

static void free_headers(struct curl_slist *h)
{
    for (struct curl_slist *s = h; s != NULL; s = s->next)
        memset(s->data, 0, strlen(s->data)); /* the bearer token */
    curl_slist_free_all(h);
}

static int start_transfer(push_provider_t *p, fcm_batch_t *b, fcm_transfer_t *t, struct curl_slist *headers)
{
    if ((t->easy = curl_easy_init()) == NULL)
        return -1;
    fcm_http_setup(t->easy, &p->transport, p->send_url, (long)(b->deadline_ms - fcm_now_ms()), &t->answer);
    curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, b->bodies[t->i]);
    curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(t->easy, CURLOPT_HTTP_VERSION, p->http_version);
    /* Wait for the connection being made rather than open another; not over cleartext HTTP/1.1 (see http_call.c). */
    curl_easy_setopt(t->easy, CURLOPT_PIPEWAIT, (long)(p->h2_prior_knowledge || strncmp(p->send_url, "https", 5) == 0));
    curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
    if (curl_multi_add_handle(p->multi, t->easy) != CURLM_OK)
        return curl_easy_cleanup(t->easy), t->easy = NULL, -1;
    return 0;
}

static void finish_transfer(fcm_batch_t *b, fcm_transfer_t *t, CURLcode code)
{
    long status = 0, connects = 0, version = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(t->easy, CURLINFO_NUM_CONNECTS, &connects);
    curl_easy_getinfo(t->easy, CURLINFO_HTTP_VERSION, &version);
    b->connections += connects;
    b->h2_answers += code == CURLE_OK && version == CURL_HTTP_VERSION_2_0;
    if (code == CURLE_OK)
        fcm_answer_map((int)status, t->answer.body, t->answer.len, t->answer.retry_after_s, &b->results[t->i]);
    else
        fcm_answer_no_answer(code == CURLE_OPERATION_TIMEDOUT ? "timeout" : "connection", &b->results[t->i]);
    t->done = 1;
}

/* Drives the multi handle until every transfer is done or the deadline passes. */
static void run_until_done(push_provider_t *p, fcm_batch_t *b, size_t count)
{
    size_t done = 0;
    for (;;) {
        int running = 0, left = 0;
        curl_multi_perform(p->multi, &running);
        CURLMsg *m;
        while ((m = curl_multi_info_read(p->multi, &left)) != NULL) {
            fcm_transfer_t *t = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            if (m->msg == CURLMSG_DONE && t != NULL && !t->done)
                finish_transfer(b, t, m->data.result), done++;
        }
        int64_t remaining = b->deadline_ms - fcm_now_ms();
        if (done == count || remaining <= 0)
            return;
        curl_multi_poll(p->multi, NULL, 0, (int)(remaining < 1000 ? remaining : 1000), NULL);
    }
}

/* Sends every pending message of b with `token`; each gets its result. */
static void send_round(push_provider_t *p, fcm_batch_t *b, const char *token)
{
    fcm_transfer_t *ts = calloc(b->n, sizeof *ts);
    struct curl_slist *headers = request_headers(token);
    size_t count = 0;
    pthread_mutex_lock(&p->conn_mutex);
    for (size_t i = 0; i < b->n; i++) {
        if (!b->pending[i])
            continue;
        if (ts != NULL)
            ts[count].i = i;
        if (ts == NULL || headers == NULL || start_transfer(p, b, &ts[count], headers) != 0) {
            fcm_answer_no_answer("out of memory", &b->results[i]);
            continue;
        }
        count++;
    }
    run_until_done(p, b, count);
    for (size_t k = 0; k < count; k++) {
        if (!ts[k].done)
            fcm_answer_no_answer("timeout", &b->results[ts[k].i]);
        curl_multi_remove_handle(p->multi, ts[k].easy);
        curl_easy_cleanup(ts[k].easy);
        fcm_answer_buf_free(&ts[k].answer);
    }
    pthread_mutex_unlock(&p->conn_mutex);
    free_headers(headers);
    free(ts);
}

/* ---- a batch ---- */

static int is_unauthenticated(const push_result_t *r)
{
    return r->http_status == 401;
}

/* Each pending message still pending gets RETRY "credential"; logs why once. */
static void credential_failed(fcm_batch_t *b, const char *why)
{
    fprintf(stderr, "fcm: no access token (%s): the batch is to be retried\n", why);
    for (size_t i = 0; i < b->n; i++)
        if (b->pending[i])
            fcm_answer_no_answer("credential", &b->results[i]), b->pending[i] = 0;
}

/* Round 1 with the cached (or a fresh) token; round 2, once, for the messages answered 401, with a fresh one. */
static int send_rounds(push_provider_t *p, fcm_batch_t *b)
{
    char *token = malloc(FCM_ACCESS_TOKEN_MAX), why[64] = "";
    uint64_t generation = 0;
    if (token == NULL)
        return credential_failed(b, "out of memory"), CONG_ENOMEM;
    int rc = fcm_token_get(&p->tokens, &p->account, &p->transport, b->deadline_ms, token, &generation, why,
                           sizeof why);
    if (rc != 0) {
        credential_failed(b, why);
    } else {
        send_round(p, b, token);
        size_t again = 0;
        for (size_t i = 0; i < b->n; i++) {
            b->pending[i] = b->pending[i] && is_unauthenticated(&b->results[i]);
            again += (size_t)b->pending[i];
        }
        if (again > 0) {
            fcm_token_drop(&p->tokens, generation);
            if (fcm_token_get(&p->tokens, &p->account, &p->transport, b->deadline_ms, token, &generation, why,
                              sizeof why) != 0)
                credential_failed(b, why);
            else
                send_round(p, b, token);
        }
    }
    memset(token, 0, FCM_ACCESS_TOKEN_MAX);
    free(token);
    return rc;
}

static void log_batch(const fcm_batch_t *b)
{
    size_t counts[4] = {0};
    for (size_t i = 0; i < b->n; i++) {
        const push_result_t *r = &b->results[i];
        counts[r->outcome & 3]++;
        if (r->outcome != PUSH_SENT)
            fprintf(stderr, "fcm: message %zu to %.8s...: %s %d %s\n", i,
                    b->msgs[i].device_token != NULL ? b->msgs[i].device_token : "", push_outcome_name(r->outcome),
                    r->http_status, r->reason);
    }
    fprintf(stderr,
            "fcm: batch of %zu: %zu sent, %zu retry, %zu gone, %zu drop; %ld new connection(s), %zu answers over "
            "HTTP/2\n",
            b->n, counts[PUSH_SENT], counts[PUSH_RETRY], counts[PUSH_GONE], counts[PUSH_DROP], b->connections,
            b->h2_answers);
}

static int send_fcm(push_provider_t *p, const push_message_t *msgs, size_t n, push_result_t *results, int deadline_ms)
{
    fcm_batch_t b = {.msgs = msgs, .results = results, .n = n, .deadline_ms = fcm_now_ms() + deadline_ms};
    b.bodies = calloc(n > 0 ? n : 1, sizeof *b.bodies);
    b.pending = calloc(n > 0 ? n : 1, sizeof *b.pending);
    int rc = 0, attempted = 0;
    for (size_t i = 0; i < n; i++) {
        results[i] = (push_result_t){.outcome = PUSH_RETRY};
        if (b.bodies == NULL || b.pending == NULL) {
            fcm_answer_no_answer("out of memory", &results[i]);
        } else if ((b.bodies[i] = fcm_message_json(&msgs[i])) == NULL) {
            results[i] = (push_result_t){.outcome = PUSH_DROP};
            snprintf(results[i].reason, sizeof results[i].reason, "invalid message");
        } else {
            b.pending[i] = 1, attempted = 1;
        }
    }
    if (attempted)
        rc = send_rounds(p, &b);
    else if (b.bodies == NULL || b.pending == NULL)
        rc = CONG_ENOMEM;
    log_batch(&b);
    for (size_t i = 0; b.bodies != NULL && i < n; i++)
        free(b.bodies[i]);
    free(b.bodies);
    free(b.pending);
    return rc;
}

const push_provider_ops_t push_fcm_provider = {.name = "fcm", .open = open_fcm, .send = send_fcm, .close = close_fcm};
