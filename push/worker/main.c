/*
 * push/worker/main.c — cong-push-worker: the delivery worker of push/pipeline.h (the process's own rules: worker.h).
 *
 *   cong-push-worker --pg CONNINFO [--redis-host H] [--redis-port N] [--batch N] [--block-ms N] [--deadline-ms N]
 *                    [--claim-idle-ms N] [--claim-every-ms N] [--retry-base-ms N] [--retry-max-ms N]
 *                    [--retry-max-age-s N] [--fcm KEY=VALUE]... [--apns KEY=VALUE]...
 *
 * Each flag but --fcm/--apns has an environment variable (worker.h, worker_config_t); flags win. --fcm and --apns
 * pass their KEY=VALUE to the adapter's open (push/delivery/fcm_options.h, apns_options.h: secrets are file paths).
 * SIGTERM/SIGINT: the batch in hand is finished, then exit 0. Exit status: 0; 2 on bad arguments or an adapter that
 * does not open.
 */
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cong/errors.h"

#define PROGRAM "cong-push-worker"
#define IDLE_BACKOFF_MIN_MS 250
#define IDLE_BACKOFF_MAX_MS 5000

static void usage(void)
{
    fputs("usage: cong-push-worker --pg CONNINFO [--redis-host HOST] [--redis-port N] [--batch N] [--block-ms N]"
          " [--deadline-ms N] [--claim-idle-ms N] [--claim-every-ms N] [--retry-base-ms N] [--retry-max-ms N]"
          " [--retry-max-age-s N] [--fcm KEY=VALUE]... [--apns KEY=VALUE]...\n",
          stderr);
}

/* Takes --fcm/--apns KEY=VALUE out of argv (getopt cannot repeat a flag) into the config. 0, or 2. */
static int take_provider_options(int *argc, char **argv, worker_config_t *c)
{
    int out = 1, nf = 0, na = 0;
    for (int i = 1; i < *argc; i++) {
        int fcm = strcmp(argv[i], "--fcm") == 0, apns = strcmp(argv[i], "--apns") == 0;
        if (!fcm && !apns) {
            argv[out++] = argv[i];
            continue;
        }
        if (i + 1 == *argc || !strchr(argv[i + 1], '=') || (fcm ? nf : na) == WORKER_MAX_OPTIONS) {
            fprintf(stderr, PROGRAM ": %s needs KEY=VALUE (at most %d)\n", argv[i], WORKER_MAX_OPTIONS);
            return 2;
        }
        if (fcm)
            c->fcm_options[nf++] = argv[++i];
        else
            c->apns_options[na++] = argv[++i];
    }
    *argc = out;
    argv[out] = NULL;
    return 0;
}

static int parse_args(int argc, char **argv, worker_config_t *c)
{
    *c = (worker_config_t){.redis_host = "127.0.0.1", .redis_port = 6379, .batch = 50, .block_ms = 1000,
                           .deadline_ms = 10000, .claim_idle_ms = 30000, .claim_every_ms = 5000,
                           .retry_base_ms = 1000, .retry_max_ms = 900000, .retry_max_age_s = 86400};
    if (take_provider_options(&argc, argv, c) != 0)
        return usage(), 2;
    const relay_text_option_t texts[] = {
        {"pg", "CONG_POSTGRES_CONNINFO", &c->pg_conninfo},
        {"redis-host", "CONG_REDIS_HOST", &c->redis_host},
    };
    const relay_int_option_t ints[] = {
        {"redis-port", "CONG_REDIS_PORT", &c->redis_port, 1, 65535},
        {"batch", "CONG_PUSH_WORKER_BATCH", &c->batch, 1, 1000},
        {"block-ms", "CONG_PUSH_WORKER_BLOCK_MS", &c->block_ms, 10, 60000},
        {"deadline-ms", "CONG_PUSH_WORKER_DEADLINE_MS", &c->deadline_ms, 100, 600000},
        {"claim-idle-ms", "CONG_PUSH_WORKER_CLAIM_IDLE_MS", &c->claim_idle_ms, 1000, 86400000},
        {"claim-every-ms", "CONG_PUSH_WORKER_CLAIM_EVERY_MS", &c->claim_every_ms, 100, 3600000},
        {"retry-base-ms", "CONG_PUSH_WORKER_RETRY_BASE_MS", &c->retry_base_ms, 10, 3600000},
        {"retry-max-ms", "CONG_PUSH_WORKER_RETRY_MAX_MS", &c->retry_max_ms, 10, 86400000},
        {"retry-max-age-s", "CONG_PUSH_WORKER_RETRY_MAX_AGE_S", &c->retry_max_age_s, 1, 30 * 86400},
    };
    int once = 0;
    const relay_options_t options = {.program = PROGRAM, .usage = usage,
                                     .texts = texts, .ntexts = sizeof texts / sizeof texts[0],
                                     .ints = ints, .nints = sizeof ints / sizeof ints[0], .once = &once};
    if (relay_parse_options(argc, argv, &options) != 0)
        return 2;
    if (optind != argc || !c->pg_conninfo || once) {
        fputs(PROGRAM ": --pg is required (or CONG_POSTGRES_CONNINFO); no operands, no --once\n", stderr);
        return usage(), 2;
    }
    if ((long)c->claim_idle_ms < 2L * c->deadline_ms + 2000) {
        fputs(PROGRAM ": --claim-idle-ms must be at least 2 x --deadline-ms + 2000 (a batch's longest sends)\n",
              stderr);
        return 2;
    }
    return 0;
}

