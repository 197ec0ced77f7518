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

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cong/errors.h"

static volatile sig_atomic_t stop_requested;

int push_relay_stopping(void)
{
    return stop_requested;
}

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Sleeps up to ms, waking early when a stop is requested. */
static void sleep_ms(int ms)
{
    while (ms > 0 && !stop_requested) {
        int step = ms < 50 ? ms : 50;
        struct timespec ts = {0, (long)step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

static void usage(void)
{
    fputs("usage: cong-push-relay --pg CONNINFO [--redis-host HOST] [--redis-port N] [--batch N] [--poll-ms N]"
          " [--once]\n",
          stderr);
}

static int parse_int(const char *s, long min, long max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

typedef struct int_option {
    const char *flag, *env;
    int *target;
    long min, max;
} int_option_t;

/* 0, or 2 after printing what is wrong. */
static int parse_args(int argc, char **argv, push_relay_config_t *c)
{
    *c = (push_relay_config_t){.pg_conninfo = getenv("CONG_POSTGRES_CONNINFO"),
                               .redis_host = getenv("CONG_REDIS_HOST") ? getenv("CONG_REDIS_HOST") : "127.0.0.1",
                               .redis_port = 6379, .batch = 20, .poll_ms = 250};
    int_option_t ints[] = {
        {"redis-port", "CONG_REDIS_PORT", &c->redis_port, 1, 65535},
        {"batch", "CONG_PUSH_RELAY_BATCH", &c->batch, 1, 1000},
        {"poll-ms", "CONG_PUSH_RELAY_POLL_MS", &c->poll_ms, 10, 60000},
    };
    size_t nints = sizeof ints / sizeof ints[0];
    for (size_t i = 0; i < nints; i++) {
        const char *v = getenv(ints[i].env);
        if (v && parse_int(v, ints[i].min, ints[i].max, ints[i].target) != 0) {
            fprintf(stderr, "cong-push-relay: %s must be a number from %ld to %ld\n", ints[i].env, ints[i].min,
                    ints[i].max);
            return 2;
        }
    }
    static const struct option options[] = {
        {"pg", required_argument, NULL, 'P'},
        {"redis-host", required_argument, NULL, 'H'},
        {"once", no_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {"redis-port", required_argument, NULL, 0},
        {"batch", required_argument, NULL, 0},
        {"poll-ms", required_argument, NULL, 0},
        {NULL, 0, NULL, 0},
    };
    int opt, index;
    while ((opt = getopt_long(argc, argv, "", options, &index)) != -1) {
        switch (opt) {
        case 'P': c->pg_conninfo = optarg; break;
        case 'H': c->redis_host = optarg; break;
        case 'o': c->once = 1; break;
        case 0:
            for (size_t i = 0; i < nints; i++) {
                if (strcmp(options[index].name, ints[i].flag) != 0)
                    continue;
                if (parse_int(optarg, ints[i].min, ints[i].max, ints[i].target) != 0) {
                    fprintf(stderr, "cong-push-relay: --%s must be a number from %ld to %ld\n", ints[i].flag,
                            ints[i].min, ints[i].max);
                    return 2;
                }
            }
            break;
        default: usage(); return 2;
        }
    }
    if (optind != argc || !c->pg_conninfo) {
        fputs("cong-push-relay: --pg is required (or CONG_POSTGRES_CONNINFO)\n", stderr);
        usage();
        return 2;
    }
    return 0;
}

/* Passes until stopped (or, with --once, until a pass publishes nothing: then 1 if PostgreSQL failed, else 0; Redis
 * being down is not a failure, its rows simply wait). */
static int run(const push_relay_config_t *cfg, push_relay_pg_t *pg, push_relay_redis_t *redis)
{
    while (!push_relay_stopping()) {
        if (push_relay_pg_ensure(pg) != CONG_OK) {
            if (cfg->once)
                return 1;
            sleep_ms(push_relay_pg_backoff(pg));
            continue;
        }
        int published = 0;
        int rc = push_relay_pass(pg, redis, cfg->batch, &published);
        if (cfg->once && published == 0)
            return rc == CONG_EQUERY || !pg->conn ? 1 : 0;
        if (published == 0)
            sleep_ms(cfg->poll_ms);
    }
    return 0;
}

int main(int argc, char **argv)
{
    push_relay_config_t cfg;
    int rc = parse_args(argc, argv, &cfg);
    if (rc != 0)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_stop}; /* no SA_RESTART: sleeps wake up */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    push_relay_pg_t pg = {.conninfo = cfg.pg_conninfo};
    push_relay_redis_t redis = {.host = cfg.redis_host, .port = cfg.redis_port};
    push_relay_log_info("started: redis %s:%d, batch %d%s", cfg.redis_host, cfg.redis_port, cfg.batch,
                        cfg.once ? ", once" : "");
    rc = run(&cfg, &pg, &redis);
    push_relay_redis_close(&redis);
    push_relay_pg_close(&pg);
    push_relay_log_info("stopped");
    return rc;
}
