/*
 * modules/ping — GET /v1/ping: proves the path end to end. Authenticated; answers with a summary of the principal
 * (never anything a token could be rebuilt from) and the worker-independent request id.
 *
 * The answer has a fixed shape and is written straight into a stack buffer rather than built as a jansson tree:
 * /v1/ping is what the identity bench measures behind a known token, and building, dumping and freeing the tree was
 * 28% of that path's CPU (bench/README.md). Other modules use jansson (api->reply_json) as usual.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cong/module.h"

#define PING_BODY_MAX 2048

static const cong_api_t *api;

typedef struct body {
    char text[PING_BODY_MAX];
    size_t len;
    int overflow;
} body_t;

static void put(body_t *b, const char *s, size_t n)
{
    if (b->overflow || n > sizeof b->text - b->len) {
        b->overflow = 1;
        return;
    }
    memcpy(b->text + b->len, s, n);
    b->len += n;
}

/* A JSON string (RFC 8259 §7): quote, backslash and control characters escaped; other bytes as they are (the
 * principal's strings come from parsed, valid UTF-8 JSON or from cong itself). NULL or "" writes null. */
static void put_string_or_null(body_t *b, const char *s)
{
    if (s == NULL || s[0] == '\0') {
        put(b, "null", 4);
        return;
    }
    static const char hex[] = "0123456789abcdef";
    put(b, "\"", 1);
    const char *run = s;
    for (const char *p = s;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c != '\0' && c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(b, run, (size_t)(p - run));
        if (c == '\0')
            break;
        char esc[6] = {'\\', (char)c, 0, 0, 0, 0};
        size_t n = 2;
        if (c < 0x20) {
            esc[1] = 'u', esc[2] = '0', esc[3] = '0', esc[4] = hex[c >> 4], esc[5] = hex[c & 15];
            n = 6;
        }
        put(b, esc, n);
        run = p + 1;
    }
    put(b, "\"", 1);
}

static void put_literal(body_t *b, const char *s)
{
    put(b, s, strlen(s));
}

static void ping(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_principal_t *p = api->req_principal(req);
    body_t body, *b = &body; /* reply_text copies it */
    b->len = 0;
    b->overflow = 0;
    char loa[16];
    snprintf(loa, sizeof loa, "%d", p->loa);
    put_literal(b, "{\"pong\":\"cổng\",\"request_id\":");
    put_string_or_null(b, api->req_id(req));
    put_literal(b, ",\"principal\":{\"subject\":");
    put_string_or_null(b, p->subject);
    put_literal(b, ",\"on_behalf_of\":");
    put_string_or_null(b, p->on_behalf_of);
    put_literal(b, ",\"client_id\":");
    put_string_or_null(b, p->client_id);
    put_literal(b, ",\"scopes\":");
    if (p->scopes == NULL || p->scopes[0] == '\0')
        put_literal(b, "\"\"");
    else
        put_string_or_null(b, p->scopes);
    put_literal(b, ",\"loa\":");
    put_literal(b, loa);
    put_literal(b, ",\"session_id\":");
    put_string_or_null(b, p->session_id);
    put_literal(b, ",\"actor\":");
    put_string_or_null(b, p->size >= offsetof(cong_principal_t, mandate_id) + sizeof p->mandate_id ? p->actor : NULL);
    put_literal(b, ",\"mandate_id\":");
    put_string_or_null(b, p->size >= offsetof(cong_principal_t, mandate_id) + sizeof p->mandate_id ? p->mandate_id
                                                                                                  : NULL);
    put_literal(b, "}}");
    if (b->overflow) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    api->reply_text(req, 200, "application/json", b->text, b->len);
}

int cong_ping_onload(cong_module_ctx_t *ctx, const cong_api_t *a)
{
    if (a->abi_major != CONG_MODULE_ABI_MAJOR || !CONG_API_HAS(a, declare_module))
        return CONG_EVERSION;
    api = a;
    int rc = api->declare_module(ctx, "ping", "1.0.0");
    if (rc != 0)
        return rc;
    cong_route_def_t route = {
        .size = sizeof route,
        .method = "GET",
        .path = "/v1/ping",
        .handler = ping,
        .auth = CONG_AUTH_REQUIRED,
        .min_loa = 0,
        .rate_limit_class = "default",
        .operation_id = "getPing",
        .mandate_action = "view", /* echoes who asks: whose affairs, and who acts for them */
    };
    return api->register_route(ctx, &route);
}
