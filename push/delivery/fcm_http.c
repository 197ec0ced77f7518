/*
 * push/delivery/fcm_http.c — libcurl settings and answer buffers for the FCM adapter (contract in fcm_http.h).
 */
#include "fcm_http.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cong/errors.h"
#include "fcm_answer.h"

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_result;

static void global_init(void)
{
    global_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int fcm_http_global_init(void)
{
    pthread_once(&global_once, global_init);
    return global_result == CURLE_OK ? 0 : CONG_ENOMEM;
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    fcm_answer_buf_t *buf = userp;
    size_t len = size * n, room = FCM_ANSWER_MAX - buf->len;
    size_t take = len < room ? len : room;
    if (take > 0) {
        char *grown = realloc(buf->body, buf->len + take + 1);
        if (grown == NULL)
            return 0; /* libcurl fails the transfer: no answer */
        memcpy(grown + buf->len, data, take);
        buf->body = grown;
        buf->len += take;
        buf->body[buf->len] = '\0';
    }
    return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
    fcm_answer_buf_t *buf = userp;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0)
        buf->retry_after_s = fcm_retry_after_parse(data + sizeof name - 1, len - (sizeof name - 1));
    return len;
}

void fcm_http_setup(CURL *e, const fcm_transport_t *t, const char *url, long timeout_ms, fcm_answer_buf_t *buf)
{
    *buf = (fcm_answer_buf_t){.retry_after_s = -1};
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROXY, ""); /* never a proxy from the environment */
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "cong-push");
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 1L);
    long connect_ms = t->connect_timeout_ms > 0 && t->connect_timeout_ms < timeout_ms ? t->connect_timeout_ms
                                                                                       : timeout_ms;
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_ms > 0 ? connect_ms : 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (t->ca_file != NULL)
        curl_easy_setopt(e, CURLOPT_CAINFO, t->ca_file);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, buf);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, buf);
}

void fcm_answer_buf_free(fcm_answer_buf_t *buf)
{
    free(buf->body);
    *buf = (fcm_answer_buf_t){.retry_after_s = -1};
}

int fcm_url_is_loopback(const char *url)
{
    static const char *const hosts[] = {"127.0.0.1", "[::1]", "localhost"};
    const char *rest = strncasecmp(url, "http://", 7) == 0 ? url + 7
                       : strncasecmp(url, "https://", 8) == 0 ? url + 8
                                                               : NULL;
    for (size_t i = 0; rest != NULL && i < sizeof hosts / sizeof hosts[0]; i++) {
        size_t n = strlen(hosts[i]);
        if (strncasecmp(rest, hosts[i], n) == 0 && (rest[n] == '\0' || rest[n] == ':' || rest[n] == '/'))
            return 1;
    }
    return 0;
}

int fcm_url_allowed(const char *url)
{
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p == 0x7f)
            return 0;
    return strncasecmp(url, "https://", 8) == 0 || (strncasecmp(url, "http://", 7) == 0 && fcm_url_is_loopback(url));
}
