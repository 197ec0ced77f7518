#include "access_log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "route.h"

/* Copies an HTTP token (method) keeping only visible ASCII that needs no JSON escaping. */
static void copy_token(char *out, size_t cap, const char *in, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        unsigned char c = (unsigned char)in[i];
        out[n++] = (c > 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char)c : '?';
    }
    out[n] = '\0';
}

void cong_access_log_write(int fd, const cong_req_t *r, int status, size_t bytes, uint64_t duration_us)
{
    if (fd < 0)
        return;
    char method[24] = "", line[1024], when[64];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
    const char *proto = "";
    if (r->h2o != NULL) {
        copy_token(method, sizeof method, r->h2o->input.method.base, r->h2o->input.method.len);
        proto = r->h2o->version >= 0x200 ? "h2" : "http/1.1";
    }
    const char *route = r->route != NULL ? r->route->path : "";
    const char *module = r->route != NULL ? r->route->module_name : "";
    int n = snprintf(line, sizeof line,
                     "{\"time\":\"%s\",\"id\":\"%s\",\"method\":\"%s\",\"route\":\"%s\",\"status\":%d,\"bytes\":%zu,"
                     "\"duration_us\":%llu,\"module\":\"%s\",\"subject\":\"%s\",\"proto\":\"%s\"}\n",
                     when, r->id, method, route, status, bytes, (unsigned long long)duration_us, module,
                     r->subject_hash, proto);
    if (n > 0 && (size_t)n < sizeof line && r->upstream.name != NULL) { /* before the closing brace */
        int v6 = strchr(r->upstream.host, ':') != NULL, more = snprintf(line + n - 2, sizeof line - (size_t)n + 2,
            ",\"upstream\":\"%s\",\"upstream_target\":\"%s%s%s:%d\",\"upstream_status\":%d,\"upstream_ms\":%u}\n",
            r->upstream.name, v6 ? "[" : "", r->upstream.host, v6 ? "]" : "", r->upstream.port, r->upstream.status,
            r->upstream.ms);
        n = more > 0 && (size_t)more < sizeof line - (size_t)n + 2 ? n - 2 + more : -1;
    }
    if (n > 0 && (size_t)n < sizeof line) {
        ssize_t w = write(fd, line, (size_t)n);
        (void)w;
    }
}

static void on_request_end(cong_req_t *r, const cong_request_outcome_t *outcome, void *udata)
{
    (void)udata;
    cong_access_log_write(r->worker->gateway->access_log_fd, r, outcome->status, outcome->bytes, outcome->duration_us);
}

const cong_request_hook_t cong_access_log_hook = {.name = "access log", .on_end = on_request_end};
