/*
 * tools/apns_standin/main.c — apns-standin: a stand-in for the Apple Push Notification service (token-based
 * connections) for cong's tests and `make run`: POST /3/device/{token} over HTTP/2, checked as APNs checks it, and
 * test controls (README.md next to this file).
 *
 *   apns-standin --port PORT --auth-key-pub FILE --key-id KID --team-id TEAM --topic BUNDLE_ID
 *                [--tls-cert FILE --tls-key FILE] [--control-token-file FILE]
 *
 * The control token is read from a file (its first line, trailing whitespace dropped), never from argv, and never
 * logged. 127.0.0.1 only: TLS with ALPN h2 when --tls-cert/--tls-key are given (as APNs), else cleartext HTTP/2 with
 * prior knowledge (h2c); one loop thread answers every request. SIGINT/SIGTERM stop it. Exit status: 0, 1 when it
 * cannot start, 2 on bad arguments.
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

#define MAX_BODY_BYTES (64 * 1024) /* beyond APNs' 4 KB (5 KB voip): a larger payload still gets PayloadTooLarge */

static void usage(void)
{
    fputs("usage: apns-standin --port PORT --auth-key-pub FILE --key-id KID --team-id TEAM --topic BUNDLE_ID\n"
          "                    [--tls-cert FILE --tls-key FILE] [--control-token-file FILE]\n",
          stderr);
}

/* Copies an identifier of 1..max characters of [A-Za-z0-9._-]; -1 otherwise. */
static int copy_identifier(const char *s, char *out, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max ||
        strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n)
        return -1;
    memcpy(out, s, n + 1);
    return 0;
}

typedef struct args {
    const char *key_file, *kid, *team, *topic, *token_file;
} args_t;

/* What is wrong with the arguments once read, or NULL (the configuration then complete). */
static const char *check_args(const args_t *a, apns_config_t *c)
{
    if (c->port == -1 || !a->key_file || !a->kid || !a->team || !a->topic)
        return "--port, --auth-key-pub, --key-id, --team-id and --topic are required";
    if (c->port < 0)
        return "--port must be a number from 0 to 65535";
    if (copy_identifier(a->kid, c->key_id, APNS_ID_MAX) != 0 || copy_identifier(a->team, c->team_id, APNS_ID_MAX) != 0)
        return "--key-id and --team-id must be 1 to 128 of A-Z a-z 0-9 . _ - (Apple's are 10 characters)";
    if (copy_identifier(a->topic, c->bundle, APNS_BUNDLE_MAX) != 0)
        return "--topic must be the app's bundle id (1 to 200 of A-Z a-z 0-9 . _ -)";
    if (!c->tls_cert != !c->tls_key)
        return "--tls-cert and --tls-key go together";
    if ((c->auth_key = apns_jwt_load_public_key(a->key_file)) == NULL)
        return "--auth-key-pub must name a readable PEM file with an EC P-256 public key";
    if (a->token_file && standin_read_secret_line(a->token_file, c->control_token, APNS_TOKEN_MAX) < 0)
        return "--control-token-file must name a readable file whose first line is the token (1 to 512 bytes)";
    return NULL;
}

/* 0, or 2 after printing what is wrong. */
static int parse_args(int argc, char **argv, apns_config_t *c)
{
    static const struct option options[] = {
        {"port", required_argument, NULL, 'p'},         {"auth-key-pub", required_argument, NULL, 'k'},
        {"key-id", required_argument, NULL, 'i'},       {"team-id", required_argument, NULL, 't'},
        {"topic", required_argument, NULL, 'b'},        {"tls-cert", required_argument, NULL, 'C'},
        {"tls-key", required_argument, NULL, 'K'},      {"control-token-file", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},               {NULL, 0, NULL, 0},
    };
    *c = (apns_config_t){.port = -1};
    args_t a = {0};
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'p': c->port = standin_parse_int(optarg, 0, 65535, &c->port) == 0 ? c->port : -2; break;
        case 'k': a.key_file = optarg; break;
        case 'i': a.kid = optarg; break;
        case 't': a.team = optarg; break;
        case 'b': a.topic = optarg; break;
        case 'C': c->tls_cert = optarg; break;
        case 'K': c->tls_key = optarg; break;
        case 'c': a.token_file = optarg; break;
        default: usage(); return 2;
        }
    }
    const char *problem = optind != argc ? "unexpected arguments" : check_args(&a, c);
    if (problem) {
        fprintf(stderr, "apns-standin: %s\n", problem);
        usage();
        return 2;
    }
    return 0;
}

static void dispatch(void *app, h2o_req_t *req)
{
    apns_dispatch(app, req);
}

static int serve(apns_app_t *app)
{
    SSL_CTX *tls = NULL;
    if (app->config.tls_cert) {
        char err[256];
        if ((tls = standin_tls_context(app->config.tls_cert, app->config.tls_key, 1, err, sizeof err)) == NULL) {
            fprintf(stderr, "apns-standin: TLS: %s\n", err);
            return 1;
        }
    }
    const standin_options_t options = {
        .name = "apns-standin",
        .max_body_bytes = MAX_BODY_BYTES,
        .h2c = 1,
        .nosniff = 0,
        .text_type = "text/plain; charset=utf-8",
        .dispatch = dispatch,
        .app = app,
        .log_request = apns_log_request,
        .ssl_ctx = tls,
    };
    int port;
    app->loop = standin_start(&options, app->config.port, &port);
    if (!app->loop)
        return 1;
    fprintf(stderr, "apns-standin: listening on %s://127.0.0.1:%d (%s), key id %s, team %s, topic %s%s\n",
            tls ? "https" : "http", port, tls ? "HTTP/2 over TLS" : "h2c, prior knowledge", app->config.key_id,
            app->config.team_id, app->config.bundle, app->config.control_token[0] ? ", control token required" : "");
    standin_run();
    fputs("apns-standin: stopped\n", stderr);
    return 0;
}

int main(int argc, char **argv)
{
    static apns_app_t app; /* held replies may outlive main's frame until exit */
    int rc = parse_args(argc, argv, &app.config);
    if (rc != 0)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stderr, NULL, _IOLBF, 0);
    if (apns_store_init(&app.store) != 0) {
        fputs("apns-standin: out of memory\n", stderr);
        return 1;
    }
    return serve(&app);
}
