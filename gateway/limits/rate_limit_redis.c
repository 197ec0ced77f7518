/* The Redis rate limiter: GCRA in one atomic script, exact across instances, with tokens leased in small batches per
 * worker (the sizing, and the bound by which N instances may overshoot or undershoot, are in rate_limit_lease.h).
 *
 * Keys "cong:rl:<class>:<key>" hold the theoretical arrival time in ms and expire when the bucket is full again. One
 * script call reserves up to n requests' worth of emission intervals (fewer if the bucket holds fewer) and answers
 * {granted, remaining, tat - now (ms), ms until the next token, quota applies}. API clients also have a daily quota:
 * the token endpoint writes "cong:client-quota:<client>", and the same script counts "cong:quota:<client>:<UTC day>"
 * (only granted requests count); past the quota, 429 until midnight UTC. Such clients lease one token at a time.
 * Plans (rate_limit.h: partners' quotas) bring their numbers and daily quota with them: the bucket is
 * "cong:rl:<plan bucket>:<key>", the day's count "cong:plan-quota:<plan bucket>:<key>:<UTC day>" (ARGV[8], the daily
 * quota, is 0 for classes: then the API client's own quota, as above).
 * Class "system" is never limited; the others' numbers, and plans', are rate_limit_buckets.h's. The numbers come
 * from the worker's live configuration (live_config.h), so a reload applies at once. When Redis cannot
 * answer, the request is let through and counted (availability first).
 *
 * Each worker keeps its leases in a table of its own (a thread-specific pointer, freed when the worker thread ends):
 * 4-way set-associative, the least recently used idle entry is replaced. Requests that find no token and a lease
 * under way wait for it (holding a request reference); when no entry can be had, the request asks Redis alone. The
 * script is sent with EVALSHA (EVAL again when Redis answers NOSCRIPT). A later decision goes to the `decided`
 * function its asker gave (rate_limit.h): this file knows no phase. */
#include <hiredis/hiredis.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "gateway/config/config.h"
#include "rate_limit.h"
#include "rate_limit_buckets.h"
#include "rate_limit_lease.h"

#define GCRA_LEASE_SCRIPT                                                                                             \
    "local t = redis.call('TIME') "                                                                                   \
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "                                          \
    "local T = tonumber(ARGV[2]) local tau = tonumber(ARGV[3]) local n = tonumber(ARGV[4]) "                          \
    "local tat = tonumber(redis.call('GET', ARGV[1])) or now "                                                        \
    "if tat < now then tat = now end "                                                                                \
    "local avail = math.floor((tau - (tat - now)) / T + 1e-9) "                                                       \
    "if avail > n then avail = n end "                                                                                \
    "local quota = 0 local qleft = -1 "                                                                               \
    "if avail > 0 and ARGV[5] ~= '' then "                                                                            \
    "  local q = tonumber(ARGV[8]) local k = 'cong:plan-quota:'..ARGV[5]..':'..ARGV[6] "                              \
    "  if q == 0 then "                                                                                               \
    "    q = tonumber(redis.call('GET', 'cong:client-quota:'..ARGV[5])) k = 'cong:quota:'..ARGV[5]..':'..ARGV[6] "     \
    "  end "                                                                                                          \
    "  if q then "                                                                                                    \
    "    quota = 1 "                                                                                                  \
    "    local used = tonumber(redis.call('GET', k)) or 0 "                                                           \
    "    if used + avail > q then avail = q - used end "                                                              \
    "    if avail <= 0 then return {0, 0, 0, tonumber(ARGV[7]) * 1000, 1} end "                                      \
    "    local after = redis.call('INCRBY', k, avail) "                                                               \
    "    if after == avail then redis.call('EXPIRE', k, 172800) end "                                                 \
    "    if tonumber(ARGV[8]) > 0 then qleft = q - after end "                                                        \
    "  end "                                                                                                          \
    "end "                                                                                                            \
    "if avail > 0 then "                                                                                              \
    "  tat = tat + avail * T "                                                                                        \
    "  redis.call('SET', ARGV[1], tostring(tat), 'PX', math.ceil(tat - now) + 1000) "                                 \
    "else avail = 0 end "                                                                                             \
    "local diff = tat - now "                                                                                         \
    "local retry = diff + T - tau if retry < 0 then retry = 0 end "                                                   \
    "local remaining = math.floor((tau - diff) / T + 1e-9) if remaining < 0 then remaining = 0 end "                  \
    "if qleft >= 0 and qleft < remaining then remaining = qleft end "                                                 \
    "return {avail, remaining, math.ceil(diff), math.ceil(retry), quota}"

