/* push/worker/retry.c — the retry set PUSH_RETRY_KEY (push/pipeline.h step 3 and "Retries due"): scheduling with
 * backoff or the provider's Retry-After, and taking due members under a lease (worker.h). */
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cong/errors.h"
#include "push/pipeline.h"

/* KEYS: the retry set. ARGV: now ms, lease end ms, count. Due members are moved to the lease end and answered. */
static const char TAKE_LUA[] =
    "local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))\n"
    "for _, m in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', ARGV[2], m) end\n"
    "return due\n";

static const char DEVICES_SQL[] =
    "SELECT subject, id, session_id, platform, token, locale FROM push_devices WHERE id = ANY($1::uuid[])";

int64_t worker_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The delay before attempt `next` (2, 3...): base doubling, jittered ±25 %, capped; the Retry-After when longer. */
static int64_t backoff_ms(worker_t *w, int next, int retry_after_s)
{
    int64_t d = w->cfg->retry_base_ms;
    for (int i = 2; i < next && d < w->cfg->retry_max_ms; i++)
        d *= 2;
    if (d > w->cfg->retry_max_ms)
        d = w->cfg->retry_max_ms;
    d = d * 3 / 4 + (int64_t)(rand_r(&w->seed) % (unsigned)(d / 2 + 1));
    if ((int64_t)retry_after_s * 1000 > d)
        d = (int64_t)retry_after_s * 1000;
    return d;
}

push_outcome_t worker_retry_schedule(worker_t *w, const worker_send_t *s, int *commands)
{
    int64_t now = worker_wall_ms();
    int64_t born = strtoll(s->ev->entry_id, NULL, 10); /* a stream id starts with its entry's ms */
    if (now - born > (int64_t)w->cfg->retry_max_age_s * 1000)
        return PUSH_DROP;
    int next = s->attempt + 1;
    char member[600], key[200], value[24];
    snprintf(member, sizeof member, "%s\n%s\n%s\n%s\n%d", s->ev->topic, s->ev->entry_id, s->ev->event_key,
             s->device_id, next);
    snprintf(key, sizeof key, "%s%s", PUSH_DELIVERY_MARK_PREFIX, s->ev->event_key);
    snprintf(value, sizeof value, "retry:%d", next);
    char due[24];
    snprintf(due, sizeof due, "%lld", (long long)(now + backoff_ms(w, next, s->result.retry_after_s)));
    redisAppendCommand(w->redis.ctx, "ZADD %s %s %s", PUSH_RETRY_KEY, due, member);
    redisAppendCommand(w->redis.ctx, "HSET %s %s %s", key, s->device_id, value);
    redisAppendCommand(w->redis.ctx, "EXPIRE %s %d", key, PUSH_DELIVERY_MARK_TTL_S);
    *commands = 3;
    if (s->retry_member)
        redisAppendCommand(w->redis.ctx, "ZREM %s %s", PUSH_RETRY_KEY, s->retry_member), (*commands)++;
    return PUSH_RETRY;
}

/* A member "<topic>\n<entry id>\n<event key>\n<device id>\n<attempt>" split in place. */
typedef struct retry_item {
    char *member, *topic, *entry_id, *event_key, *device_id;
    int attempt, state; /* state: 0 to send, 1 stale (removed without sending) */
} retry_item_t;

static int split(retry_item_t *it)
{
    char *f[5], *p = it->member;
    for (int i = 0; i < 5; i++) {
        f[i] = p;
        p = i < 4 ? strchr(p, '\n') : NULL;
        if (i < 4 && !p)
            return -1;
        if (p)
            *p++ = '\0';
    }
    it->topic = f[0], it->entry_id = f[1], it->event_key = f[2], it->device_id = f[3];
    it->attempt = atoi(f[4]);
    size_t n = strlen(it->device_id);
    return it->attempt >= 2 && n == 36 && strspn(it->device_id, "0123456789abcdef-") == n ? 0 : -1; /* a uuid */
}

static void forget(worker_t *w, const char *member, const char *why)
{
    relay_log_failure("retry", "a retry was removed without sending: %s", why);
    freeReplyObject(redisCommand(w->redis.ctx, "ZREM %s %b", PUSH_RETRY_KEY, member, strlen(member)));
}

/* Loads each item's event (XRANGE of its entry) into evs[i]; an item whose entry is gone is forgotten. */
static int load_events(worker_t *w, retry_item_t *items, int n, worker_event_t *evs)
{
    for (int i = 0; i < n; i++)
        redisAppendCommand(w->redis.ctx, "XRANGE %s%s %s %s", PUSH_EVENT_STREAM_PREFIX, items[i].topic,
                           items[i].entry_id, items[i].entry_id);
    for (int i = 0; i < n; i++) {
        redisReply *r = NULL;
        if (redisGetReply(w->redis.ctx, (void **)&r) != REDIS_OK) {
            relay_redis_down(&w->redis, w->redis.ctx->errstr);
            return CONG_EUNAVAILABLE;
        }
        const redisReply *e = r->type == REDIS_REPLY_ARRAY && r->elements == 1 ? r->element[0] : NULL;
        const redisReply *fields = e && e->elements == 2 ? e->element[1] : NULL;
        const char *m = NULL;
        size_t len = 0;
        for (size_t f = 0; fields && f + 1 < fields->elements; f += 2)
            if (strcmp(fields->element[f]->str, "m") == 0)
                m = fields->element[f + 1]->str, len = fields->element[f + 1]->len;
        worker_event_parse(&evs[i], items[i].topic, items[i].entry_id, m, len);
        freeReplyObject(r);
        if (!evs[i].event_key || strcmp(evs[i].event_key, items[i].event_key) != 0)
            items[i].state = 1;
    }
    return CONG_OK;
}

