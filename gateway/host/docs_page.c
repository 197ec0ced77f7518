/* The API documentation page and Redoc's bundle, served from memory (contract in docs_page.h). */
#include "docs_page.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/common.h"
#include "gateway/config/config.h"
#include "gateway/http/http.h"

#define DOCS_MAX_BUNDLE_BYTES (16 * 1024 * 1024)
#define DOCS_RETRY_AFTER "300" /* a missing bundle comes back with a deployment, not in seconds */

/* Redoc's standalone bundle runs its script from this origin only, but it writes its styles as <style> elements
 * (styled-components: 'unsafe-inline' for styles, never for scripts) and runs its search index in a Worker made from
 * a blob: URL. Everything else — the document, the bundle — comes from this gateway; nothing may be framed, posted
 * or loaded from elsewhere. */
static const char PAGE_CSP[] = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src blob:; "
                               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/* The page: Redoc finds the <redoc> element and renders spec-url into it. No inline script, no inline style. */
static const char PAGE_FORMAT[] =
    "<!doctype html>\n"
    "<html lang=\"vi\">\n"
    "<head>\n"
    "  <meta charset=\"utf-8\">\n"
    "  <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "  <title>cong — Tài liệu API / API documentation</title>\n"
    "  <link rel=\"icon\" href=\"data:,\">\n"
    "</head>\n"
    "<body>\n"
    "  <noscript>Trang này cần JavaScript; tài liệu API ở <a href=\"/openapi.json\">/openapi.json</a>. /\n"
    "    This page needs JavaScript; the API description is at <a href=\"/openapi.json\">/openapi.json</a>.\n"
    "  </noscript>\n"
    "  <redoc spec-url=\"/openapi.json\" expand-responses=\"200,201\" hide-hostname></redoc>\n"
    "  <script src=\"/docs/redoc.standalone.js?v=%s\"></script>\n"
    "</body>\n"
    "</html>\n";

