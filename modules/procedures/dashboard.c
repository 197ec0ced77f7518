/*
 * modules/procedures/dashboard.c — the public KPI dashboard: three static files served from memory.
 *
 *   GET /dashboard                 getDashboard        index.html
 *   GET /dashboard/dashboard.js    getDashboardScript  dashboard.js
 *   GET /dashboard/dashboard.css   getDashboardStyle   dashboard.css
 *
 * The files are read once, at load, from procedures_config.dashboard_dir; a missing or unreadable one fails the
 * module's load (logged with its path). Each answer carries a strong ETag (FNV-1a 64 of the content) and
 * "Cache-Control: no-cache", so browsers revalidate and get 304 Not Modified when their If-None-Match matches.
 * The Content-Security-Policy allows scripts, styles and fetches from this origin only and nothing inline: the page's
 * script lives in dashboard.js and draws its chart through the DOM.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procedures.h"

#define api procedures_api /* the gateway's table (procedures.h), under its usual short name */
#define DASHBOARD_MAX_FILE_BYTES (1024 * 1024)

static const char CSP[] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                          "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                          "frame-ancestors 'none'";

typedef struct static_file {
    const char *name;         /* file name in dashboard_dir */
    const char *path;         /* route */
    const char *operation_id;
    const char *content_type;
    char *body;               /* read at load; kept for the process lifetime */
    size_t len;
    char etag[24];            /* "\"<16 hex digits>\"" */
} static_file_t;

static static_file_t files[] = {
    {"index.html", "/dashboard", "getDashboard", "text/html; charset=utf-8", NULL, 0, ""},
    {"dashboard.js", "/dashboard/dashboard.js", "getDashboardScript", "text/javascript; charset=utf-8", NULL, 0, ""},
    {"dashboard.css", "/dashboard/dashboard.css", "getDashboardStyle", "text/css; charset=utf-8", NULL, 0, ""},
};

static uint64_t fnv1a64(const char *data, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)data[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Reads dir/name whole into a malloc'd buffer. 0, or a negative CONG_E* (logged). */
static int read_file(const char *dir, const char *name, char **body, size_t *len)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
        api->log(CONG_LOG_ERROR, PROCEDURES_MODULE, "dashboard: path too long: %s/%s", dir, name);
        return CONG_EINVAL;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        api->log(CONG_LOG_ERROR, PROCEDURES_MODULE, "dashboard: cannot open %s (set modules.procedures.dashboard_dir)",
                 path);
        return CONG_ENOTFOUND;
    }
    char *buf = malloc(DASHBOARD_MAX_FILE_BYTES + 1);
    if (buf == NULL) {
        fclose(f);
        return CONG_ENOMEM;
    }
    size_t n = fread(buf, 1, DASHBOARD_MAX_FILE_BYTES + 1, f);
    int read_error = ferror(f);
    fclose(f);
    if (read_error || n == 0 || n > DASHBOARD_MAX_FILE_BYTES) {
        api->log(CONG_LOG_ERROR, PROCEDURES_MODULE, "dashboard: cannot read %s (%s)", path,
                 read_error ? "read error" : n == 0 ? "empty" : "over 1 MiB");
        free(buf);
        return CONG_EIO;
    }
    *body = buf;
    *len = n;
    return 0;
}

/* Does an If-None-Match value ("*", or a comma-separated list of entity tags, weak or strong) match `etag`?
 * Weak comparison, as RFC 9110 asks for If-None-Match: a W/ prefix is ignored. */
static int etag_matches(const char *value, size_t len, const char *etag)
{
    size_t etag_len = strlen(etag), i = 0;
    while (i < len) {
        while (i < len && (value[i] == ' ' || value[i] == '\t' || value[i] == ','))
            i++;
        size_t start = i;
        while (i < len && value[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (value[end - 1] == ' ' || value[end - 1] == '\t'))
            end--;
        if (end - start >= 2 && value[start] == 'W' && value[start + 1] == '/')
            start += 2;
        if ((end - start == 1 && value[start] == '*') ||
            (end - start == etag_len && memcmp(value + start, etag, etag_len) == 0))
            return 1;
    }
    return 0;
}

static void serve(cong_req_t *req, void *udata)
{
    const static_file_t *file = udata;
    api->reply_header(req, "etag", file->etag);
    api->reply_header(req, "cache-control", "no-cache");
    api->reply_header(req, "content-security-policy", CSP);
    size_t len = 0;
    const char *inm = api->req_header(req, "if-none-match", &len);
    if (inm != NULL && etag_matches(inm, len, file->etag)) {
        api->reply_text(req, 304, NULL, NULL, 0);
        return;
    }
    api->reply_text(req, 200, file->content_type, file->body, file->len);
}

int procedures_dashboard_register(cong_module_ctx_t *ctx)
{
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        static_file_t *f = &files[i];
        free(f->body); /* a second load in the same process reads the files again */
        f->body = NULL;
        int rc = read_file(procedures_config.dashboard_dir, f->name, &f->body, &f->len);
        if (rc != 0)
            return rc;
        snprintf(f->etag, sizeof f->etag, "\"%016llx\"", (unsigned long long)fnv1a64(f->body, f->len));
        cong_route_def_t def = {.size = sizeof def, .method = "GET", .path = f->path, .handler = serve, .udata = f,
                                .auth = CONG_AUTH_NONE, .min_loa = 0, .rate_limit_class = "default",
                                .operation_id = f->operation_id};
        rc = api->register_route(ctx, &def);
        if (rc != 0)
            return rc;
    }
    return 0;
}
