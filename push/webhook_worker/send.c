/*
 * push/webhook_worker/send.c — the sends (worker.h): signed, started in the worker's curl multi handle with their
 * deadlines, and recorded when they finish. Connections are kept per host by libcurl between sends.
 */
#include "worker.h"

#include "push/webhook/address.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RESPONSE_MAX (64 * 1024)

void ww_send_free(ww_send_t *s)
{
    if (!s)
        return;
    if (s->easy)
        curl_easy_cleanup(s->easy);
    curl_slist_free_all(s->headers);
    free(s->url);
    free(s->body);
    free(s);
}

/* The response body is read and dropped; a receiver answering more than RESPONSE_MAX is cut off (a failed send). */
static size_t drop_body(char *data, size_t size, size_t n, void *udata)
{
    (void)data;
    ww_send_t *s = udata;
    s->response_bytes += (long)(size * n);
    return s->response_bytes > RESPONSE_MAX ? 0 : size * n;
}

/* Every connection libcurl opens goes through here, after DNS: an address cong's network keeps to itself is refused
 * (push/webhook/address.h), so the send fails as a refused connection and is retried like one. */
static curl_socket_t open_socket(void *udata, curlsocktype purpose, struct curl_sockaddr *address)
{
    const ww_t *w = udata;
    (void)purpose;
    if (!webhook_address_allowed(&address->addr, w->cfg->allow_http_loopback)) {
        relay_log_failure("address", "a delivery's host resolved to an address deliveries may not reach: refused");
        return CURL_SOCKET_BAD;
    }
    return socket(address->family, address->socktype, address->protocol);
}

static int add_header(ww_send_t *s, const char *name, const char *value)
{
    char line[2 * (WEBHOOK_SIGNATURE_LEN + 1) + 64];
    snprintf(line, sizeof line, "%s: %s", name, value);
    struct curl_slist *l = curl_slist_append(s->headers, line);
    if (!l)
        return -1;
    s->headers = l;
    return 0;
}

/* secrets: the current one first, then the previous one during a rotation's overlap (n 1 or 2). */
static int sign(ww_send_t *s, const webhook_secret_t *secrets, size_t n)
{
    char ts[24], sig[2 * (WEBHOOK_SIGNATURE_LEN + 1) + 8];
    int64_t now_s = (int64_t)time(NULL);
    snprintf(ts, sizeof ts, "%lld", (long long)now_s);
    if (webhook_sign(s->webhook_id, strlen(s->webhook_id), now_s, s->body, strlen(s->body), secrets, n, sig,
                     sizeof sig) < 0)
        return -1;
    return add_header(s, "content-type", "application/json") || add_header(s, "user-agent", "cong-webhooks/1") ||
                   add_header(s, "webhook-id", s->webhook_id) || add_header(s, "webhook-timestamp", ts) ||
                   add_header(s, "webhook-signature", sig) || add_header(s, "expect", "")
               ? -1
               : 0;
}

static int configure(ww_t *w, ww_send_t *s)
{
    CURL *e = s->easy;
    const ww_config_t *c = w->cfg;
    int ok = curl_easy_setopt(e, CURLOPT_URL, s->url) == CURLE_OK &&
             curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, c->allow_http_loopback ? "http,https" : "https") ==
                 CURLE_OK &&
             curl_easy_setopt(e, CURLOPT_POSTFIELDS, s->body) == CURLE_OK &&
             curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers) == CURLE_OK &&
             curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_ms) == CURLE_OK &&
             curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->deadline_ms) == CURLE_OK &&
             curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
             curl_easy_setopt(e, CURLOPT_PROXY, "") == CURLE_OK &&
             curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
             curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, drop_body) == CURLE_OK &&
             curl_easy_setopt(e, CURLOPT_WRITEDATA, s) == CURLE_OK &&
             curl_easy_setopt(e, CURLOPT_PRIVATE, s) == CURLE_OK &&
             curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket) == CURLE_OK &&
             curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, w) == CURLE_OK;
    if (ok && c->ca_file && c->ca_file[0])
        ok = curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file) == CURLE_OK;
    /* http://127.0.0.1 only, even when http is allowed: anything else over cleartext is refused here too */
    if (ok && strncmp(s->url, "http://", 7) == 0)
        ok = strncmp(s->url, "http://127.0.0.1", 16) == 0 && strchr(":/", s->url[16]) != NULL && s->url[16];
    return ok ? 0 : -1;
}