static const cong_config_t *live_config(const cong_worker_t *w)
{
    return w->live->config;
}

#define WAYS 4
#define SETS 512
#define ID_MAX 400

/* A request waiting for a decision, and where the decision goes. */
typedef struct waiter {
    cong_req_t *r; /* retained */
    cong_rate_decided_fn decided;
} waiter_t;

typedef struct lease_entry {
    char id[ID_MAX]; /* "<class>\n<key>\n<client>"; "" when free */
    uint64_t hash;
    uint64_t last_used_ms;
    cong_rate_bucket_t numbers;
    cong_lease_t lease;
    waiter_t *waiting; /* FIFO ring of requests without a token */
    size_t head, count, cap;
    int busy; /* a reply is being applied (keeps the entry from being replaced) */
} lease_entry_t;

typedef struct lease_table {
    lease_entry_t *slots; /* SETS * WAYS */
} lease_table_t;

/* One script call: for an entry's lease, or for one request alone (entry NULL). */
typedef struct limit_call {
    cong_worker_t *worker;
    lease_entry_t *entry;
    waiter_t alone; /* .r NULL unless the call is for one request alone */
    long burst;
    int retried; /* sent again with EVAL after NOSCRIPT */
    int argc;
    char rkey[320], interval[40], tolerance[40], n[24], client[320], day[16], to_midnight[16], daily[24];
} limit_call_t;

static pthread_key_t table_key;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;
static char script_sha[41];

static void free_table(void *p)
{
    lease_table_t *t = p;
    if (t == NULL)
        return;
    for (size_t i = 0; i < (size_t)SETS * WAYS; i++)
        free(t->slots[i].waiting);
    free(t->slots);
    free(t);
}

static void init_once(void)
{
    (void)pthread_key_create(&table_key, free_table);
    unsigned char d[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)GCRA_LEASE_SCRIPT, strlen(GCRA_LEASE_SCRIPT), d);
    for (int i = 0; i < SHA_DIGEST_LENGTH; i++)
        snprintf(script_sha + 2 * i, 3, "%02x", d[i]);
}

static lease_table_t *worker_table(void)
{
    lease_table_t *t = pthread_getspecific(table_key);
    if (t != NULL)
        return t;
    t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->slots = calloc((size_t)SETS * WAYS, sizeof *t->slots);
    if (t->slots == NULL || pthread_setspecific(table_key, t) != 0) {
        free(t->slots);
        free(t);
        return NULL;
    }
    return t;
}

static uint64_t fnv1a(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h ^ (h >> 32);
}

static int entry_idle(const lease_entry_t *e)
{
    return e->count == 0 && e->lease.asked == 0 && !e->busy;
}

/* The entry for `id` (created when absent), or NULL when the set has no idle entry to give. */
static lease_entry_t *find_entry(lease_table_t *t, const char *id, size_t len, long cap, const cong_rate_bucket_t *nb,
                                 uint64_t now)
{
    uint64_t h = fnv1a(id, len);
    lease_entry_t *set = &t->slots[(h % SETS) * WAYS], *victim = NULL;
    for (int w = 0; w < WAYS; w++) {
        lease_entry_t *e = &set[w];
        if (e->id[0] != '\0' && e->hash == h && strcmp(e->id, id) == 0) {
            e->last_used_ms = now;
            if (e->lease.cap != cap && entry_idle(e)) /* configuration differs (other class numbers): start over */
                cong_lease_init(&e->lease, cap);
            e->numbers = *nb;
            return e;
        }
        if (!entry_idle(e))
            continue;
        if (victim == NULL || e->id[0] == '\0' || (victim->id[0] != '\0' && e->last_used_ms < victim->last_used_ms))
            victim = e;
    }
    if (victim == NULL)
        return NULL;
    memcpy(victim->id, id, len + 1);
    victim->hash = h;
    victim->last_used_ms = now;
    victim->head = victim->count = 0;
    victim->numbers = *nb;
    cong_lease_init(&victim->lease, cap);
    return victim;
}

