/*
 * push/relay/main.c — cong-push-relay: relays push_outbox to Redis streams (the contract is in relay.h).
 *
 *   cong-push-relay --pg CONNINFO [--redis-host H] [--redis-port N] [--batch N] [--poll-ms N] [--once]
 *
 * Each flag has an environment variable (relay.h, push_relay_config_t); flags win. SIGTERM/SIGINT: the current pass is
 * finished and committed, then exit 0. Exit status: 0; 1 when, with --once, PostgreSQL cannot be reached or refuses the
 * queries; 2 on bad arguments.
 */
#include "relay.h"

#include <stdio.h>
#include <unistd.h>

#include "cong/errors.h"

#define PROGRAM "cong-push-relay"

static void usage(void)
{
    fputs("usage: cong-push-relay --pg CONNINFO [--redis-host HOST] [--redis-port N] [--batch N] [--poll-ms N]"
          " [--once]\n",
          stderr);
}

/* 0, or 2 after printing what is wrong. */
static int parse_args(int argc, char **argv, push_relay_config_t *c)
{
    *c = (push_relay_config_t){.redis_host = "127.0.0.1", .redis_port = 6379, .batch = 20, .poll_ms = 25};
    const relay_text_option_t texts[] = {
        {"pg", "CONG_POSTGRES_CONNINFO", &c->pg_conninfo},
        {"redis-host", "CONG_REDIS_HOST", &c->redis_host},
    };
    const relay_int_option_t ints[] = {
        {"redis-port", "CONG_REDIS_PORT", &c->redis_port, 1, 65535},
        {"batch", "CONG_PUSH_RELAY_BATCH", &c->batch, 1, 1000},
        {"poll-ms", "CONG_PUSH_RELAY_POLL_MS", &c->poll_ms, 10, 60000},
    };
    const relay_options_t options = {.program = PROGRAM, .usage = usage,
                                     .texts = texts, .ntexts = sizeof texts / sizeof texts[0],
                                     .ints = ints, .nints = sizeof ints / sizeof ints[0], .once = &c->once};
    if (relay_parse_options(argc, argv, &options) != 0)
        return 2;
    if (optind != argc || !c->pg_conninfo) {
        fputs("cong-push-relay: --pg is required (or CONG_POSTGRES_CONNINFO)\n", stderr);
        usage();
        return 2;
    }
    return 0;
}

typedef struct pass_context {
    relay_pg_t *pg;
    relay_redis_t *redis;
    int batch;
} pass_context_t;

/* One pass for relay_run: with --once, only PostgreSQL refusing the queries fails the run (or losing it, which
 * relay_run sees); Redis being down is not a failure, its rows simply wait. */
static int pass(void *ctx, int *worked)
{
    pass_context_t *p = ctx;
    int rc = push_relay_pass(p->pg, p->redis, p->batch, worked);
    return rc == CONG_EQUERY ? rc : CONG_OK;
}

int main(int argc, char **argv)
{
    push_relay_config_t cfg;
    int rc = parse_args(argc, argv, &cfg);
    if (rc != 0)
        return rc;
    relay_log_set_writer(push_relay_log_writer);
    relay_catch_stop_signals();
    relay_pg_t pg = {.conninfo = cfg.pg_conninfo, .application_name = PROGRAM};
    relay_redis_t redis = {.host = cfg.redis_host, .port = cfg.redis_port};
    relay_log_info("started: redis %s:%d, batch %d%s", cfg.redis_host, cfg.redis_port, cfg.batch,
                   cfg.once ? ", once" : "");
    pass_context_t ctx = {.pg = &pg, .redis = &redis, .batch = cfg.batch};
    rc = relay_run(&pg, cfg.once, cfg.poll_ms, pass, &ctx);
    relay_redis_close(&redis);
    relay_pg_close(&pg);
    relay_log_info("stopped");
    return rc;
}
