/*
 * tools/vneid_standin/main.c — vneid-standin: a small OpenID Connect provider that stands in for VNeID in the demo
 * and the tests.
 *
 *   vneid-standin --port 8090 --issuer http://127.0.0.1:8090 --client-id cong --redirect-uri-prefix http://127.0.0.1
 *                 [--redirect-uri-prefix URL...] [--test-endpoints] [--state-dir DIR] [--code-ttl SECONDS]
 *
 * Citizens sign in to their own account, or to a test organization's account as its legal representative: the ID
 * token then carries "account_type": "organization", "org_tax_code" and "org_name" (organizations.h).
 *
 * Plain HTTP/1.1 on 127.0.0.1 only, one thread, one libuv loop. SIGINT/SIGTERM stop it. Exit status: 0, 1 when it
 * cannot start, 2 on bad arguments.
 */
#include "app.h"
#include "http.h"
#include "standin_args.h"
#include "standin_server.h"

#include "cong/module.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CODE_CAPACITY 1024
#define MAX_BODY_BYTES (64 * 1024)

static void usage(void)
{
    fputs("usage: vneid-standin --port PORT --issuer URL --client-id ID --redirect-uri-prefix URL\n"
          "                     [--redirect-uri-prefix URL...] [--test-endpoints] [--state-dir DIR]\n"
          "                     [--code-ttl SECONDS]\n",
          stderr);
}

/* 0, or 2 after printing what is wrong. */
static int parse_args(int argc, char **argv, vs_config_t *c)
{
    static const struct option options[] = {
        {"port", required_argument, NULL, 'p'},          {"issuer", required_argument, NULL, 'i'},
        {"client-id", required_argument, NULL, 'c'},     {"redirect-uri-prefix", required_argument, NULL, 'r'},
        {"test-endpoints", no_argument, NULL, 't'},      {"state-dir", required_argument, NULL, 's'},
        {"code-ttl", required_argument, NULL, 'T'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *c = (vs_config_t){.port = -1, .code_ttl_s = 60};
    int opt, prefixes_ok = 1;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'p':
            if (standin_parse_int(optarg, 0, 65535, &c->port) != 0)
                c->port = -2;
            break;
        case 'i': c->issuer = optarg; break;
        case 'c': c->client_id = optarg; break;
        case 'r':
            if (c->redirect_uri_prefix_count == VS_MAX_REDIRECT_PREFIXES || strlen(optarg) < 8)
                prefixes_ok = 0;
            else
                c->redirect_uri_prefixes[c->redirect_uri_prefix_count++] = optarg;
            break;
        case 't': c->test_endpoints = 1; break;
        case 's': c->state_dir = optarg; break;
        case 'T':
            if (standin_parse_int(optarg, 1, 3600, &c->code_ttl_s) != 0)
                c->code_ttl_s = 0;
            break;
        default: usage(); return 2;
        }
    }
    const char *problem = NULL;
    if (optind != argc || !c->issuer || !c->client_id || c->port == -1 ||
        (c->redirect_uri_prefix_count == 0 && prefixes_ok))
        problem = "--port, --issuer, --client-id and --redirect-uri-prefix are required";
    else if (c->port < 0)
        problem = "--port must be a number from 0 to 65535";
    else if (c->code_ttl_s == 0)
        problem = "--code-ttl must be a number of seconds from 1 to 3600";
    else if (strncmp(c->issuer, "http://", 7) != 0 && strncmp(c->issuer, "https://", 8) != 0)
        problem = "--issuer must be an http:// or https:// URL";
    else if (c->issuer[strlen(c->issuer) - 1] == '/' || strchr(c->issuer, '?') || strchr(c->issuer, '#'))
        problem = "--issuer must have no trailing slash, query or fragment";
    else if (!*c->client_id || strlen(c->client_id) >= VS_CLIENT_ID_MAX)
        problem = "--client-id must be 1 to 127 characters";
    else if (!prefixes_ok)
        problem = "--redirect-uri-prefix must be a URL prefix such as http://127.0.0.1 (at most 8 of them)";
    if (problem) {
        fprintf(stderr, "vneid-standin: %s\n", problem);
        usage();
        return 2;
    }
    return 0;
}

static void dispatch(void *app, h2o_req_t *req)
{
    vs_dispatch(app, req);
}

static int serve(vs_app_t *app)
{
    const standin_options_t options = {
        .name = "vneid-standin",
        .max_body_bytes = MAX_BODY_BYTES,
        .nosniff = 1,
        .text_type = "text/plain; charset=utf-8",
        .dispatch = dispatch,
        .app = app,
        .log_request = vs_log_request,
    };
    int port;
    if (!standin_start(&options, app->config.port, &port))
        return 1;
    fprintf(stderr, "vneid-standin: listening on http://127.0.0.1:%d, issuer %s, client %s, signing kid %s%s\n", port,
            app->config.issuer, app->config.client_id, vs_key_kid(app->keys.current),
            app->config.test_endpoints ? ", test endpoints on" : "");
    standin_run();
    fputs("vneid-standin: stopped\n", stderr);
    return 0;
}

int main(int argc, char **argv)
{
    vs_app_t app = {0};
    int rc = parse_args(argc, argv, &app.config);
    if (rc != 0)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stderr, NULL, _IOLBF, 0);
    if (vs_keyring_open(&app.keys, app.config.state_dir) != CONG_OK) {
        fputs("vneid-standin: cannot load or create the signing keys\n", stderr);
        return 1;
    }
    if (vs_codes_init(&app.codes, CODE_CAPACITY, app.config.code_ttl_s) != CONG_OK) {
        vs_keyring_close(&app.keys);
        return 1;
    }
    rc = serve(&app);
    vs_codes_free(&app.codes);
    vs_keyring_close(&app.keys);
    return rc;
}
