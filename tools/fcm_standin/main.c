/*
 * tools/fcm_standin/main.c — fcm-standin: a stand-in Firebase Cloud Messaging server (HTTP v1 API) with its OAuth 2.0
 * token endpoint, for cong's push tests and `make run`. It checks what Google checks (the service account's RS256
 * assertion, the bearer token, the project, the message) and records what it accepts (README.md next to this file).
 *
 *   fcm-standin --port PORT --service-account FILE [--control-token-file FILE] [--token-ttl-s 3599]
 *
 * The service account's JSON key file gives the client email, the token URI (the assertion's audience, which should
 * point at this server's /token), the project and the key; only the public key is kept. The control token is read
 * from a file (its first line), never from argv, and never logged. HTTP/1.1 and h2c (prior knowledge or Upgrade) on
 * 127.0.0.1 only, one thread, one libuv loop. SIGINT/SIGTERM stop it. Exit status: 0, 1 when it cannot start, 2 on
 * bad arguments.
 */
#include "app.h"
#include "http.h"
#include "standin_args.h"
#include "standin_auth.h"
#include "standin_server.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY_BYTES (256 * 1024) /* well over FCM's 4 KB payload, so an oversized message gets FCM's 400 */

static void usage(void)
{
    fputs("usage: fcm-standin --port PORT --service-account FILE [--control-token-file FILE] [--token-ttl-s S]\n",
          stderr);
}

/* 0, or 2 after printing what is wrong. */
static int parse_args(int argc, char **argv, fcm_config_t *c)
{
    static const struct option options[] = {
        {"port", required_argument, NULL, 'p'},
        {"service-account", required_argument, NULL, 's'},
        {"control-token-file", required_argument, NULL, 'c'},
        {"token-ttl-s", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *c = (fcm_config_t){.port = -1, .token_ttl_s = 3599};
    const char *account_file = NULL, *token_file = NULL, *problem = NULL;
    int opt, port_bad = 0, ttl_bad = 0;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'p': port_bad = standin_parse_int(optarg, 0, 65535, &c->port) != 0; break;
        case 's': account_file = optarg; break;
        case 'c': token_file = optarg; break;
        case 't': ttl_bad = standin_parse_int(optarg, 1, 86400, &c->token_ttl_s) != 0; break;
        default: usage(); return 2;
        }
    }
    if (optind != argc || (c->port == -1 && !port_bad) || !account_file)
        problem = "--port and --service-account are required";
    else if (port_bad)
        problem = "--port must be a number from 0 to 65535";
    else if (ttl_bad)
        problem = "--token-ttl-s must be a number of seconds from 1 to 86400";
    else if (token_file && standin_read_secret_line(token_file, c->control_token, FCM_CONTROL_TOKEN_MAX) < 0)
        problem = "--control-token-file must name a readable file whose first line is the token (1 to 512 bytes)";
    else if (fcm_account_load(account_file, &c->account, &problem) != 0)
        fprintf(stderr, "fcm-standin: --service-account %s: ", account_file);
    if (problem) {
        fprintf(stderr, "%s%s\n", strncmp(problem, "--", 2) == 0 ? "fcm-standin: " : "", problem);
        usage();
        return 2;
    }
    return 0;
}

static void dispatch(void *app, h2o_req_t *req)
{
    fcm_dispatch(app, req);
}

static int serve(fcm_app_t *app)
{
    const standin_options_t options = {
        .name = "fcm-standin",
        .max_body_bytes = MAX_BODY_BYTES,
        .h2c = 1,
        .nosniff = 1,
        .text_type = "text/plain; charset=utf-8",
        .dispatch = dispatch,
        .app = app,
        .log_request = fcm_log_request,
    };
    int port;
    app->loop = standin_start(&options, app->config.port, &port);
    if (!app->loop)
        return 1;
    fprintf(stderr, "fcm-standin: listening on http://127.0.0.1:%d (HTTP/1.1, h2c), project %s, tokens for %d s%s\n",
            port, app->config.account.project_id, app->config.token_ttl_s,
            app->config.control_token[0] ? ", control token required" : "");
    standin_run();
    fputs("fcm-standin: stopped\n", stderr);
    return 0;
}

int main(int argc, char **argv)
{
    static fcm_app_t app; /* held replies may outlive main's frame until exit */
    int rc = parse_args(argc, argv, &app.config);
    if (rc != 0)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stderr, NULL, _IOLBF, 0);
    if (fcm_store_init(&app) != 0) {
        fputs("fcm-standin: out of memory\n", stderr);
        return 1;
    }
    return serve(&app);
}
