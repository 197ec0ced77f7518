/*
 * push/webhook_worker/main.c — cong-webhook-worker (worker.h): the loop that takes due deliveries while it has room
 * and runs the sends.
 *
 *   cong-webhook-worker --pg CONNINFO --key-file FILE [--ca-file FILE] [--max-in-flight N] [--per-endpoint N]
 *                       [--batch N] [--poll-ms N] [--connect-ms N] [--deadline-ms N] [--retry-base-ms N]
 *                       [--retry-max-ms N] [--retry-max-age-s N] [--allow-http-loopback 0|1]
 *
 * Each flag has an environment variable (CONG_WEBHOOK_WORKER_*; --pg: CONG_POSTGRES_CONNINFO); flags win. Exit status:
 * 0 when stopped; 2 on bad arguments or a key file that does not read.
 */
#include "worker.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cong/errors.h"

#define PROGRAM "cong-webhook-worker"

static void usage(void)
{
    fputs("usage: " PROGRAM " --pg CONNINFO --key-file FILE [--ca-file FILE] [--max-in-flight N] [--per-endpoint N]"
          " [--batch N] [--poll-ms N] [--connect-ms N] [--deadline-ms N] [--retry-base-ms N] [--retry-max-ms N]"
          " [--retry-max-age-s N] [--allow-http-loopback 0|1]\n",
          stderr);
}

static int parse_args(int argc, char **argv, ww_config_t *c)
{
    *c = (ww_config_t){.max_in_flight = 64, .per_endpoint = 4, .batch = 32, .poll_ms = 50, .connect_ms = 3000,
                       .deadline_ms = 10000, .retry_base_ms = WEBHOOK_RETRY_BASE_MS,
                       .retry_max_ms = WEBHOOK_RETRY_MAX_MS, .retry_max_age_s = 86400};
    const relay_text_option_t texts[] = {
        {"pg", "CONG_POSTGRES_CONNINFO", &c->pg_conninfo},
        {"key-file", "CONG_WEBHOOK_WORKER_KEY_FILE", &c->key_file},
        {"ca-file", "CONG_WEBHOOK_WORKER_CA_FILE", &c->ca_file},
    };
    const relay_int_option_t ints[] = {
        {"max-in-flight", "CONG_WEBHOOK_WORKER_MAX_IN_FLIGHT", &c->max_in_flight, 1, 1024},
        {"per-endpoint", "CONG_WEBHOOK_WORKER_PER_ENDPOINT", &c->per_endpoint, 1, 64},
        {"batch", "CONG_WEBHOOK_WORKER_BATCH", &c->batch, 1, 1000},
        {"poll-ms", "CONG_WEBHOOK_WORKER_POLL_MS", &c->poll_ms, 5, 60000},
        {"connect-ms", "CONG_WEBHOOK_WORKER_CONNECT_MS", &c->connect_ms, 50, 60000},
        {"deadline-ms", "CONG_WEBHOOK_WORKER_DEADLINE_MS", &c->deadline_ms, 100, 120000},
        {"retry-base-ms", "CONG_WEBHOOK_WORKER_RETRY_BASE_MS", &c->retry_base_ms, 10, 3600000},
        {"retry-max-ms", "CONG_WEBHOOK_WORKER_RETRY_MAX_MS", &c->retry_max_ms, 10, 86400000},
        {"retry-max-age-s", "CONG_WEBHOOK_WORKER_RETRY_MAX_AGE_S", &c->retry_max_age_s, 1, 30 * 86400},
        {"allow-http-loopback", "CONG_WEBHOOK_WORKER_ALLOW_HTTP_LOOPBACK", &c->allow_http_loopback, 0, 1},
    };
    int once = 0;
    const relay_options_t options = {.program = PROGRAM, .usage = usage,
                                     .texts = texts, .ntexts = sizeof texts / sizeof texts[0],
                                     .ints = ints, .nints = sizeof ints / sizeof ints[0], .once = &once};
    if (relay_parse_options(argc, argv, &options) != 0)
        return 2;
    if (optind != argc || !c->pg_conninfo || !c->key_file || once) {
        fputs(PROGRAM ": --pg and --key-file are required; no operands, no --once\n", stderr);
        return usage(), 2;
    }
    return 0;
}

static int read_key(ww_t *w)
{
    FILE *f = fopen(w->cfg->key_file, "r");
    char text[130] = "";
    int ok = f && fgets(text, sizeof text, f) && webhook_seal_key_parse(text, w->key) == 0;
    if (f)
        fclose(f);
    OPENSSL_cleanse(text, sizeof text);
    if (!ok)
        fputs(PROGRAM ": --key-file: not readable, or not 64 hex digits\n", stderr);
    return ok ? 0 : 2;
}

/* Takes work while there is room and it is due; runs the sends; returns when stopped and drained. */
static void run(ww_t *w)
{
    int64_t next_claim = 0;
    while (!relay_stopping() || w->in_flight > 0) {
        int64_t now = relay_now_ms();
        if (!relay_stopping() && now >= next_claim && w->in_flight < w->cfg->max_in_flight) {
            int taken = 0;
            if (relay_pg_ensure(&w->pg) != 0) {
                next_claim = now + relay_pg_backoff(&w->pg);
            } else if (ww_claim(w, w->cfg->max_in_flight - w->in_flight, &taken) != 0 || taken == 0) {
                next_claim = now + w->cfg->poll_ms;
            }
        }
        if (w->in_flight == 0) {
            int64_t wait = next_claim - relay_now_ms();
            relay_sleep_ms(wait > 0 ? (int)wait : 0);
        } else {
            ww_send_run(w, w->in_flight >= w->cfg->max_in_flight ? 1000 : w->cfg->poll_ms);
        }
        ww_log_totals(w, 0);
    }
}

int main(int argc, char **argv)
{
    relay_log_set_writer(ww_log_writer);
    ww_config_t cfg;
    if (parse_args(argc, argv, &cfg) != 0)
        return 2;
    ww_t w = {.cfg = &cfg, .pg = {.conninfo = cfg.pg_conninfo, .application_name = PROGRAM},
              .schedule = {cfg.retry_base_ms, cfg.retry_max_ms, (int64_t)cfg.retry_max_age_s * 1000}};
    if (read_key(&w) != 0)
        return 2;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || !(w.multi = curl_multi_init())) {
        fputs(PROGRAM ": libcurl did not start\n", stderr);
        return 1;
    }
    srandom((unsigned)(relay_now_ms() ^ getpid()));
    relay_catch_stop_signals();
    relay_log_info("started: up to %d sends at once, %d per endpoint, deadline %d ms", cfg.max_in_flight,
                   cfg.per_endpoint, cfg.deadline_ms);
    run(&w);
    ww_log_totals(&w, 1);
    relay_log_info("stopped");
    curl_multi_cleanup(w.multi);
    relay_pg_close(&w.pg);
    OPENSSL_cleanse(w.key, sizeof w.key);
    curl_global_cleanup();
    return 0;
}
