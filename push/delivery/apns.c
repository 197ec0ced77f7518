/*
 * push/delivery/apns.c — the APNs adapter (provider.h), token-based, as Apple's "Sending notification requests to
 * APNs" and "Establishing a token-based connection to APNs" describe. Options: apns_options.h. What goes on the wire:
 * apns_request.h; what comes back: apns_answer.h; the provider token: apns_token.h.
 *
 * One libcurl multi handle per adapter, kept from open to close, so its one HTTP/2 connection to the endpoint (at most
 * one: CURLMOPT_MAX_HOST_CONNECTIONS) carries every batch: each message a stream (CURLPIPE_MULTIPLEX, PIPEWAIT),
 * verified TLS with ALPN h2 (or h2c with prior knowledge to a loopback stand-in). Batches of several threads take
 * turns on it (send_mu): a multi handle is one thread's at a time. One exception, for tests only: h2c with prior
 * knowledge on a libcurl before 8.0.0, which fails a second stream on such a connection ("Error in the HTTP2 framing
 * layer", curl/curl#10643, fixed in 8.0.0): there every message gets a fresh connection (TLS is unaffected).
 *
 * The provider token is reused for token_refresh_s (1200..3600 s, as Apple asks). A 403 ExpiredProviderToken or
 * InvalidProviderToken drops it (only if it is still the cached one, so a whole batch refused at once makes one new
 * signature) and re-sends that message once with the token then current. Re-signing after ExpiredProviderToken
 * never breaks the 20-minute rule (the refused token is an hour old); after InvalidProviderToken APNs did not take
 * the refused token as the connection's current one, so the new one is no "update" either; if APNs still answers
 * 429 TooManyProviderTokenUpdates, that message is PUSH_RETRY like any 429. A second refusal is PUSH_RETRY: the key,
 * key_id or team_id is wrong, which the worker cannot fix by dropping messages.
 *
 * Never logged or put in a result: a device token (it is in the URL, so curl's own error text is never used either),
 * the provider token, the payload.
 */
#include "provider.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apns_answer.h"
#include "apns_options.h"
#include "apns_request.h"
#include "apns_token.h"
#include "cong/errors.h"

#define ANSWER_BODY_MAX 1024 /* APNs' error bodies are {"reason", "timestamp"} */
#define POLL_SLICE_MS 200

struct push_provider {
    char endpoint[APNS_ENDPOINT_MAX];
    char *topic, *ca_file;
    int h2_prior_knowledge, connect_timeout_ms;
    int h2c_no_reuse; /* h2c on a libcurl that fails on a reused prior-knowledge connection */
    apns_token_cache_t token;
    pthread_mutex_t send_mu; /* guards multi */
    CURLM *multi;
};