struct cong_docs {
    char *bundle; /* NULL: the bundle could not be read at start */
    size_t bundle_len;
    char *page;
    size_t page_len;
    char bundle_etag[24]; /* "\"<16 hex>\"" */
    char page_etag[24];
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

/* The bundle whole, or NULL after a log line naming the path and the key that sets it. */
static char *read_bundle(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (f == NULL || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
        st.st_size > DOCS_MAX_BUNDLE_BYTES) {
        cong_log(CONG_LOG_ERROR, "docs",
                 "cannot read the /docs renderer %s (server.docs_bundle_file; scripts/deps.sh installs it): "
                 "/docs answers 503",
                 path);
        if (f != NULL)
            fclose(f);
        return NULL;
    }
    char *buf = malloc((size_t)st.st_size);
    if (buf == NULL || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        cong_log(CONG_LOG_ERROR, "docs", "cannot read the /docs renderer %s (%s): /docs answers 503", path,
                 buf == NULL ? "out of memory" : "read error");
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)st.st_size;
    return buf;
}

/* Redoc 2.5 draws Redocly's logo in its side menu from a CDN, unconditionally (no option turns it off). The page's
 * CSP would block it, but as a violation and a console error on every load: the one reference is pointed at an empty
 * data: image instead, which Redoc's own onError hides. A bundle without it (another version) is served as it is. */
static void drop_remote_logo(char *bundle, size_t *len)
{
    static const char remote[] = "\"https://cdn.redoc.ly/redoc/logo-mini.svg\"", local[] = "\"data:,\"";
    char *at = memmem(bundle, *len, remote, sizeof remote - 1);
    if (at == NULL)
        return;
    size_t tail = *len - (size_t)(at - bundle) - (sizeof remote - 1);
    memcpy(at, local, sizeof local - 1);
    memmove(at + sizeof local - 1, at + sizeof remote - 1, tail);
    *len -= sizeof remote - sizeof local;
}

int cong_docs_load(cong_gateway_t *gw)
{
    const cong_config_t *c = gw->config;
    if (!c->server.docs_enabled)
        return 0;
    cong_docs_t *d = calloc(1, sizeof *d);
    if (d == NULL)
        return CONG_ENOMEM;
    gw->docs = d;
    d->bundle = read_bundle(c->server.docs_bundle_file, &d->bundle_len);
    if (d->bundle == NULL)
        return 0;
    drop_remote_logo(d->bundle, &d->bundle_len);
    char version[17];
    snprintf(version, sizeof version, "%016llx", (unsigned long long)fnv1a64(d->bundle, d->bundle_len));
    snprintf(d->bundle_etag, sizeof d->bundle_etag, "\"%s\"", version);
    int n = snprintf(NULL, 0, PAGE_FORMAT, version);
    if (n < 0 || (d->page = malloc((size_t)n + 1)) == NULL)
        return CONG_ENOMEM;
    d->page_len = (size_t)snprintf(d->page, (size_t)n + 1, PAGE_FORMAT, version);
    snprintf(d->page_etag, sizeof d->page_etag, "\"%016llx\"", (unsigned long long)fnv1a64(d->page, d->page_len));
    return 0;
}

void cong_docs_free(cong_gateway_t *gw)
{
    cong_docs_t *d = gw->docs;
    if (d == NULL)
        return;
    free(d->bundle);
    free(d->page);
    free(d);
    gw->docs = NULL;
}

static const cong_api_t *api;

/* The page when it can be served; else the answer is sent (404 disabled or no document, 503 no bundle) and NULL. */
static const cong_docs_t *docs_or_problem(cong_req_t *r)
{
    cong_gateway_t *gw = r->worker->gateway;
    if (gw->docs == NULL || !cong_openapi_doc_present(gw)) {
        api->reply_problem(r, 404, "not-found", NULL, NULL);
        return NULL;
    }
    if (gw->docs->bundle == NULL) {
        api->reply_header(r, "retry-after", DOCS_RETRY_AFTER);
        api->reply_problem(r, 503, "service-unavailable", "Trang tài liệu API tạm thời không có trên cổng này.",
                           "The API documentation page is not available on this gateway for now.");
        return NULL;
    }
    return gw->docs;
}

/* Headers first, then 304 when If-None-Match names this tag (a weak W/ prefix or a list around it matches too). */
static void serve(cong_req_t *r, const char *etag, const char *cache_control, const char *csp, const char *type,
                  const char *body, size_t len)
{
    api->reply_header(r, "etag", etag);
    api->reply_header(r, "cache-control", cache_control);
    if (csp != NULL)
        api->reply_header(r, "content-security-policy", csp);
    size_t inm_len = 0;
    const char *inm = api->req_header(r, "if-none-match", &inm_len);
    if (inm != NULL && ((inm_len == 1 && inm[0] == '*') || memmem(inm, inm_len, etag, strlen(etag)) != NULL)) {
        api->reply_text(r, 304, NULL, NULL, 0);
        return;
    }
    cong_reply_static(r, 200, type, body, len); /* built at start, kept for the process's life */
}

static void docs_page(cong_req_t *r, void *udata)
{
    (void)udata;
    const cong_docs_t *d = docs_or_problem(r);
    if (d != NULL)
        serve(r, d->page_etag, "no-cache", PAGE_CSP, "text/html; charset=utf-8", d->page, d->page_len);
}

static void docs_script(cong_req_t *r, void *udata)
{
    (void)udata;
    const cong_docs_t *d = docs_or_problem(r);
    if (d != NULL)
        serve(r, d->bundle_etag, "public, max-age=31536000, immutable", NULL, "text/javascript; charset=utf-8",
              d->bundle, d->bundle_len);
}

int cong_docs_routes(cong_module_ctx_t *ctx, const cong_api_t *a)
{
    api = a;
    static const struct {
        const char *path, *operation_id;
        cong_handler_fn handler;
    } routes[] = {
        {"/docs", "getDocs", docs_page},
        {"/docs/redoc.standalone.js", "getDocsScript", docs_script},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        cong_route_def_t def = {.size = sizeof def, .method = "GET", .path = routes[i].path,
                                .handler = routes[i].handler, .auth = CONG_AUTH_NONE, .rate_limit_class = "default",
                                .operation_id = routes[i].operation_id};
        int rc = api->register_route(ctx, &def);
        if (rc != 0)
            return rc;
    }
    return 0;
}