static int push_waiting(lease_entry_t *e, cong_req_t *r, cong_rate_decided_fn decided)
{
    if (e->count == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 16;
        waiter_t *w = malloc(cap * sizeof *w);
        if (w == NULL)
            return -1;
        for (size_t i = 0; i < e->count; i++)
            w[i] = e->waiting[(e->head + i) % e->cap];
        free(e->waiting);
        e->waiting = w;
        e->cap = cap;
        e->head = 0;
    }
    e->waiting[(e->head + e->count) % e->cap] = (waiter_t){r, decided};
    e->count++;
    cong_req_retain(r);
    return 0;
}

static waiter_t pop_waiting(lease_entry_t *e)
{
    waiter_t w = e->waiting[e->head];
    e->head = (e->head + 1) % e->cap;
    e->count--;
    return w;
}

static void allow_unlimited(cong_rate_decision_t *out)
{
    *out = (cong_rate_decision_t){.allowed = 1, .limit = -1};
}

/* Hands a decision to a waiting request whose client is still there, and drops its reference. */
static void decide(waiter_t w, const cong_rate_decision_t *d, int unavailable)
{
    if (w.r->h2o != NULL) {
        if (unavailable)
            cong_counter_add(&w.r->worker->metrics->rate_limit_unavailable, 1);
        w.decided(w.r, d);
    }
    cong_req_release(w.r);
}

static void on_reply(int err, redisReply *reply, void *udata);

static int send_call(limit_call_t *call)
{
    const char *argv[] = {call->retried ? "EVAL" : "EVALSHA", call->retried ? GCRA_LEASE_SCRIPT : script_sha, "0",
                          call->rkey, call->interval, call->tolerance, call->n, call->client, call->day,
                          call->to_midnight, call->daily};
    size_t argvlen[11];
    for (int i = 0; i < 11; i++)
        argvlen[i] = strlen(argv[i]);
    return cong_redis_command(call->worker->redis, 11, argv, argvlen, on_reply, call);
}

/* A script call for `n` tokens of rkey; NULL when it could not be sent (Redis unavailable or out of memory). */
static limit_call_t *start_call(cong_worker_t *w, const cong_rate_bucket_t *nb, const char *key, const char *client,
                                long n, lease_entry_t *entry, waiter_t alone)
{
    int cls = nb->slot;
    long per_minute = nb->per_minute;
    limit_call_t *call = malloc(sizeof *call);
    if (call == NULL)
        return NULL;
    call->worker = w;
    call->entry = entry;
    call->alone = alone;
    call->burst = nb->burst;
    call->retried = 0;
    snprintf(call->rkey, sizeof call->rkey, "cong:rl:%s:%s", nb->bucket, key);
    snprintf(call->n, sizeof call->n, "%ld", n);
    if (nb->daily > 0) /* a plan's daily quota: counted by its bucket and key */
        snprintf(call->client, sizeof call->client, "%s:%s", nb->bucket, key);
    else
        snprintf(call->client, sizeof call->client, "%s", client);
    snprintf(call->daily, sizeof call->daily, "%ld", nb->daily);
    /* the class's numbers and the UTC day, formatted once per worker (again when the config or the second changes) */
    static _Thread_local struct {
        long per_minute, burst;
        char interval[40], tolerance[40];
    } numbers[CONG_RATE_CLASS_COUNT + 1]; /* the classes, and the last plan used */
    static _Thread_local struct {
        time_t second;
        char day[16], to_midnight[16];
    } clock;
    if (numbers[cls].per_minute != per_minute || numbers[cls].burst != call->burst) {
        double t_ms = 60000.0 / (double)per_minute;
        snprintf(numbers[cls].interval, sizeof numbers[cls].interval, "%.6f", t_ms);
        snprintf(numbers[cls].tolerance, sizeof numbers[cls].tolerance, "%.6f", t_ms * (double)call->burst);
        numbers[cls].per_minute = per_minute;
        numbers[cls].burst = call->burst;
    }
    memcpy(call->interval, numbers[cls].interval, sizeof call->interval);
    memcpy(call->tolerance, numbers[cls].tolerance, sizeof call->tolerance);
    time_t now = time(NULL);
    if (now != clock.second) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(clock.day, sizeof clock.day, "%Y%m%d", &tm);
        snprintf(clock.to_midnight, sizeof clock.to_midnight, "%d",
                 86400 - (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec));
        clock.second = now;
    }
    memcpy(call->day, clock.day, sizeof call->day);
    memcpy(call->to_midnight, clock.to_midnight, sizeof call->to_midnight);
    if (send_call(call) != 0) {
        free(call);
        return NULL;
    }
    return call;
}

