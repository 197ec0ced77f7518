/*
 * tools/webhook_standin/main.c — webhook-standin: a stand-in webhook receiver for cong's tests (issue 18): every POST
 * is a delivery, verified exactly as the Standard Webhooks specification says, recorded, and answered as the tests
 * told it (README.md next to this file).
 *
 *   webhook-standin --port PORT --secret-file FILE [--tolerance-s SECONDS] [--tls-cert FILE --tls-key FILE]
 *                   [--control-token-file FILE]
 *
 * The secrets (one "whsec_..." a line) and the control token are read from files, never from argv, and never logged.
 * 127.0.0.1 only: cleartext HTTP/1.1 and h2c (upgrade or prior knowledge), or TLS (ALPN h2 or http/1.1) when
 * --tls-cert/--tls-key are given; one loop thread answers every request. SIGINT/SIGTERM stop it. Exit status: 0, 1
 * when it cannot start, 2 on bad arguments.
 */
#include "app.h"
#include "http.h"
#include "standin_args.h"
#include "standin_auth.h"
#include "standin_server.h"
#include "standin_tls.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY_BYTES (1024 * 1024) /* a webhook is small; h2o answers 413 beyond */

static void usage(void)
{
    fputs("usage: webhook-standin --port PORT --secret-file FILE [--tolerance-s SECONDS]\n"
          "                       [--tls-cert FILE --tls-key FILE] [--control-token-file FILE]\n",
          stderr);
}

/* 0, or 2 after printing what is wrong. */
static int parse_args(int argc, char **argv, wh_app_t *app)
{
    static const struct option options[] = {
        {"port", required_argument, NULL, 'p'},     {"secret-file", required_argument, NULL, 's'},
        {"tolerance-s", required_argument, NULL, 'T'}, {"tls-cert", required_argument, NULL, 'C'},
        {"tls-key", required_argument, NULL, 'K'},  {"control-token-file", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    wh_config_t *c = &app->config;
    *c = (wh_config_t){.port = -1, .tolerance_s = WEBHOOK_TOLERANCE_S};
    const char *token_file = NULL, *problem = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'p': c->port = standin_parse_int(optarg, 0, 65535, &c->port) == 0 ? c->port : -2; break;
        case 's': c->secret_file = optarg; break;
        case 'T':
            c->tolerance_s = standin_parse_int(optarg, 0, 86400, &c->tolerance_s) == 0 ? c->tolerance_s : -2;
            break;
        case 'C': c->tls_cert = optarg; break;
        case 'K': c->tls_key = optarg; break;
        case 'c': token_file = optarg; break;
        default: usage(); return 2;
        }
    }
    if (optind != argc)
        problem = "unexpected arguments";
    else if (c->port == -1 || !c->secret_file)
        problem = "--port and --secret-file are required";
    else if (c->port < 0)
        problem = "--port must be a number from 0 to 65535";
    else if (c->tolerance_s < 0)
        problem = "--tolerance-s must be a number of seconds from 0 to 86400";
    else if (!c->tls_cert != !c->tls_key)
        problem = "--tls-cert and --tls-key go together";
    else if (wh_load_secrets(app) < 0)
        problem = "--secret-file must name a readable file of 1 to 4 lines \"whsec_<base64 of 24..64 bytes>\"";
    else if (token_file && standin_read_secret_line(token_file, c->control_token, WH_TOKEN_MAX) < 0)
        problem = "--control-token-file must name a readable file whose first line is the token (1 to 512 bytes)";
    if (problem) {
        fprintf(stderr, "webhook-standin: %s\n", problem);
        usage();
        return 2;
    }
    return 0;
}

static void dispatch(void *app, h2o_req_t *req)
{
    wh_dispatch(app, req);
}

static int serve(wh_app_t *app)
{
    SSL_CTX *tls = NULL;
    if (app->config.tls_cert) {
        char err[256];
        if ((tls = standin_tls_context(app->config.tls_cert, app->config.tls_key, 0, err, sizeof err)) == NULL) {
            fprintf(stderr, "webhook-standin: TLS: %s\n", err);
            return 1;
        }
    }
    const standin_options_t options = {
        .name = "webhook-standin",
        .max_body_bytes = MAX_BODY_BYTES,
        .h2c = 1,
        .nosniff = 1,
        .text_type = "text/plain; charset=utf-8",
        .dispatch = dispatch,
        .app = app,
        .log_request = wh_log_request,
        .ssl_ctx = tls,
    };
    int port;
    app->loop = standin_start(&options, app->config.port, &port);
    if (!app->loop)
        return 1;
    fprintf(stderr, "webhook-standin: listening on %s://127.0.0.1:%d, %zu secret(s), tolerance %d s%s\n",
            tls ? "https" : "http", port, app->n_secrets, app->config.tolerance_s,
            app->config.control_token[0] ? ", control token required" : "");
    standin_run();
    fputs("webhook-standin: stopped\n", stderr);
    return 0;
}

int main(int argc, char **argv)
{
    static wh_app_t app; /* held answers may outlive main's frame until exit */
    if (wh_record_init(&app.record) != 0) {
        fputs("webhook-standin: out of memory\n", stderr);
        return 1;
    }
    int rc = parse_args(argc, argv, &app);
    if (rc != 0)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stderr, NULL, _IOLBF, 0);
    rc = serve(&app);
    for (size_t i = 0; i < WH_MAX_SECRETS; i++)
        webhook_secret_wipe(&app.secrets[i]);
    return rc;
}
