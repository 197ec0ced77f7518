/* The request an upstream gets (contract in upstream.h): its URL (target, path rewrite, query), the protocol and TLS
 * of the upstream, the deadlines, and the headers — the client's, less every hop-by-hop and identity header, plus
 * cong's token, the trace context with a span of cong's own, and the deadline. */
#include <ctype.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/upstream_token.h"
#include "proxy_internal.h"

/* Headers a client sends that the upstream never gets: connection-specific ones (RFC 9110 §7.6.1), those libcurl
 * writes itself, and every one that could claim an identity (cong speaks for the caller with its own token). */
static int request_header_dropped(const char *name, size_t len)
{
    static const char *const dropped[] = {
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "host",
        "content-length", "expect", "proxy-authorization", "authorization", "cookie", "forwarded", "traceparent",
        "tracestate", "x-request-id", "x-real-ip", "http2-settings",
    };
    for (size_t i = 0; i < sizeof dropped / sizeof dropped[0]; i++)
        if (strlen(dropped[i]) == len && strncasecmp(dropped[i], name, len) == 0)
            return 1;
    static const char *const prefixes[] = {"x-cong-", "x-user-", "x-forwarded-", "x-client-"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i]);
        if (len >= n && strncasecmp(prefixes[i], name, n) == 0)
            return 1;
    }
    return name[0] == ':';
}

int cong_proxy_response_header_dropped(const char *name, size_t len)
{
    static const char *const dropped[] = {
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer",
        "content-length", "proxy-authenticate", "date", "server", "alt-svc",
    };
    for (size_t i = 0; i < sizeof dropped / sizeof dropped[0]; i++)
        if (strlen(dropped[i]) == len && strncasecmp(dropped[i], name, len) == 0)
            return 1;
    return 0;
}

static int add_header(struct curl_slist **list, const char *name, size_t name_len, const char *value, size_t len)
{
    char *line = malloc(name_len + len + 3);
    if (line == NULL)
        return CONG_ENOMEM;
    /* "name;" is libcurl's way to send a header with an empty value */
    int n = len > 0 ? sprintf(line, "%.*s: %.*s", (int)name_len, name, (int)len, value)
                    : sprintf(line, "%.*s;", (int)name_len, name);
    (void)n;
    struct curl_slist *grown = curl_slist_append(*list, line);
    free(line);
    if (grown == NULL)
        return CONG_ENOMEM;
    *list = grown;
    return 0;
}

/* Where the upstream's headers go: libcurl's list (one "name: value" line each), or the head of a request h2o's
 * HTTP/1 client writes (proxy_h1.c). */
typedef struct header_sink {
    struct curl_slist **list; /* libcurl; NULL: the head below */
    char *buf;                /* malloc'd */
    size_t len, cap;
} header_sink_t;

static int head_put(header_sink_t *s, const char *a, size_t alen, const char *b, size_t blen, const char *c,
                    size_t clen)
{
    size_t need = s->len + alen + blen + clen + 1;
    if (need > s->cap) {
        size_t cap = s->cap ? s->cap : 4096; /* a head with cong's token fits: one allocation */
        while (cap < need)
            cap *= 2;
        char *grown = realloc(s->buf, cap);
        if (grown == NULL)
            return CONG_ENOMEM;
        s->buf = grown, s->cap = cap;
    }
    memcpy(s->buf + s->len, a, alen);
    memcpy(s->buf + s->len + alen, b, blen);
    memcpy(s->buf + s->len + alen + blen, c, clen);
    s->len += alen + blen + clen;
    s->buf[s->len] = '\0';
    return 0;
}

static int sink_add(header_sink_t *s, const char *name, size_t name_len, const char *value, size_t len)
{
    if (s->list != NULL)
        return add_header(s->list, name, name_len, value, len);
    /* HTTP/2 lets a value carry bytes HTTP/1 cannot: a CR or LF would end the line and smuggle a header (or a
     * request) to the upstream. Such a header is not passed on. */
    if (memchr(value, '\r', len) || memchr(value, '\n', len) || memchr(value, '\0', len) ||
        memchr(name, '\r', name_len) || memchr(name, '\n', name_len) || memchr(name, ':', name_len))
        return 0;
    int rc = head_put(s, name, name_len, ": ", 2, value, len);
    return rc == 0 ? head_put(s, "\r\n", 2, "", 0, "", 0) : rc;
}

static int add_raw(struct curl_slist **list, const char *line)
{
    struct curl_slist *grown = curl_slist_append(*list, line);
    if (grown == NULL)
        return CONG_ENOMEM;
    *list = grown;
    return 0;
}

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Ids for the trace context: unique, not secret (W3C Trace Context asks for randomness so that ids do not collide;
 * nothing is protected by guessing them being hard). A per-thread splitmix64 seeded once from OpenSSL: RAND_bytes
 * per request cost ~5 % of the proxy's CPU (its DRBG's locking), for no property the ids need. */