/* Splits an entry id back into class, key and client (in place, on a copy). */
static void split_id(char *copy, const char **cls, const char **key, const char **client)
{
    *cls = copy;
    char *a = strchr(copy, '\n');
    *a = '\0';
    *key = a + 1;
    char *b = strchr(a + 1, '\n');
    *b = '\0';
    *client = b + 1;
}

/* Asks for the lease the entry needs now, if any; on failure to send, lets every waiting request through. */
static void refill(cong_worker_t *w, lease_entry_t *e)
{
    uint64_t now = uv_now(&w->loop);
    long ask = cong_lease_next_ask(&e->lease, now, (long)e->count, live_config(w)->rate_limits.lease_ttl_ms);
    if (ask <= 0)
        return;
    char copy[ID_MAX];
    const char *cls, *key, *client;
    memcpy(copy, e->id, sizeof copy);
    split_id(copy, &cls, &key, &client);
    if (start_call(w, &e->numbers, key, client, ask, e, (waiter_t){0}) != NULL)
        return;
    cong_lease_failed(&e->lease);
    cong_rate_decision_t d;
    allow_unlimited(&d);
    e->busy++;
    while (e->count > 0)
        decide(pop_waiting(e), &d, 1);
    e->busy--;
}

static void on_reply(int err, redisReply *reply, void *udata)
{
    limit_call_t *call = udata;
    int ok = err == 0 && reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == 5;
    if (!ok && err == 0 && reply != NULL && reply->type == REDIS_REPLY_ERROR && !call->retried &&
        strncmp(reply->str, "NOSCRIPT", 8) == 0) {
        call->retried = 1;
        if (send_call(call) == 0)
            return;
    }
    for (size_t i = 0; ok && i < 5; i++)
        ok = reply->element[i]->type == REDIS_REPLY_INTEGER;
    long granted = 0, remaining = 0, diff_ms = 0, retry_ms = 0;
    int quota = 0;
    if (ok) {
        granted = (long)reply->element[0]->integer;
        remaining = (long)reply->element[1]->integer;
        diff_ms = (long)reply->element[2]->integer;
        retry_ms = (long)reply->element[3]->integer;
        quota = reply->element[4]->integer != 0;
    }
    cong_worker_t *w = call->worker;
    cong_rate_decision_t d;
    if (call->alone.r != NULL) {
        if (!ok)
            allow_unlimited(&d);
        else if (granted > 0)
            d = (cong_rate_decision_t){.allowed = 1, .limit = call->burst, .remaining = remaining,
                                       .reset_s = (diff_ms + 999) / 1000};
        else
            d = (cong_rate_decision_t){.allowed = 0, .limit = call->burst, .remaining = 0,
                                       .reset_s = retry_ms > 0 ? (retry_ms + 999) / 1000 : 1};
        decide(call->alone, &d, !ok);
        free(call);
        return;
    }
    lease_entry_t *e = call->entry;
    long burst = call->burst;
    free(call);
    uint64_t now = uv_now(&w->loop);
    e->busy++;
    if (!ok) {
        cong_lease_failed(&e->lease);
        allow_unlimited(&d);
        while (e->count > 0)
            decide(pop_waiting(e), &d, 1);
    } else {
        cong_lease_granted(&e->lease, now, granted, remaining, diff_ms, retry_ms, quota,
                           live_config(w)->rate_limits.lease_ttl_ms);
        while (e->count > 0 && cong_lease_take(&e->lease, now, burst, &d) != 0)
            decide(pop_waiting(e), &d, 0);
    }
    e->busy--;
    refill(w, e); /* more waiting requests than tokens, or a hot key half spent */
}

