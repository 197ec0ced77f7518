/* The Redis rate limiter (GCRA, one atomic script per request, exact across instances). Keys
 * "cong:rl:<class>:<key>" hold the theoretical arrival time in ms and expire when the bucket is full again.
 * API clients also have a daily quota: the token endpoint writes "cong:client-quota:<client>", and the same script
 * counts "cong:quota:<client>:<UTC day>"; past the quota, 429 until midnight UTC.
 * Class "system" is never limited; "auth" has its own numbers; every other class uses "default". When Redis cannot
 * answer, the request is let through and counted (availability first). */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "pipeline.h"
#include "rate_limit.h"

#define GCRA_SCRIPT                                                                                                   \
    "local t = redis.call('TIME') "                                                                                   \
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "                                          \
    "local T = tonumber(ARGV[2]) local tau = tonumber(ARGV[3]) "                                                      \
    "local tat = tonumber(redis.call('GET', ARGV[1])) or now "                                                        \
    "if tat < now then tat = now end "                                                                                \
    "local diff = tat + T - now "                                                                                     \
    "if diff > tau then return {0, 0, math.ceil((diff - tau) / 1000), math.ceil((tat - now) / 1000)} end "            \
    "redis.call('SET', ARGV[1], tostring(tat + T), 'PX', math.ceil(diff) + 1000) "                                    \
    "if ARGV[4] ~= '' then "                                                                                          \
    "  local q = tonumber(redis.call('GET', 'cong:client-quota:'..ARGV[4])) "                                         \
    "  if q then "                                                                                                    \
    "    local k = 'cong:quota:'..ARGV[4]..':'..ARGV[5] "                                                             \
    "    local used = redis.call('INCR', k) "                                                                         \
    "    if used == 1 then redis.call('EXPIRE', k, 172800) end "                                                      \
    "    if used > q then return {0, 0, tonumber(ARGV[6]), tonumber(ARGV[6])} end "                                  \
    "  end "                                                                                                          \
    "end "                                                                                                            \
    "return {1, math.floor((tau - diff) / T), 0, math.ceil(diff / 1000)}"

typedef struct limit_call {
    cong_req_t *r;
    long burst;
} limit_call_t;

static void allow_unlimited(cong_rate_decision_t *out)
{
    *out = (cong_rate_decision_t){.allowed = 1, .limit = -1};
}

static void on_decision(int err, redisReply *reply, void *udata)
{
    limit_call_t *call = udata;
    cong_req_t *r = call->r;
    cong_rate_decision_t d;
    if (err == 0 && reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == 4) {
        d = (cong_rate_decision_t){.allowed = reply->element[0]->integer == 1, .limit = call->burst,
                                   .remaining = reply->element[1]->integer,
                                   .reset_s = reply->element[0]->integer == 1 ? reply->element[3]->integer
                                                                              : reply->element[2]->integer};
    } else {
        allow_unlimited(&d);
        if (r->h2o != NULL)
            cong_counter_add(&r->worker->metrics->rate_limit_unavailable, 1);
    }
    if (r->h2o != NULL)
        cong_rate_limit_decided(r, &d);
    cong_req_release(r);
    free(call);
}

static int redis_check(cong_rate_limiter_t *self, cong_req_t *r, const char *class_name, const char *key,
                       cong_rate_decision_t *out)
{
    (void)self;
    const cong_config_t *cfg = r->worker->gateway->config;
    if (!cfg->rate_limits.enabled || strcmp(class_name, "system") == 0) {
        allow_unlimited(out);
        return 1;
    }
    int auth = strcmp(class_name, "auth") == 0;
    long per_minute = auth ? cfg->rate_limits.auth_per_minute : cfg->rate_limits.default_per_minute;
    long burst = auth ? cfg->rate_limits.auth_burst : cfg->rate_limits.default_burst;
    char rkey[320], interval[32], tolerance[32];
    snprintf(rkey, sizeof rkey, "cong:rl:%s:%s", auth ? "auth" : "default", key);
    double t_ms = 60000.0 / (double)per_minute;
    snprintf(interval, sizeof interval, "%.3f", t_ms);
    snprintf(tolerance, sizeof tolerance, "%.3f", t_ms * (double)burst);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char day[16], to_midnight[16];
    strftime(day, sizeof day, "%Y%m%d", &tm);
    snprintf(to_midnight, sizeof to_midnight, "%d", 86400 - (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec));
    const char *client = r->principal.client_id ? r->principal.client_id : "";
    const char *argv[] = {"EVAL", GCRA_SCRIPT, "0", rkey, interval, tolerance, client, day, to_midnight};
    size_t argvlen[] = {4, strlen(GCRA_SCRIPT), 1, strlen(rkey), strlen(interval), strlen(tolerance), strlen(client),
                        strlen(day), strlen(to_midnight)};
    limit_call_t *call = malloc(sizeof *call);
    if (call == NULL) {
        allow_unlimited(out);
        return 1;
    }
    *call = (limit_call_t){r, burst};
    if (cong_redis_command(r->worker->redis, 9, argv, argvlen, on_decision, call) != 0) {
        free(call);
        cong_counter_add(&r->worker->metrics->rate_limit_unavailable, 1);
        allow_unlimited(out);
        return 1;
    }
    cong_req_retain(r);
    return 0;
}

cong_rate_limiter_t cong_rate_limiter_redis = {"redis-gcra", redis_check};