static int trace_random(unsigned char *out, size_t n)
{
    static _Thread_local uint64_t state;
    static _Thread_local int seeded;
    if (!seeded) {
        if (RAND_bytes((unsigned char *)&state, sizeof state) != 1)
            return CONG_EIO;
        seeded = 1;
    }
    for (size_t i = 0; i < n; i += 8) {
        uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        memcpy(out + i, &z, n - i < 8 ? n - i : 8);
    }
    return 0;
}

/* W3C trace context: the client's trace id (or a new one) and a new span id, cong's own hop. */
static int add_traceparent(cong_req_t *r, header_sink_t *list)
{
    char trace[33], span[17], value[64];
    unsigned char raw[24];
    if (trace_random(raw, sizeof raw) != 0)
        return CONG_EIO;
    h2o_iovec_t given = cong_req_header(r, "traceparent", 11);
    if (given.base == NULL || !cong_traceparent_trace_id(given.base, given.len, trace))
        hex(raw + 8, 16, trace);
    hex(raw, 8, span);
    int n = snprintf(value, sizeof value, "00-%s-%s-01", trace, span);
    return sink_add(list, "traceparent", 11, value, (size_t)n);
}

static int add_token(cong_req_t *r, const cong_proxy_route_t *route, header_sink_t *list)
{
    if (route->identity == NULL)
        return CONG_EIO;
    const cong_upstream_config_t *u = route->upstream->config;
    const cong_principal_t *p = &r->principal;
    cong_upstream_grant_t g = {
        .partner = u->partner.name,
        .subject = p->authenticated ? p->subject : NULL,
        .actor = p->authenticated ? p->actor : NULL,
        .client_id = p->authenticated ? p->client_id : NULL,
        .scopes = p->authenticated ? p->scopes : NULL,
        .granted = (const char *const *)u->partner.scopes.items,
        .granted_count = u->partner.scopes.count,
        .loa = p->authenticated ? p->loa : 0,
    };
    /* reused for part of its lifetime (auth/upstream_token.h): the signature is the largest cost of a request here */
    cong_upstream_token_cache_t *cache = cong_proxy_token_cache(r->worker->index);
    char *minted = NULL;
    const char *token = NULL;
    int rc = cache != NULL ? cong_upstream_token_cached(cache, route->identity, &g,
                                                        p->authenticated ? p->session_id : NULL, (int64_t)time(NULL),
                                                        &token)
                           : cong_upstream_token_issue(route->identity, &g, (int64_t)time(NULL), &minted);
    if (minted != NULL)
        token = minted;
    if (rc != 0)
        return rc;
    if (list->list == NULL) { /* the head: no copy of the token on the way */
        rc = head_put(list, "authorization: Bearer ", 22, token, strlen(token), "\r\n", 2);
        free(minted);
        return rc;
    }
    size_t cap = strlen(token) + 32;
    char *value = malloc(cap);
    int n = value != NULL ? snprintf(value, cap, "Bearer %s", token) : 0;
    free(minted);
    rc = value != NULL ? sink_add(list, "Authorization", 13, value, (size_t)n) : CONG_ENOMEM;
    free(value);
    return rc;
}

static int add_headers(cong_req_t *r, const cong_proxy_route_t *route, int64_t remaining_ms, header_sink_t *list)
{
    const h2o_headers_t *headers = &r->h2o->headers;
    int has_type = 0, rc = 0;
    for (size_t i = 0; rc == 0 && i < headers->size; i++) {
        const h2o_header_t *h = &headers->entries[i];
        if (request_header_dropped(h->name->base, h->name->len))
            continue;
        has_type |= h->name->len == 12 && strncasecmp(h->name->base, "content-type", 12) == 0;
        rc = sink_add(list, h->name->base, h->name->len, h->value.base, h->value.len);
    }
    char deadline[24];
    size_t n = cong_upstream_deadline_header(remaining_ms, deadline, sizeof deadline);
    if (rc == 0)
        rc = sink_add(list, CONG_UPSTREAM_DEADLINE_HEADER, strlen(CONG_UPSTREAM_DEADLINE_HEADER), deadline, n);
    if (rc == 0)
        rc = sink_add(list, "x-request-id", 12, r->id, strlen(r->id));
    if (rc == 0 && !has_type && list->list != NULL) /* else libcurl would call a POST body a form */
        rc = add_raw(list->list, "Content-Type:");
    if (rc == 0 && list->list != NULL) /* the body goes at once: no 100-continue round trip */
        rc = add_raw(list->list, "Expect:");
    if (rc == 0)
        rc = add_traceparent(r, list);
    if (rc == 0)
        rc = add_token(r, route, list);
    return rc;
}