/* One request's decision in the bucket `nb` (a class's or a plan's), the key's client's daily quota by `client`. */
static int check_numbers(cong_req_t *r, const cong_rate_bucket_t *nb, const char *key, const char *client,
                         cong_rate_decision_t *out, cong_rate_decided_fn decided)
{
    const cong_config_t *cfg = live_config(r->worker);
    pthread_once(&table_once, init_once);
    const char *cls = nb->bucket;
    long burst = nb->burst;
    cong_worker_t *w = r->worker;
    uint64_t now = uv_now(&w->loop);
    char id[ID_MAX];
    const char *const id_parts[] = {cls, "\n", key, "\n", client};
    int n = cong_rate_key_join(id, sizeof id, id_parts, 5);
    lease_table_t *t = worker_table();
    lease_entry_t *e = NULL;
    if (t != NULL && n > 0 && (size_t)n < sizeof id)
        e = find_entry(t, id, (size_t)n, cong_lease_cap(cfg->rate_limits.max_lease, burst), nb, now);
    if (e == NULL) { /* no room: this request asks Redis alone, exactly */
        if (start_call(w, nb, key, client, 1, NULL, (waiter_t){r, decided}) == NULL) {
            cong_counter_add(&w->metrics->rate_limit_unavailable, 1);
            allow_unlimited(out);
            return 1;
        }
        cong_req_retain(r);
        return 0;
    }
    if (e->count == 0) {
        int got = cong_lease_take(&e->lease, now, burst, out);
        if (got != 0) {
            if (got > 0)
                refill(w, e); /* ahead of need, when the key is hot */
            return 1;
        }
    }
    if (e->lease.asked == 0) { /* no lease under way (then nobody waits): ask for one */
        long ask = cong_lease_next_ask(&e->lease, now, (long)e->count + 1, cfg->rate_limits.lease_ttl_ms);
        if (ask <= 0 || start_call(w, nb, key, client, ask, e, (waiter_t){0}) == NULL) {
            cong_lease_failed(&e->lease);
            cong_counter_add(&w->metrics->rate_limit_unavailable, 1);
            allow_unlimited(out);
            return 1;
        }
    }
    if (push_waiting(e, r, decided) != 0) {
        allow_unlimited(out);
        return 1;
    }
    return 0; /* decided when the lease under way arrives */
}

static int redis_check(cong_rate_limiter_t *self, cong_req_t *r, const char *class_name, const char *key,
                       cong_rate_decision_t *out, cong_rate_decided_fn decided)
{
    (void)self;
    const cong_config_t *cfg = live_config(r->worker);
    if (!cfg->rate_limits.enabled || strcmp(class_name, "system") == 0) {
        allow_unlimited(out);
        return 1;
    }
    cong_rate_bucket_t nb = cong_rate_class_bucket(cfg, cong_rate_class_of(class_name));
    return check_numbers(r, &nb, key, r->principal.client_id ? r->principal.client_id : "", out, decided);
}

/* A plan: its own numbers; a daily quota alone (no per-minute rate) is a bucket that never limits by rate. The API
 * client's own daily quota is not counted again here (the route's class counted it). */
static int redis_check_plan(cong_rate_limiter_t *self, cong_req_t *r, const cong_rate_plan_t *plan, const char *key,
                            cong_rate_decision_t *out, cong_rate_decided_fn decided)
{
    (void)self;
    if (!live_config(r->worker)->rate_limits.enabled || (plan->per_minute <= 0 && plan->daily <= 0)) {
        allow_unlimited(out);
        return 1;
    }
    cong_rate_bucket_t nb = cong_rate_plan_bucket(plan);
    return check_numbers(r, &nb, key, "", out, decided);
}

/* Looks the key up without creating an entry and without asking Redis: only a refusal Redis already answered counts. */
static int redis_known_refused(cong_rate_limiter_t *self, cong_req_t *r, const char *class_name, const char *key,
                               long *retry_after_s)
{
    (void)self;
    const cong_config_t *cfg = live_config(r->worker);
    pthread_once(&table_once, init_once);
    lease_table_t *t = cfg->rate_limits.enabled ? pthread_getspecific(table_key) : NULL;
    char id[ID_MAX];
    const char *client = r->principal.client_id ? r->principal.client_id : "";
    const char *const id_parts[] = {cong_rate_class_name(cong_rate_class_of(class_name)), "\n", key, "\n", client};
    int n = cong_rate_key_join(id, sizeof id, id_parts, 5);
    if (t == NULL || n <= 0 || (size_t)n >= sizeof id)
        return 0;
    uint64_t h = fnv1a(id, (size_t)n), now = uv_now(&r->worker->loop);
    const lease_entry_t *set = &t->slots[(h % SETS) * WAYS];
    for (int w = 0; w < WAYS; w++) {
        const lease_entry_t *e = &set[w];
        if (e->hash != h || strcmp(e->id, id) != 0)
            continue;
        if (e->lease.tokens > 0 || e->lease.denied_until_ms <= now)
            return 0;
        long ms = (long)(e->lease.denied_until_ms - now);
        *retry_after_s = ms / 1000 + 1;
        return 1;
    }
    return 0;
}

cong_rate_limiter_t cong_rate_limiter_redis = {"redis-gcra", redis_check, redis_known_refused, redis_check_plan};