static int open_providers(worker_t *w)
{
    const char *const *options[WORKER_PLATFORMS] = {w->cfg->fcm_options, w->cfg->apns_options};
    const char *names[WORKER_PLATFORMS] = {"fcm", "apns"};
    int opened = 0;
    for (int p = 0; p < WORKER_PLATFORMS; p++) {
        w->ops[p] = push_provider_find(names[p]);
        if (!options[p][0])
            continue;
        char err[256] = "";
        if (w->ops[p]->open(options[p], &w->providers[p], err, sizeof err) != 0) {
            fprintf(stderr, PROGRAM ": --%s: %s\n", names[p], err);
            return 2;
        }
        opened++;
    }
    if (!opened)
        relay_log_info("no provider configured (--fcm, --apns): sends wait as retries");
    return 0;
}

static void work_batch(worker_t *w, worker_event_t *evs, int n)
{
    int rc = worker_events_texts(w, evs, n);
    if (rc == CONG_OK)
        rc = worker_events_live(w, evs, n);
    if (rc == CONG_OK)
        worker_deliver_events(w, evs, n);
    if (rc == CONG_OK && w->redis.ctx)
        worker_streams_ack(w, evs, n); /* else everything stays pending, for a reclaim */
    for (int i = 0; i < n; i++)
        worker_event_free(&evs[i]);
}

/* One turn: the due retries, then a batch of reclaimed or new entries. 0, or a store's failure. */
static int turn(worker_t *w, worker_event_t *evs)
{
    int rc = worker_streams_prepare(w), taken = 0, n = 0, reclaimed = 0;
    if (rc == CONG_OK)
        rc = worker_retry_pass(w, &taken);
    if (rc == CONG_OK && !relay_stopping())
        rc = worker_streams_next(w, evs, &n, &reclaimed);
    if (reclaimed)
        relay_log_info("reclaimed %d entr%s left pending longer than %d ms", n, n == 1 ? "y" : "ies",
                       w->cfg->claim_idle_ms);
    if (n > 0)
        work_batch(w, evs, n);
    if (rc == CONG_OK)
        worker_streams_prune(w);
    worker_log_totals(w, 0);
    return rc;
}

static void run(worker_t *w)
{
    worker_event_t *evs = calloc((size_t)w->cfg->batch, sizeof *evs);
    int backoff = 0;
    while (evs && !relay_stopping()) {
        if (turn(w, evs) == CONG_OK) {
            backoff = 0;
            continue;
        }
        backoff = backoff ? backoff * 2 : IDLE_BACKOFF_MIN_MS;
        if (backoff > IDLE_BACKOFF_MAX_MS)
            backoff = IDLE_BACKOFF_MAX_MS;
        relay_sleep_ms(backoff);
    }
    free(evs);
}

int main(int argc, char **argv)
{
    worker_config_t cfg;
    int rc = parse_args(argc, argv, &cfg);
    if (rc != 0)
        return rc;
    relay_log_set_writer(worker_log_writer);
    relay_catch_stop_signals();
    worker_t w = {.cfg = &cfg,
                  .pg = {.conninfo = cfg.pg_conninfo, .application_name = PROGRAM},
                  .redis = {.host = cfg.redis_host, .port = cfg.redis_port, .timeout_ms = cfg.block_ms + 5000},
                  .seed = (unsigned)getpid() ^ (unsigned)time(NULL)};
    char host[256] = "host";
    gethostname(host, sizeof host - 1);
    snprintf(w.consumer, sizeof w.consumer, "%s:%d", host, (int)getpid());
    if ((rc = open_providers(&w)) != 0)
        return rc;
    relay_log_info("started: consumer %s, redis %s:%d, batch %d, fcm %s, apns %s", w.consumer, cfg.redis_host,
                   cfg.redis_port, cfg.batch, w.providers[0] ? "on" : "off", w.providers[1] ? "on" : "off");
    run(&w);
    worker_log_totals(&w, 1);
    for (int p = 0; p < WORKER_PLATFORMS; p++)
        if (w.ops[p])
            w.ops[p]->close(w.providers[p]);
    for (int i = 0; i < w.ntopics; i++)
        free(w.topics[i]);
    relay_redis_close(&w.redis);
    relay_pg_close(&w.pg);
    relay_log_info("stopped");
    return 0;
}