/* Appends `len` bytes to the URL being built, percent-encoding all but RFC 3986's unreserved characters when asked. */
static int url_put(char *url, size_t cap, size_t *at, const char *s, size_t len, int encode)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        /* as written, but never a control, a space or a byte over 0x7e: they would end or split the request line */
        int keep = encode ? isalnum(c) || (c != 0 && strchr("-._~", c) != NULL) : c > 0x20 && c < 0x7f;
        if (*at + (keep ? 1 : 3) >= cap)
            return CONG_ETOOBIG;
        if (keep) {
            url[(*at)++] = (char)c;
        } else {
            url[(*at)++] = '%';
            url[(*at)++] = digits[c >> 4];
            url[(*at)++] = digits[c & 15];
        }
    }
    url[*at] = '\0';
    return 0;
}

/* The path the upstream gets: the rest after /v1/partners/<partner> as the client wrote it, or the route's rewrite
 * template with its {param}s (decoded values, encoded again). */
static int put_path(cong_req_t *r, const cong_proxy_route_t *route, char *url, size_t cap, size_t *at)
{
    const char *rewrite = route->config->rewrite;
    if (rewrite == NULL || rewrite[0] == '\0') {
        h2o_iovec_t path = cong_req_path(r);
        size_t prefix = strlen("/v1/partners/") + strlen(route->upstream->config->partner.name);
        size_t rest = path.len > prefix ? path.len - prefix : 0;
        return rest > 0 ? url_put(url, cap, at, path.base + prefix, rest, 0) : url_put(url, cap, at, "/", 1, 0);
    }
    for (const char *p = rewrite; *p;) {
        const char *open = strchr(p, '{');
        const char *close = open ? strchr(open, '}') : NULL;
        if (open == NULL || close == NULL)
            return url_put(url, cap, at, p, strlen(p), 0);
        int rc = url_put(url, cap, at, p, (size_t)(open - p), 0);
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(close - open - 1), open + 1);
        size_t len = 0;
        const char *value = cong_route_param(&r->lookup->match, name, &len);
        if (rc == 0)
            rc = url_put(url, cap, at, value ? value : "", value ? len : 0, 1);
        if (rc != 0)
            return rc;
        p = close + 1;
    }
    return 0;
}

int cong_proxy_target_origin(const cong_upstream_config_t *u, int target, char *url, size_t cap)
{
    const cong_upstream_target_config_t *t = &u->targets[target];
    int tls = u->protocol == CONG_UPSTREAM_H2 || (u->protocol == CONG_UPSTREAM_HTTP1 && u->tls.line != 0);
    const char *host = u->tls.server_name && u->tls.server_name[0] ? u->tls.server_name : t->host;
    int v6 = strchr(host, ':') != NULL;
    int n = snprintf(url, cap, "%s://%s%s%s:%d", tls ? "https" : "http", v6 ? "[" : "", host, v6 ? "]" : "",
                     t->port);
    return n < 0 || (size_t)n >= cap ? CONG_ETOOBIG : n;
}

/* The path and query the upstream gets, appended at url + *at. */
static int put_target(cong_req_t *r, const cong_proxy_route_t *route, char *url, size_t cap, size_t *at)
{
    int rc = put_path(r, route, url, cap, at);
    h2o_req_t *req = r->h2o;
    if (rc == 0 && req->query_at != SIZE_MAX)
        rc = url_put(url, cap, at, req->path.base + req->query_at, req->path.len - req->query_at, 0);
    return rc;
}

static int build_url(cong_req_t *r, const cong_proxy_route_t *route, int target, char *url, size_t cap)
{
    int n = cong_proxy_target_origin(route->upstream->config, target, url, cap);
    if (n < 0)
        return n;
    size_t at = (size_t)n;
    return put_target(r, route, url, cap, &at);
}