/* An item is stale unless its mark is "retry:<its attempt>" (else it was sent, dropped, or rescheduled). */
static int check_marks(worker_t *w, retry_item_t *items, int n)
{
    for (int i = 0; i < n; i++)
        redisAppendCommand(w->redis.ctx, "HGET %s%s %s", PUSH_DELIVERY_MARK_PREFIX, items[i].event_key,
                           items[i].device_id);
    for (int i = 0; i < n; i++) {
        redisReply *r = NULL;
        if (redisGetReply(w->redis.ctx, (void **)&r) != REDIS_OK) {
            relay_redis_down(&w->redis, w->redis.ctx->errstr);
            return CONG_EUNAVAILABLE;
        }
        char want[24];
        snprintf(want, sizeof want, "retry:%d", items[i].attempt);
        if (r->type != REDIS_REPLY_STRING || strcmp(r->str, want) != 0)
            items[i].state = 1;
        freeReplyObject(r);
    }
    return CONG_OK;
}

static PGresult *load_devices(worker_t *w, retry_item_t *items, int n)
{
    char *ids = malloc((size_t)n * 40 + 3), *p = ids;
    if (!ids)
        return NULL;
    *p++ = '{';
    for (int i = 0; i < n; i++)
        if (items[i].state == 0)
            p += sprintf(p, "%s%s", p > ids + 1 ? "," : "", items[i].device_id);
    strcpy(p, "}");
    PGresult *res = NULL;
    const char *params[] = {ids};
    if (relay_pg_ensure(&w->pg) != CONG_OK || relay_pg_query(&w->pg, DEVICES_SQL, 1, params, &res) != CONG_OK)
        res = NULL;
    free(ids);
    return res;
}

/* The sends of the items still to send whose device is there; an item without its device is forgotten. */
static int make_sends(worker_t *w, retry_item_t *items, int n, worker_event_t *evs, PGresult *devs,
                      worker_send_t *sends)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        int row = -1;
        for (int r = 0; items[i].state == 0 && r < PQntuples(devs); r++)
            if (strcmp(PQgetvalue(devs, r, 1), items[i].device_id) == 0)
                row = r;
        if (items[i].state != 0 || row < 0 || worker_platform(PQgetvalue(devs, row, 3)) < 0) {
            forget(w, items[i].member, items[i].state ? "already done, or its event is gone" : "device gone");
            continue;
        }
        worker_send_t *s = &sends[k++];
        *s = (worker_send_t){.ev = &evs[i], .attempt = items[i].attempt,
                             .platform = worker_platform(PQgetvalue(devs, row, 3)),
                             .token = strdup(PQgetvalue(devs, row, 4))};
        snprintf(s->device_id, sizeof s->device_id, "%s", items[i].device_id);
        snprintf(s->session_id, sizeof s->session_id, "%s", PQgetvalue(devs, row, 2));
        snprintf(s->locale, sizeof s->locale, "%s", PQgetvalue(devs, row, 5));
        s->retry_member = strdup(items[i].member);
    }
    return k;
}

static void handle(worker_t *w, retry_item_t *items, int n)
{
    worker_event_t *evs = calloc((size_t)n, sizeof *evs);
    worker_send_t *sends = calloc((size_t)n, sizeof *sends);
    PGresult *devs = NULL;
    if (evs && sends && load_events(w, items, n, evs) == CONG_OK && check_marks(w, items, n) == CONG_OK &&
        worker_events_texts(w, evs, n) == CONG_OK && (devs = load_devices(w, items, n)) != NULL) {
        for (int i = 0; i < n; i++)
            if (items[i].state == 0 && !evs[i].has_texts)
                items[i].state = 1;
        int k = make_sends(w, items, n, evs, devs, sends);
        worker_deliver_sends(w, sends, k);
        for (int i = 0; i < k; i++)
            worker_send_free(&sends[i]);
    } /* else: a store failed; the lease runs out and the items come due again */
    PQclear(devs);
    for (int i = 0; evs && i < n; i++)
        worker_event_free(&evs[i]);
    free(evs);
    free(sends);
}

int worker_retry_pass(worker_t *w, int *taken)
{
    *taken = 0;
    int64_t now = worker_wall_ms();
    redisReply *r = redisCommand(w->redis.ctx, "EVAL %s 1 %s %lld %lld %d", TAKE_LUA, PUSH_RETRY_KEY, (long long)now,
                                 (long long)(now + w->cfg->claim_idle_ms), w->cfg->batch);
    if (!worker_reply_ok(&w->redis, r, "retry lease")) {
        freeReplyObject(r);
        return w->redis.ctx ? CONG_EQUERY : CONG_EUNAVAILABLE;
    }
    int n = (int)r->elements;
    retry_item_t *items = calloc((size_t)n + 1, sizeof *items);
    int k = 0;
    for (int i = 0; items && i < n; i++) {
        char *m = strndup(r->element[i]->str, r->element[i]->len);
        retry_item_t it = {.member = m};
        char *copy = strdup(m);
        if (split(&it) != 0) {
            forget(w, copy, "not a retry member");
            free(m);
            free(copy);
        } else {
            items[k] = it;
            items[k++].member = copy; /* the whole member, for ZREM; it.member's fields point into m */
        }
    }
    freeReplyObject(r);
    *taken = k;
    if (k > 0)
        handle(w, items, k);
    for (int i = 0; i < k; i++)
        free(items[i].member), free(items[i].topic); /* topic is the start of the split buffer */
    free(items);
    return CONG_OK;
}
