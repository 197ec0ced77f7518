/*
 * push/fanout/main.c — cong-push-fanout: sends broadcasts to their recipients (the contract is in fanout.h).
 *
 *   cong-push-fanout --pg CONNINFO [--redis-host H] [--redis-port N] [--rate N] [--page N] [--max-backlog N]
 *                    [--poll-ms N] [--once]
 *
 * Each flag has an environment variable (fanout.h, fanout_config_t); flags win. SIGTERM/SIGINT: the pass in hand is
 * finished and committed, then exit 0. Exit status: 0; 1 when, with --once, PostgreSQL cannot be reached or refuses the
 * queries; 2 on bad arguments.
 */
#include "fanout.h"

#include <stdio.h>
#include <unistd.h>

#include "cong/errors.h"
#include "push/live.h"

#define PROGRAM "cong-push-fanout"

static void usage(void)
{
    fputs("usage: cong-push-fanout --pg CONNINFO [--redis-host HOST] [--redis-port N] [--rate N] [--page N]"
          " [--max-backlog N] [--poll-ms N] [--once]\n",
          stderr);
}

/* 0, or 2 after printing what is wrong. */
static int parse_args(int argc, char **argv, fanout_config_t *c)
{
    *c = (fanout_config_t){.redis_host = "127.0.0.1", .redis_port = 6379, .rate = 20000, .page = 1000,
                           .max_backlog = 50000, .poll_ms = 250};
    const relay_text_option_t texts[] = {
        {"pg", "CONG_POSTGRES_CONNINFO", &c->pg_conninfo},
        {"redis-host", "CONG_REDIS_HOST", &c->redis_host},
    };
    const relay_int_option_t ints[] = {
        {"redis-port", "CONG_REDIS_PORT", &c->redis_port, 1, 65535},
        {"rate", "CONG_PUSH_FANOUT_RATE", &c->rate, 1, 10000000},
        {"page", "CONG_PUSH_FANOUT_PAGE", &c->page, 1, PUSH_LIVE_BATCH_MAX},
        {"max-backlog", "CONG_PUSH_FANOUT_MAX_BACKLOG", &c->max_backlog, 1, 90000},
        {"poll-ms", "CONG_PUSH_FANOUT_POLL_MS", &c->poll_ms, 10, 60000},
    };
    const relay_options_t options = {.program = PROGRAM, .usage = usage,
                                     .texts = texts, .ntexts = sizeof texts / sizeof texts[0],
                                     .ints = ints, .nints = sizeof ints / sizeof ints[0], .once = &c->once};
    if (relay_parse_options(argc, argv, &options) != 0)
        return 2;
    if (optind != argc || !c->pg_conninfo) {
        fputs("cong-push-fanout: --pg is required (or CONG_POSTGRES_CONNINFO)\n", stderr);
        usage();
        return 2;
    }
    return 0;
}

typedef struct pass_context {
    relay_pg_t *pg;
    relay_redis_t *redis;
    const fanout_config_t *cfg;
} pass_context_t;

/* One pass (a few pages) for relay_run, then the pace: a pass of n takes at least n / rate seconds. With --once only
 * PostgreSQL refusing the queries fails the run; Redis down is no failure (nothing was committed). */
static int pass(void *ctx, int *worked)
{
    pass_context_t *p = ctx;
    int64_t began = relay_now_ms();
    int rc = fanout_pass(p->pg, p->redis, p->cfg, worked);
    int64_t due = began + (int64_t)*worked * 1000 / p->cfg->rate, now = relay_now_ms();
    if (*worked > 0 && due > now)
        relay_sleep_ms((int)(due - now));
    return rc == CONG_EQUERY ? rc : CONG_OK;
}

int main(int argc, char **argv)
{
    fanout_config_t cfg;
    int rc = parse_args(argc, argv, &cfg);
    if (rc != 0)
        return rc;
    relay_log_set_writer(fanout_log_writer);
    relay_catch_stop_signals();
    relay_pg_t pg = {.conninfo = cfg.pg_conninfo, .application_name = PROGRAM};
    relay_redis_t redis = {.host = cfg.redis_host, .port = cfg.redis_port, .timeout_ms = 5000};
    relay_log_info("started: redis %s:%d, rate %d/s, page %d%s", cfg.redis_host, cfg.redis_port, cfg.rate, cfg.page,
                   cfg.once ? ", once" : "");
    pass_context_t ctx = {.pg = &pg, .redis = &redis, .cfg = &cfg};
    rc = relay_run(&pg, cfg.once, cfg.poll_ms, pass, &ctx);
    relay_redis_close(&redis);
    relay_pg_close(&pg);
    relay_log_info("stopped");
    return rc;
}
