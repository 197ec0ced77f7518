/* modules/procedures/portal_sync/portal_client.c — one version to the portal over libcurl (see portal_sync.h). */
#include "portal_sync.h"

#include "cong/errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names of the transport failures worth telling apart in last_error; others are "curl error <n>". */
static const char *curl_code_name(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_CONNECT: return "CURLE_COULDNT_CONNECT";
    case CURLE_COULDNT_RESOLVE_HOST: return "CURLE_COULDNT_RESOLVE_HOST";
    case CURLE_OPERATION_TIMEDOUT: return "CURLE_OPERATION_TIMEDOUT";
    case CURLE_GOT_NOTHING: return "CURLE_GOT_NOTHING";
    case CURLE_SEND_ERROR: return "CURLE_SEND_ERROR";
    case CURLE_RECV_ERROR: return "CURLE_RECV_ERROR";
    case CURLE_SSL_CONNECT_ERROR: return "CURLE_SSL_CONNECT_ERROR";
    case CURLE_PEER_FAILED_VERIFICATION: return "CURLE_PEER_FAILED_VERIFICATION";
    case CURLE_HTTP2: return "CURLE_HTTP2";
    case CURLE_URL_MALFORMAT: return "CURLE_URL_MALFORMAT";
    default: return NULL;
    }
}

/* The answer's body is not needed: read and dropped. */
static size_t discard(char *data, size_t size, size_t n, void *udata)
{
    (void)data;
    (void)udata;
    return size * n;
}

int psync_portal_open(psync_portal_t *p, const char *base_url, const char *token, int timeout_ms)
{
    *p = (psync_portal_t){.base_url = base_url, .timeout_ms = timeout_ms};
    size_t cap = strlen(token) + 32;
    char *auth = malloc(cap);
    p->curl = curl_easy_init();
    if (!auth || !p->curl) {
        free(auth);
        psync_portal_close(p);
        return CONG_ENOMEM;
    }
    snprintf(auth, cap, "Authorization: Bearer %s", token);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    struct curl_slist *h2 = h ? curl_slist_append(h, "Content-Type: application/json") : NULL;
    struct curl_slist *h3 = h2 ? curl_slist_append(h2, "Expect:") : NULL; /* no 100-continue round trip */
    explicit_bzero(auth, cap);
    free(auth);
    if (!h3) {
        curl_slist_free_all(h);
        psync_portal_close(p);
        return CONG_ENOMEM;
    }
    p->headers = h3;
    return CONG_OK;
}

void psync_portal_close(psync_portal_t *p)
{
    for (struct curl_slist *h = p->headers; h; h = h->next)
        explicit_bzero(h->data, strlen(h->data));
    curl_slist_free_all(p->headers);
    if (p->curl)
        curl_easy_cleanup(p->curl);
    *p = (psync_portal_t){0};
}

int psync_portal_put(psync_portal_t *p, const char *code, int version, const char *payload, size_t len,
                     int *http_status, char reason[PSYNC_REASON_MAX])
{
    *http_status = 0;
    reason[0] = '\0';
    char *escaped = curl_easy_escape(p->curl, code, 0);
    if (!escaped) {
        snprintf(reason, PSYNC_REASON_MAX, "out of memory");
        return CONG_ENOMEM;
    }
    char url[2048];
    int n = snprintf(url, sizeof url, "%s/api/v1/dossiers/%s/versions/%d", p->base_url, escaped, version);
    curl_free(escaped);
    if (n < 0 || (size_t)n >= sizeof url) {
        snprintf(reason, PSYNC_REASON_MAX, "url too long");
        return CONG_EINVAL;
    }
    CURL *c = p->curl;
    curl_easy_reset(c); /* keeps the connection cache: the next version reuses the connection */
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, p->headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)p->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)p->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        const char *name = curl_code_name(rc);
        if (name)
            snprintf(reason, PSYNC_REASON_MAX, "curl %s", name);
        else
            snprintf(reason, PSYNC_REASON_MAX, "curl error %d", (int)rc);
        return CONG_EIO;
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    *http_status = (int)status;
    if (status >= 200 && status < 300)
        return CONG_OK;
    snprintf(reason, PSYNC_REASON_MAX, "http %ld", status);
    return CONG_EIO;
}
