/*
 * modules/procedures/portal_sync/main.c — cong-portal-sync: relays portal_outbox to the National Public Service
 * Portal (the contract is in portal_sync.h).
 *
 *   cong-portal-sync --pg CONNINFO --portal-url URL --portal-token-file PATH
 *                    [--batch N] [--timeout-ms N] [--initial-backoff-ms N] [--max-backoff-ms N] [--poll-ms N] [--once]
 *
 * Each flag has an environment variable (portal_sync.h, psync_config_t); flags win. SIGTERM/SIGINT: the current record
 * is finished and committed, then exit 0. Exit status: 0; 1 when it cannot start (or, with --once, PostgreSQL cannot
 * be reached); 2 on bad arguments. An http:// portal URL is refused unless CONG_SERVER_ENVIRONMENT=development (the
 * gateway's own production policy, config_policy.h).
 */
#include "portal_sync.h"

#include "cong/errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM "cong-portal-sync"

static void usage(void)
{
    fputs("usage: cong-portal-sync --pg CONNINFO --portal-url URL --portal-token-file PATH\n"
          "                        [--batch N] [--timeout-ms N] [--initial-backoff-ms N] [--max-backoff-ms N]\n"
          "                        [--poll-ms N] [--once]\n",
          stderr);
}

/* Reads the token: the file's first line without trailing whitespace. 0 or -1. */
static int read_token(const char *path, char out[PSYNC_TOKEN_MAX + 1])
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[PSYNC_TOKEN_MAX + 2];
    int ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    size_t n = ok ? strcspn(line, "\r\n") : 0;
    while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    if (n == 0 || n > PSYNC_TOKEN_MAX)
        return -1;
    memcpy(out, line, n);
    out[n] = '\0';
    explicit_bzero(line, sizeof line);
    return 0;
}

/* The gateway's server.environment, read from the same variable: production unless it says development. */
static int development_allowed(void)
{
    const char *environment = getenv("CONG_SERVER_ENVIRONMENT");
    return environment != NULL && strcmp(environment, "development") == 0;
}

/* 0, or 2 after printing what is wrong. */
static int parse_args(int argc, char **argv, psync_config_t *c)
{
    *c = (psync_config_t){.batch = 20, .timeout_ms = 5000, .initial_backoff_ms = 500, .max_backoff_ms = 300000,
                          .poll_ms = 250};
    const char *token_file = NULL;
    const relay_text_option_t texts[] = {
        {"pg", "CONG_POSTGRES_CONNINFO", &c->pg_conninfo},
        {"portal-url", "CONG_PORTAL_URL", &c->portal_url},
        {"portal-token-file", "CONG_PORTAL_TOKEN_FILE", &token_file},
    };
    const relay_int_option_t ints[] = {
        {"batch", "CONG_PORTAL_SYNC_BATCH", &c->batch, 1, 1000},
        {"timeout-ms", "CONG_PORTAL_TIMEOUT_MS", &c->timeout_ms, 100, 600000},
        {"initial-backoff-ms", "CONG_PORTAL_SYNC_INITIAL_BACKOFF_MS", &c->initial_backoff_ms, 1, 3600000},
        {"max-backoff-ms", "CONG_PORTAL_SYNC_MAX_BACKOFF_MS", &c->max_backoff_ms, 1, 86400000},
        {"poll-ms", "CONG_PORTAL_SYNC_POLL_MS", &c->poll_ms, 10, 60000},
    };
    const relay_options_t options = {.program = PROGRAM, .usage = usage,
                                     .texts = texts, .ntexts = sizeof texts / sizeof texts[0],
                                     .ints = ints, .nints = sizeof ints / sizeof ints[0], .once = &c->once};
    if (relay_parse_options(argc, argv, &options) != 0)
        return 2;
    const char *problem = NULL;
    if (optind != argc || !c->pg_conninfo || !c->portal_url || !token_file)
        problem = "--pg, --portal-url and --portal-token-file are required (or their environment variables)";
    else if (strncmp(c->portal_url, "http://", 7) != 0 && strncmp(c->portal_url, "https://", 8) != 0)
        problem = "--portal-url must be an http:// or https:// URL";
    else if (strncmp(c->portal_url, "http://", 7) == 0 && !development_allowed())
        problem = "--portal-url over plain http sends the portal token and citizens' dossiers unencrypted: use "
                  "https:// (CONG_SERVER_ENVIRONMENT=development allows http on a developer machine)";
    else if (c->portal_url[strlen(c->portal_url) - 1] == '/')
        problem = "--portal-url must have no trailing slash";
    else if (c->max_backoff_ms < c->initial_backoff_ms)
        problem = "--max-backoff-ms must not be below --initial-backoff-ms";
    else if (read_token(token_file, c->token) != 0)
        problem = "--portal-token-file must name a readable file whose first line is the token (1 to 512 characters)";
    if (problem) {
        fprintf(stderr, "cong-portal-sync: %s\n", problem);
        usage();
        return 2;
    }
    return 0;
}

typedef struct pass_context {
    relay_pg_t *pg;
    psync_portal_t *portal;
    const psync_config_t *cfg;
} pass_context_t;

/* One pass for relay_run: with --once, any PostgreSQL failure fails the run. */
static int pass(void *ctx, int *worked)
{
    pass_context_t *p = ctx;
    int acked = 0;
    return psync_outbox_pass(p->pg, p->portal, p->cfg, worked, &acked);
}

int main(int argc, char **argv)
{
    psync_config_t cfg;
    int rc = parse_args(argc, argv, &cfg);
    if (rc != 0)
        return rc;
    setvbuf(stderr, NULL, _IOLBF, 0);
    relay_log_set_writer(psync_log_writer);
    relay_catch_stop_signals();
    srandom((unsigned)time(NULL) ^ (unsigned)getpid());
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fputs("cong-portal-sync: libcurl cannot start\n", stderr);
        return 1;
    }
    psync_portal_t portal;
    if (psync_portal_open(&portal, cfg.portal_url, cfg.token, cfg.timeout_ms) != CONG_OK) {
        fputs("cong-portal-sync: out of memory\n", stderr);
        curl_global_cleanup();
        return 1;
    }
    explicit_bzero(cfg.token, sizeof cfg.token);
    relay_pg_t pg = {.conninfo = cfg.pg_conninfo, .application_name = PROGRAM};
    relay_log_info("started: portal %s, batch %d, timeout %d ms, backoff %d..%d ms%s", cfg.portal_url, cfg.batch,
                   cfg.timeout_ms, cfg.initial_backoff_ms, cfg.max_backoff_ms, cfg.once ? ", once" : "");
    pass_context_t ctx = {.pg = &pg, .portal = &portal, .cfg = &cfg};
    rc = relay_run(&pg, cfg.once, cfg.poll_ms, pass, &ctx);
    relay_pg_close(&pg);
    psync_portal_close(&portal);
    curl_global_cleanup();
    relay_log_info("stopped");
    return rc;
}
