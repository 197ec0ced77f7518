/*
 * tools/portal_standin/main.c — portal-standin: a small stand-in for the National Public Service Portal, which
 * receives every dossier version cong-portal-sync delivers, for the demo and the tests.
 *
 *   portal-standin --port 8091 (--token-file PATH | --token TOKEN) [--state-file PATH]
 *
 * HTTP/1.1 and h2c (prior knowledge or Upgrade) on 127.0.0.1 only, one thread, one libuv loop. The API is in api.c,
 * the tests' controls in control.c, what is kept in ledger.h. SIGINT/SIGTERM stop it. Exit status: 0, 1 when it
 * cannot start, 2 on bad arguments. --token shows the token in the process list: prefer --token-file.
 */
#include "app.h"
#include "http.h"
#include "standin_args.h"
#include "standin_auth.h"
#include "standin_server.h"

#include "cong/module.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY_BYTES (1024 * 1024)

static void usage(void)
{
    fputs("usage: portal-standin --port PORT (--token-file PATH | --token TOKEN) [--state-file PATH]\n", stderr);
}

/* 0, or 2 after printing what is wrong. */
static int parse_args(int argc, char **argv, ps_config_t *c)
{
    static const struct option options[] = {
        {"port", required_argument, NULL, 'p'},       {"token", required_argument, NULL, 't'},
        {"token-file", required_argument, NULL, 'f'}, {"state-file", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0},
    };
    *c = (ps_config_t){.port = -1};
    const char *token = NULL, *token_file = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'p': c->port = standin_parse_int(optarg, 0, 65535, &c->port) == 0 ? c->port : -2; break;
        case 't': token = optarg; break;
        case 'f': token_file = optarg; break;
        case 's': c->state_file = optarg; break;
        default: usage(); return 2;
        }
    }
    const char *problem = NULL;
    if (optind != argc || c->port == -1 || (!token && !token_file))
        problem = "--port and --token-file (or --token) are required";
    else if (c->port < 0)
        problem = "--port must be a number from 0 to 65535";
    else if (token && token_file)
        problem = "give --token or --token-file, not both";
    else if (token && (!*token || strlen(token) > PS_TOKEN_MAX))
        problem = "--token must be 1 to 512 characters";
    else if (token)
        snprintf(c->token, sizeof c->token, "%s", token);
    else if (standin_read_secret_line(token_file, c->token, PS_TOKEN_MAX) < 0)
        problem = "--token-file must name a readable file whose first line is the token (1 to 512 characters)";
    if (problem) {
        fprintf(stderr, "portal-standin: %s\n", problem);
        usage();
        return 2;
    }
    return 0;
}

static void dispatch(void *app, h2o_req_t *req)
{
    ps_dispatch(app, req);
}

static int serve(ps_app_t *app)
{
    const standin_options_t options = {
        .name = "portal-standin",
        .max_body_bytes = MAX_BODY_BYTES,
        .h2c = 1, /* h2c: prior knowledge and Upgrade */
        .text_type = "text/plain",
        .dispatch = dispatch,
        .app = app,
        .log_request = ps_log_request,
    };
    int port;
    app->loop = standin_start(&options, app->config.port, &port);
    if (!app->loop)
        return 1;
    fprintf(stderr, "portal-standin: listening on http://127.0.0.1:%d (HTTP/1.1, h2c), %zu records loaded%s%s\n",
            port, app->ledger.count, app->config.state_file ? " from " : "",
            app->config.state_file ? app->config.state_file : "");
    standin_run();
    fputs("portal-standin: stopped\n", stderr);
    return 0;
}

int main(int argc, char **argv)
{
    static ps_app_t app; /* held replies may point at it until exit */
    int rc = parse_args(argc, argv, &app.config);
    if (rc != 0)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stderr, NULL, _IOLBF, 0);
    if (ps_ledger_open(&app.ledger, app.config.state_file) != CONG_OK) {
        fprintf(stderr, "portal-standin: cannot open the state file %s\n", app.config.state_file);
        return 1;
    }
    rc = serve(&app);
    ps_ledger_close(&app.ledger);
    return rc;
}