typedef struct apns_xfer {
    CURL *easy;
    struct curl_slist *headers;
    apns_request_t req;
    char *jwt; /* the provider token this attempt carries (a copy) */
    int resent;
    char url[APNS_ENDPOINT_MAX + 16 + APNS_DEVICE_TOKEN_MAX];
    char body[ANSWER_BODY_MAX];
    size_t body_len;
    char retry_after[64];
} apns_xfer_t;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void init_curl(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static void close_apns(push_provider_t *p)
{
    if (p == NULL)
        return;
    if (p->multi != NULL)
        curl_multi_cleanup(p->multi);
    apns_token_fini(&p->token);
    pthread_mutex_destroy(&p->send_mu);
    free(p->topic);
    free(p->ca_file);
    free(p);
}

static int open_apns(const char *const *options, push_provider_t **out, char *err, size_t err_size)
{
    *out = NULL;
    apns_options_t o;
    int rc = apns_options_parse(options, &o, err, err_size);
    if (rc != 0)
        return rc;
    cong_jwt_key_t *key = NULL;
    if (cong_jwt_key_load_private_file(o.auth_key_file, &key) != 0 || cong_jwt_key_kind(key) != CONG_JWT_KEY_EC_P256) {
        cong_jwt_key_free(key);
        snprintf(err, err_size, "auth_key_file is not a readable EC P-256 private key (.p8)");
        return CONG_EINVAL;
    }
    pthread_once(&curl_once, init_curl);
    push_provider_t *p = calloc(1, sizeof *p);
    if (p == NULL || apns_token_init(&p->token, key, o.key_id, o.team_id, o.token_refresh_s) != 0) {
        free(p);
        return snprintf(err, err_size, "out of memory"), CONG_ENOMEM;
    }
    pthread_mutex_init(&p->send_mu, NULL);
    snprintf(p->endpoint, sizeof p->endpoint, "%s", o.endpoint);
    p->topic = strdup(o.topic);
    p->ca_file = dup_or_null(o.ca_file);
    p->h2_prior_knowledge = o.h2_prior_knowledge;
    p->h2c_no_reuse = o.h2_prior_knowledge && curl_version_info(CURLVERSION_NOW)->version_num < 0x080000;
    p->connect_timeout_ms = o.connect_timeout_ms;
    p->multi = curl_multi_init();
    if (p->topic == NULL || (o.ca_file != NULL && p->ca_file == NULL) || p->multi == NULL) {
        close_apns(p);
        return snprintf(err, err_size, "out of memory"), CONG_ENOMEM;
    }
    curl_multi_setopt(p->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl_multi_setopt(p->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 1L);
    *out = p;
    return 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    apns_xfer_t *x = userp;
    size_t n = size * nmemb, room = sizeof x->body - 1 - x->body_len;
    memcpy(x->body + x->body_len, data, n < room ? n : room);
    x->body_len += n < room ? n : room;
    return n;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *userp)
{
    apns_xfer_t *x = userp;
    size_t n = size * nmemb;
    if (n > 12 && strncasecmp(line, "retry-after:", 12) == 0) {
        size_t v = n - 12 < sizeof x->retry_after - 1 ? n - 12 : sizeof x->retry_after - 1;
        memcpy(x->retry_after, line + 12, v);
        x->retry_after[v] = '\0';
        x->retry_after[strcspn(x->retry_after, "\r\n")] = '\0';
    }
    return n;
}

/* (Re)attaches x to the multi with the current provider token. 0, or a negative CONG_E* code. */
static int attach(push_provider_t *p, apns_xfer_t *x, int64_t deadline_at)
{
    if (x->jwt != NULL) {
        explicit_bzero(x->jwt, strlen(x->jwt));
        free(x->jwt);
        x->jwt = NULL;
    }
    int rc = apns_token_get(&p->token, (int64_t)time(NULL), &x->jwt);
    char *lines[APNS_HEADER_LINES + 1];
    if (rc != 0 || (rc = apns_request_headers(&x->req, p->topic, x->jwt, lines)) != 0)
        return rc != 0 ? rc : CONG_ENOMEM;
    curl_slist_free_all(x->headers); /* curl copies each line */
    x->headers = NULL;
    for (int i = 0; lines[i] != NULL && rc == 0; i++) {
        struct curl_slist *more = curl_slist_append(x->headers, lines[i]);
        rc = more != NULL ? 0 : CONG_ENOMEM;
        x->headers = more != NULL ? more : x->headers;
    }
    apns_headers_free(lines);
    x->body_len = 0;
    x->retry_after[0] = '\0';
    long left = (long)(deadline_at - monotonic_ms());
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, left > 1 ? left : 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, left < p->connect_timeout_ms ? (left > 1 ? left : 1L)
                                                                                 : (long)p->connect_timeout_ms);
    if (rc == 0 && curl_multi_add_handle(p->multi, e) != CURLM_OK)
        rc = CONG_ENOMEM;
    return rc;
}

static int prepare(push_provider_t *p, apns_xfer_t *x, const char *device_token)
{
    snprintf(x->url, sizeof x->url, "%s/3/device/%s", p->endpoint, device_token);
    CURL *e = x->easy = curl_easy_init();
    if (e == NULL)
        return CONG_ENOMEM;
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_URL, x->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROXY, ""); /* never a proxy from the environment */
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "cong");
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                     p->h2_prior_knowledge ? (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE : (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    if (p->h2c_no_reuse) { /* libcurl < 8.0.0 cannot reuse an h2c connection (curl/curl#10643): one per message */
        curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    }
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (p->ca_file != NULL)
        curl_easy_setopt(e, CURLOPT_CAINFO, p->ca_file);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->req.payload_len);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->req.payload);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    return 0;
}

/* Why a transfer got no answer, in words that carry nothing of the request. */
static const char *no_answer_reason(CURLcode code)
{
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT: return "timeout";
    case CURLE_PEER_FAILED_VERIFICATION: return "tls-verification-failed";
    case CURLE_SSL_CACERT_BADFILE: return "ca-file-unreadable";
    case CURLE_SSL_CONNECT_ERROR: return "tls-handshake-failed";
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT: return "unreachable";
    default: return "transport-error";
    }
}