int ww_send_start(ww_t *w, ww_send_t *s, const unsigned char *sealed, size_t sealed_len,
                  const unsigned char *previous, size_t previous_len)
{
    webhook_secret_t secrets[2];
    size_t n = 1;
    if (webhook_seal_open(w->key, s->endpoint, sealed, sealed_len, &secrets[0]) != 0) {
        relay_log_failure("secret", "endpoint %s: its secret does not open with --key-file", s->endpoint);
        ww_record(w, s, 0, "secret");
        ww_send_free(s);
        return -1;
    }
    /* the previous secret of a rotation: a receiver not yet switched still verifies; one that does not open is left
     * out (logged), the current one alone signs */
    if (previous_len > 0) {
        if (webhook_seal_open(w->key, s->endpoint, previous, previous_len, &secrets[1]) == 0)
            n = 2;
        else
            relay_log_failure("secret", "endpoint %s: its previous secret does not open with --key-file", s->endpoint);
    }
    int signed_ok = sign(s, secrets, n) == 0;
    for (size_t i = 0; i < n; i++)
        webhook_secret_wipe(&secrets[i]);
    s->easy = signed_ok ? curl_easy_init() : NULL;
    if (!s->easy || configure(w, s) != 0 || curl_multi_add_handle(w->multi, s->easy) != CURLM_OK) {
        ww_record(w, s, 0, "setup");
        ww_send_free(s);
        return -1;
    }
    s->next = w->sends;
    w->sends = s;
    w->in_flight++;
    return 0;
}

static const char *error_class(CURLcode code)
{
    switch (code) {
    case CURLE_OK:
        return NULL;
    case CURLE_OPERATION_TIMEDOUT:
        return "timeout";
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
        return "connect";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
        return "tls";
    case CURLE_WRITE_ERROR:
        return "response-too-large";
    default:
        return "io";
    }
}

static void unlink_send(ww_t *w, ww_send_t *s)
{
    for (ww_send_t **p = &w->sends; *p; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            break;
        }
    w->in_flight--;
}

/* The finished sends of one pass are recorded in one transaction: one commit (one fsync) for many outcomes, which is
 * what bounds the rate when the receivers answer fast (bench/webhooks.sh). A failure loses the pass's outcomes: their
 * leases lapse and they are sent again (at-least-once). */
static void record_all(ww_t *w, ww_send_t **done, const long *status, const char **error, int n)
{
    int in_tx = n > 1 && relay_pg_exec(&w->pg, "BEGIN", 0, NULL) == 0;
    for (int i = 0; i < n; i++)
        ww_record(w, done[i], status[i], error[i]);
    if (in_tx && relay_pg_exec(&w->pg, "COMMIT", 0, NULL) != 0)
        relay_pg_rollback(&w->pg);
    for (int i = 0; i < n; i++)
        ww_send_free(done[i]);
}

void ww_send_run(ww_t *w, int wait_ms)
{
    enum { DONE_MAX = 256 };
    ww_send_t *done[DONE_MAX];
    long status[DONE_MAX];
    const char *error[DONE_MAX];
    int running = 0, n = 0, left;
    curl_multi_perform(w->multi, &running);
    curl_multi_poll(w->multi, NULL, 0, wait_ms, NULL);
    curl_multi_perform(w->multi, &running);
    CURLMsg *msg;
    while (n < DONE_MAX && (msg = curl_multi_info_read(w->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        ww_send_t *s = NULL;
        long code_status = 0;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code_status);
        CURLcode code = msg->data.result;
        curl_multi_remove_handle(w->multi, msg->easy_handle);
        unlink_send(w, s);
        done[n] = s;
        status[n] = code == CURLE_OK ? code_status : 0;
        error[n++] = error_class(code);
    }
    record_all(w, done, status, error, n);
}
