/* tools/payment_standin/ipn.c — IPN deliveries on their own threads, and their attempt log (see ipn.h). */
#include "ipn.h"

#include "vnp_sign.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BODY_MAX 4096

typedef struct attempt {
    char time[VNP_DATE_LEN + 1];
    char *txn_ref, *mode;
    long delivery;
    int attempt, http_status, done;
    char rsp_code[16], message[256], error[256];
} attempt_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* guards everything below */
static attempt_t log_entries[PAY_IPN_LOG_MAX];           /* a ring: the oldest is overwritten */
static size_t log_next, log_count;
static long deliveries;
static int running;

typedef struct job {
    char *url, *txn_ref, *mode;
    long id;
    int delay_ms, retry_ms, max_attempts;
} job_t;

typedef struct body {
    char data[BODY_MAX + 1];
    size_t len;
} body_t;

int pay_ipn_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static void record(const job_t *job, int number, const attempt_t *a)
{
    pthread_mutex_lock(&lock);
    attempt_t *e = &log_entries[log_next];
    free(e->txn_ref);
    free(e->mode);
    *e = *a;
    e->txn_ref = strdup(job->txn_ref);
    e->mode = strdup(job->mode);
    e->delivery = job->id;
    e->attempt = number;
    vnp_format_date((long long)time(NULL), e->time);
    log_next = (log_next + 1) % PAY_IPN_LOG_MAX;
    if (log_count < PAY_IPN_LOG_MAX)
        log_count++;
    pthread_mutex_unlock(&lock);
    fprintf(stderr, "payment-standin: IPN delivery %ld attempt %d: HTTP %d, RspCode %s%s%s\n", job->id, number,
            a->http_status, a->rsp_code[0] ? a->rsp_code : "-", a->error[0] ? ", " : "", a->error);
}

static size_t on_body(char *data, size_t size, size_t n, void *p)
{
    body_t *b = p;
    size_t len = size * n, room = BODY_MAX - b->len;
    memcpy(b->data + b->len, data, len < room ? len : room);
    b->len += len < room ? len : room;
    return len; /* the rest of a long body is read and dropped */
}

/* Reads {"RspCode","Message"}; done when the merchant answered 200 with RspCode 00 or 02. */
static void read_answer(attempt_t *a, body_t *body)
{
    body->data[body->len] = '\0';
    json_t *json = json_loadb(body->data, body->len, 0, NULL);
    const char *code = json_string_value(json_object_get(json, "RspCode"));
    const char *message = json_string_value(json_object_get(json, "Message"));
    if (code)
        snprintf(a->rsp_code, sizeof a->rsp_code, "%s", code);
    if (message)
        snprintf(a->message, sizeof a->message, "%s", message);
    if (!json_is_object(json) || !code)
        snprintf(a->error, sizeof a->error, "the answer is not JSON with a string RspCode");
    a->done = a->http_status == 200 && code && (strcmp(code, "00") == 0 || strcmp(code, "02") == 0);
    json_decref(json); /* code points into it */
}

static void attempt_once(const job_t *job, attempt_t *a)
{
    body_t body = {.len = 0};
    CURL *curl = curl_easy_init();
    if (!curl) {
        snprintf(a->error, sizeof a->error, "curl_easy_init failed");
        return;
    }
    curl_easy_setopt(curl, CURLOPT_URL, job->url);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)PAY_IPN_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "payment-standin (VNPay IPN)");
    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
        snprintf(a->error, sizeof a->error, "%s", curl_easy_strerror(rc));
    } else {
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        a->http_status = (int)status;
        read_answer(a, &body);
    }
    curl_easy_cleanup(curl);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void free_job(job_t *job)
{
    free(job->url);
    free(job->txn_ref);
    free(job->mode);
    free(job);
}

static void *deliver(void *p)
{
    job_t *job = p;
    if (job->delay_ms > 0)
        sleep_ms(job->delay_ms);
    for (int n = 1; n <= job->max_attempts; n++) {
        attempt_t a = {.http_status = 0};
        attempt_once(job, &a);
        record(job, n, &a);
        if (a.done)
            break;
        if (n < job->max_attempts)
            sleep_ms(job->retry_ms);
    }
    free_job(job);
    pthread_mutex_lock(&lock);
    running--;
    pthread_mutex_unlock(&lock);
    return NULL;
}

static job_t *make_job(const pay_ipn_delivery_t *d)
{
    job_t *job = calloc(1, sizeof *job);
    standin_buf_t url = {0};
    standin_buf_add(&url, d->ipn_url);
    standin_buf_add(&url, strchr(d->ipn_url, '?') ? "&" : "?");
    standin_buf_add(&url, d->query);
    if (url.failed)
        standin_buf_free(&url);
    if (job) {
        job->url = url.data;
        job->txn_ref = strdup(d->txn_ref);
        job->mode = strdup(d->mode);
        job->delay_ms = d->delay_ms;
        job->retry_ms = d->retry_ms;
        job->max_attempts = d->max_attempts;
    }
    if (!job || !job->url || !job->txn_ref || !job->mode) {
        if (job)
            free_job(job);
        else
            standin_buf_free(&url);
        return NULL;
    }
    return job;
}

int pay_ipn_send(const pay_ipn_delivery_t *d)
{
    job_t *job = make_job(d);
    pthread_mutex_lock(&lock);
    long id = ++deliveries;
    int room = running < PAY_IPN_MAX_DELIVERIES;
    if (room && job)
        running++;
    pthread_mutex_unlock(&lock);
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int started = 0;
    if (job && room) {
        job->id = id;
        started = pthread_create(&thread, &attr, deliver, job) == 0;
    }
    pthread_attr_destroy(&attr);
    if (started)
        return 0;
    if (job && room) {
        pthread_mutex_lock(&lock);
        running--;
        pthread_mutex_unlock(&lock);
    }
    job_t dropped = {.txn_ref = (char *)d->txn_ref, .mode = (char *)d->mode, .id = id};
    attempt_t a = {.http_status = 0};
    snprintf(a.error, sizeof a.error, "dropped: %s", !job ? "out of memory" : "too many deliveries at once");
    record(&dropped, 0, &a);
    if (job)
        free_job(job);
    return -1;
}

json_t *pay_ipn_log(const char *txn_ref)
{
    json_t *list = json_array();
    pthread_mutex_lock(&lock);
    size_t first = (log_next + PAY_IPN_LOG_MAX - log_count) % PAY_IPN_LOG_MAX;
    for (size_t k = 0; list && k < log_count; k++) {
        const attempt_t *e = &log_entries[(first + k) % PAY_IPN_LOG_MAX];
        if (txn_ref && (!e->txn_ref || strcmp(e->txn_ref, txn_ref) != 0))
            continue;
        json_array_append_new(list, json_pack("{s:s, s:s?, s:I, s:i, s:s?, s:i, s:s, s:s, s:s, s:b}", "time", e->time,
                                              "txn_ref", e->txn_ref, "delivery", (json_int_t)e->delivery, "attempt",
                                              e->attempt, "mode", e->mode, "http_status", e->http_status, "rsp_code",
                                              e->rsp_code, "message", e->message, "error", e->error, "done", e->done));
    }
    pthread_mutex_unlock(&lock);
    return list;
}
