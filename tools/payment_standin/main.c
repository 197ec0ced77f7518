/*
 * tools/payment_standin/main.c — payment-standin: a stand-in for the VNPay payment gateway (API 2.1.0) for cong's tests
 * and `make run`: the payment page, the return redirect and the IPN calls, the merchant API (querydr, refund), and
 * test controls (README.md next to this file).
 *
 *   payment-standin --port PORT --tmn-code CODE --secret-file FILE --ipn-url URL
 *                   [--ipn-retry-ms 1000] [--ipn-max-attempts 5] [--control-token-file FILE]
 *
 * The secret (vnp_HashSecret) and the control token are read from files (their first line, trailing whitespace
 * dropped), never from argv, and never logged. HTTP/1.1 on 127.0.0.1 only; one loop thread answers every request,
 * IPN calls run on their own threads (ipn.h). SIGINT/SIGTERM stop it. Exit status: 0, 1 when it cannot start, 2 on
 * bad arguments.
 */
#include "app.h"
#include "http.h"
#include "ipn.h"
#include "standin_args.h"
#include "standin_auth.h"
#include "standin_server.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY_BYTES (64 * 1024)

static void usage(void)
{
    fputs("usage: payment-standin --port PORT --tmn-code CODE --secret-file FILE --ipn-url URL\n"
          "                       [--ipn-retry-ms MS] [--ipn-max-attempts N] [--control-token-file FILE]\n",
          stderr);
}

static const char *check_tmn_code(const char *code)
{
    size_t n = code ? strlen(code) : 0;
    if (n != PAY_TMN_CODE_LEN || strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != n)
        return "--tmn-code must be 8 letters or digits (VNPay's vnp_TmnCode)";
    return NULL;
}

/* 0, or 2 after printing what is wrong. */
static int parse_args(int argc, char **argv, pay_config_t *c)
{
    static const struct option options[] = {
        {"port", required_argument, NULL, 'p'},
        {"tmn-code", required_argument, NULL, 't'},
        {"secret-file", required_argument, NULL, 's'},
        {"ipn-url", required_argument, NULL, 'u'},
        {"ipn-retry-ms", required_argument, NULL, 'r'},
        {"ipn-max-attempts", required_argument, NULL, 'a'},
        {"control-token-file", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *c = (pay_config_t){.port = -1, .ipn_retry_ms = 1000, .ipn_max_attempts = 5};
    const char *tmn = NULL, *secret_file = NULL, *token_file = NULL, *problem = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'p': c->port = standin_parse_int(optarg, 0, 65535, &c->port) == 0 ? c->port : -2; break;
        case 't': tmn = optarg; break;
        case 's': secret_file = optarg; break;
        case 'u': c->ipn_url = optarg; break;
        case 'r':
            c->ipn_retry_ms = standin_parse_int(optarg, 0, 600000, &c->ipn_retry_ms) == 0 ? c->ipn_retry_ms : -1;
            break;
        case 'a':
            c->ipn_max_attempts = standin_parse_int(optarg, 1, 100, &c->ipn_max_attempts) == 0 ? c->ipn_max_attempts : -1;
            break;
        case 'c': token_file = optarg; break;
        default: usage(); return 2;
        }
    }
    if (optind != argc || c->port == -1 || !tmn || !secret_file || !c->ipn_url)
        problem = "--port, --tmn-code, --secret-file and --ipn-url are required";
    else if (c->port < 0)
        problem = "--port must be a number from 0 to 65535";
    else if ((problem = check_tmn_code(tmn)) != NULL)
        ;
    else if (strncmp(c->ipn_url, "http://", 7) != 0 && strncmp(c->ipn_url, "https://", 8) != 0)
        problem = "--ipn-url must be an http:// or https:// URL";
    else if (c->ipn_retry_ms < 0)
        problem = "--ipn-retry-ms must be a number of milliseconds from 0 to 600000";
    else if (c->ipn_max_attempts < 0)
        problem = "--ipn-max-attempts must be a number from 1 to 100";
    else if ((c->secret_len = (size_t)standin_read_secret_line(secret_file, c->secret, PAY_SECRET_MAX)) >
             PAY_SECRET_MAX)
        problem = "--secret-file must name a readable file whose first line is the secret (1 to 256 bytes)";
    else if (token_file && standin_read_secret_line(token_file, c->control_token, PAY_TOKEN_MAX) < 0)
        problem = "--control-token-file must name a readable file whose first line is the token (1 to 512 bytes)";
    if (problem) {
        fprintf(stderr, "payment-standin: %s\n", problem);
        usage();
        return 2;
    }
    snprintf(c->tmn_code, sizeof c->tmn_code, "%s", tmn);
    return 0;
}

static void dispatch(void *app, h2o_req_t *req)
{
    pay_dispatch(app, req);
}

static int serve(pay_app_t *app)
{
    const standin_options_t options = {
        .name = "payment-standin",
        .max_body_bytes = MAX_BODY_BYTES,
        .nosniff = 1,
        .text_type = "text/plain; charset=utf-8",
        .dispatch = dispatch,
        .app = app,
        .log_request = pay_log_request,
    };
    int port;
    app->loop = standin_start(&options, app->config.port, &port);
    if (!app->loop)
        return 1;
    fprintf(stderr,
            "payment-standin: listening on http://127.0.0.1:%d, TmnCode %s, IPN to %s (%d attempts, %d ms "
            "apart)%s\n",
            port, app->config.tmn_code, app->config.ipn_url, app->config.ipn_max_attempts, app->config.ipn_retry_ms,
            app->config.control_token[0] ? ", control token required" : "");
    standin_run();
    fputs("payment-standin: stopped\n", stderr);
    return 0;
}

int main(int argc, char **argv)
{
    static pay_app_t app; /* held replies and IPN threads may outlive main's frame until exit */
    int rc = parse_args(argc, argv, &app.config);
    if (rc != 0)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stderr, NULL, _IOLBF, 0);
    if (pay_ipn_init() != 0 || pay_store_init(&app.store, PAY_MAX_TRANSACTIONS) != 0) {
        fputs("payment-standin: cannot initialise libcurl or the store\n", stderr);
        return 1;
    }
    return serve(&app);
}