/* A transfer ended: its result, or 1 when it was re-sent with a fresh provider token and is still under way. */
static int finished(push_provider_t *p, apns_xfer_t *x, CURLcode code, push_result_t *r, int64_t deadline_at)
{
    curl_multi_remove_handle(p->multi, x->easy);
    if (code != CURLE_OK)
        return apns_answer_no_answer(no_answer_reason(code), r), 0;
    long status = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    apns_answer_map((int)status, x->body, x->body_len, x->retry_after[0] ? x->retry_after : NULL,
                    (int64_t)time(NULL), r);
    if (!apns_answer_token_refused(r) || x->resent)
        return 0;
    x->resent = 1;
    apns_token_drop(&p->token, x->jwt);
    if (attach(p, x, deadline_at) != 0)
        return apns_answer_no_answer("credential-unavailable", r), 0;
    return 1;
}

/* Drives the multi until every attached transfer has its result or the deadline passed. */
static void run(push_provider_t *p, apns_xfer_t *xfers, push_result_t *results, int pending, int64_t deadline_at)
{
    while (pending > 0) {
        int64_t left = deadline_at - monotonic_ms();
        if (left <= 0)
            break;
        int running = 0;
        curl_multi_perform(p->multi, &running);
        CURLMsg *m;
        int queued = 0;
        while ((m = curl_multi_info_read(p->multi, &queued)) != NULL) {
            apns_xfer_t *x = NULL;
            if (m->msg != CURLMSG_DONE || curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x) != CURLE_OK)
                continue;
            CURLcode code = m->data.result; /* m is invalid once the handle is removed */
            if (finished(p, x, code, &results[x - xfers], deadline_at) == 0)
                pending--;
        }
        if (pending > 0)
            curl_multi_poll(p->multi, NULL, 0, (int)(left < POLL_SLICE_MS ? left : POLL_SLICE_MS), NULL);
    }
}

static void release(push_provider_t *p, apns_xfer_t *x)
{
    if (x->easy != NULL) {
        curl_multi_remove_handle(p->multi, x->easy); /* harmless when it is not attached */
        curl_easy_cleanup(x->easy);
    }
    curl_slist_free_all(x->headers); /* its authorization line is libcurl's copy, freed here */
    if (x->jwt != NULL) {
        explicit_bzero(x->jwt, strlen(x->jwt));
        free(x->jwt);
    }
    apns_request_free(&x->req);
}

static int send_apns(push_provider_t *p, const push_message_t *msgs, size_t n, push_result_t *results, int deadline_ms)
{
    int64_t deadline_at = monotonic_ms() + deadline_ms;
    for (size_t i = 0; i < n; i++)
        apns_answer_no_answer("timeout", &results[i]);
    apns_xfer_t *xfers = calloc(n ? n : 1, sizeof *xfers);
    if (p == NULL || xfers == NULL) {
        for (size_t i = 0; i < n; i++)
            apns_answer_no_answer("out of memory", &results[i]);
        return free(xfers), CONG_ENOMEM;
    }
    pthread_mutex_lock(&p->send_mu);
    int pending = 0, credential_failed = 0, refused_here = 0;
    for (size_t i = 0; i < n; i++) {
        if (apns_request_build(&msgs[i], (int64_t)time(NULL), &xfers[i].req, &results[i]) != 0) {
            refused_here++;
            continue;
        }
        int rc = prepare(p, &xfers[i], msgs[i].device_token);
        if (rc == 0)
            rc = attach(p, &xfers[i], deadline_at);
        if (rc == 0) {
            pending++;
            continue;
        }
        apns_answer_no_answer(rc == CONG_ENOMEM ? "out of memory" : "credential-unavailable", &results[i]);
        credential_failed++;
    }
    run(p, xfers, results, pending, deadline_at);
    for (size_t i = 0; i < n; i++)
        release(p, &xfers[i]);
    pthread_mutex_unlock(&p->send_mu);
    free(xfers);
    return pending == 0 && refused_here == 0 && credential_failed > 0 ? CONG_EIO : 0;
}

const push_provider_ops_t push_apns_provider = {.name = "apns", .open = open_apns, .send = send_apns, .close = close_apns};