void cong_proxy_target_setup(const cong_upstream_config_t *u, int target, CURL *easy, struct curl_slist **connect_to)
{
    const cong_upstream_target_config_t *t = &u->targets[target];
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)u->limits.connect_timeout_ms);
    long version = u->protocol == CONG_UPSTREAM_H2 ? CURL_HTTP_VERSION_2TLS
                 : u->protocol == CONG_UPSTREAM_H2C ? CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE : CURL_HTTP_VERSION_1_1;
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, version);
    curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L); /* h2: wait for a connection under way rather than open another */
    if (u->protocol == CONG_UPSTREAM_H2C) { /* libcurl 7.88 fails a request on a reused prior-knowledge h2c
                                               connection without sending it (curl#10643, fixed in 8.0): one
                                               connection each. Multiplexing does not avoid it: the multi interface
                                               reuses the same way (Debian 12's curl CLI, itself on a multi handle,
                                               sends the second request of `--http2-prior-knowledge URL URL` never
                                               and fails it with CURLE_HTTP2) */
        curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
    }
    if (u->tls.ca_file && u->tls.ca_file[0])
        curl_easy_setopt(easy, CURLOPT_CAINFO, u->tls.ca_file);
    if (u->tls.client_cert_file && u->tls.client_cert_file[0]) {
        curl_easy_setopt(easy, CURLOPT_SSLCERT, u->tls.client_cert_file);
        curl_easy_setopt(easy, CURLOPT_SSLKEY, u->tls.client_key_file);
    }
    if (u->tls.server_name && u->tls.server_name[0]) { /* the name to verify; the target's address to connect to */
        char line[600];
        snprintf(line, sizeof line, "%s:%d:%s:%d", u->tls.server_name, t->port, t->host, t->port);
        *connect_to = curl_slist_append(NULL, line);
        curl_easy_setopt(easy, CURLOPT_CONNECT_TO, *connect_to);
    }
}

static void set_method(cong_req_t *r, CURL *easy)
{
    h2o_req_t *req = r->h2o;
    h2o_iovec_t m = req->method;
    if (h2o_memis(m.base, m.len, H2O_STRLIT("HEAD"))) {
        curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
        return;
    }
    if (req->cong_body.streaming) { /* read as it arrives (proxy_body.c); chunked over HTTP/1.1 when not declared */
        curl_easy_setopt(easy, CURLOPT_POST, 1L);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, req->cong_body.content_length == SIZE_MAX
                                                                ? (curl_off_t)-1 : (curl_off_t)req->cong_body.content_length);
    } else if (!h2o_memis(m.base, m.len, H2O_STRLIT("GET")) || req->entity.base != NULL) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->entity.len);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req->entity.base != NULL ? req->entity.base : "");
    }
    char method[16];
    snprintf(method, sizeof method, "%.*s", (int)m.len, m.base);
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method); /* libcurl copies it */
}

int cong_proxy_request_setup(cong_req_t *r, const cong_proxy_route_t *route, int target, int64_t remaining_ms,
                             CURL *easy, struct curl_slist **headers, struct curl_slist **connect_to)
{
    const cong_upstream_config_t *u = route->upstream->config;
    char url[4096];
    int rc = build_url(r, route, target, url, sizeof url);
    header_sink_t sink = {.list = headers};
    if (rc == 0)
        rc = add_headers(r, route, remaining_ms, &sink);
    if (rc != 0)
        return rc;
    cong_proxy_target_setup(u, target, easy, connect_to);
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, *headers);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)remaining_ms);
    set_method(r, easy);
    return 0;
}

/* The body goes with a content-length as libcurl sends it (proxy.c's other transport): always but for a GET without
 * a body and a HEAD. */
static int has_body(const h2o_req_t *req)
{
    if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD")))
        return 0;
    return !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) || req->entity.base != NULL;
}

int cong_proxy_request_head(cong_req_t *r, const cong_proxy_route_t *route, int target, int64_t remaining_ms,
                            char **request, size_t *len)
{
    const cong_upstream_config_t *u = route->upstream->config;
    const cong_upstream_target_config_t *t = &u->targets[target];
    h2o_req_t *req = r->h2o;
    char path[4096], host[600], length[24] = "";
    size_t at = 0;
    int rc = put_target(r, route, path, sizeof path, &at);
    int v6 = strchr(t->host, ':') != NULL;
    int n = snprintf(host, sizeof host, "%s%s%s:%d", v6 ? "[" : "", t->host, v6 ? "]" : "", t->port);
    if (rc == 0 && (n < 0 || (size_t)n >= sizeof host))
        rc = CONG_ETOOBIG;
    header_sink_t s = {0};
    if (rc == 0)
        rc = head_put(&s, req->method.base, req->method.len, " ", 1, path, at);
    if (rc == 0)
        rc = head_put(&s, " HTTP/1.1\r\n", 11, "", 0, "", 0);
    if (rc == 0)
        rc = sink_add(&s, "host", 4, host, (size_t)n);
    if (rc == 0 && has_body(req)) {
        int k = snprintf(length, sizeof length, "%zu", req->entity.len);
        rc = sink_add(&s, "content-length", 14, length, (size_t)k);
    }
    if (rc == 0)
        rc = add_headers(r, route, remaining_ms, &s);
    if (rc == 0)
        rc = head_put(&s, "\r\n", 2, "", 0, "", 0);
    if (rc != 0) {
        free(s.buf);
        return rc;
    }
    *request = s.buf;
    *len = s.len;
    return 0;
}
