/* push/worker/streams.c — the event streams of the consumer group: topics, groups, new and reclaimed entries,
 * acknowledgements and old consumers (worker.h, push/pipeline.h). */
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"
#include "push/pipeline.h"

#define TOPICS_EVERY_MS 60000
#define CONSUMERS_EVERY_MS 300000
#define CONSUMER_IDLE_MS 3600000LL

static const char TOPICS_SQL[] = "SELECT topic FROM push_templates ORDER BY topic";

static void stream_key(char *out, size_t size, const char *topic)
{
    snprintf(out, size, "%s%s", PUSH_EVENT_STREAM_PREFIX, topic);
}

static void set_topics(worker_t *w, PGresult *res)
{
    for (int i = 0; i < w->ntopics; i++)
        free(w->topics[i]);
    w->ntopics = 0;
    w->topics[w->ntopics++] = strdup(PUSH_BROADCAST_TOPIC);
    for (int i = 0; i < PQntuples(res) && w->ntopics < WORKER_MAX_TOPICS; i++)
        if (strcmp(PQgetvalue(res, i, 0), PUSH_BROADCAST_TOPIC) != 0)
            w->topics[w->ntopics++] = strdup(PQgetvalue(res, i, 0));
    w->groups_generation = 0; /* new topics: their groups are made */
}

static int make_groups(worker_t *w)
{
    for (int i = 0; i < w->ntopics; i++) {
        char key[128];
        stream_key(key, sizeof key, w->topics[i]);
        redisReply *r = redisCommand(w->redis.ctx, "XGROUP CREATE %s %s 0 MKSTREAM", key, PUSH_GROUP);
        if (!r) {
            relay_redis_down(&w->redis, w->redis.ctx->errstr);
            return CONG_EUNAVAILABLE;
        }
        int busy = r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) == 0;
        if (r->type == REDIS_REPLY_ERROR && !busy) {
            relay_log_failure("redis-group", "XGROUP CREATE %s: %s", key, r->str);
            freeReplyObject(r);
            return CONG_EQUERY;
        }
        freeReplyObject(r);
    }
    w->groups_generation = w->redis.generation;
    return CONG_OK;
}

int worker_streams_prepare(worker_t *w)
{
    int64_t now = relay_now_ms();
    if (w->ntopics == 0 || now >= w->topics_at_ms) {
        PGresult *res = NULL;
        int rc = relay_pg_ensure(&w->pg);
        if (rc == CONG_OK)
            rc = relay_pg_query(&w->pg, TOPICS_SQL, 0, NULL, &res);
        if (rc == CONG_OK) {
            set_topics(w, res);
            PQclear(res);
            w->topics_at_ms = now + TOPICS_EVERY_MS;
        } else if (w->ntopics == 0) {
            return rc; /* nothing to read before the first list */
        }
    }
    int rc = relay_redis_ensure(&w->redis);
    if (rc == CONG_OK && w->groups_generation != w->redis.generation)
        rc = make_groups(w);
    return rc;
}

/* Adds the entries of one stream's reply array (each [id, [field, value...]]) to evs. */
static void add_entries(worker_t *w, const char *topic, const redisReply *entries, worker_event_t *evs, int *n)
{
    for (size_t i = 0; entries && i < entries->elements && *n < w->cfg->batch; i++) {
        const redisReply *e = entries->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING)
            continue;
        const redisReply *fields = e->element[1];
        const char *m = NULL;
        size_t m_len = 0;
        for (size_t f = 0; fields->type == REDIS_REPLY_ARRAY && f + 1 < fields->elements; f += 2)
            if (strcmp(fields->element[f]->str, "m") == 0)
                m = fields->element[f + 1]->str, m_len = fields->element[f + 1]->len;
        worker_event_t *ev = &evs[(*n)++];
        if (worker_event_parse(ev, topic, e->element[0]->str, m, m_len) != CONG_OK)
            relay_log_failure("event", "%s%s %s is not an event: acknowledged without delivery",
                              PUSH_EVENT_STREAM_PREFIX, topic, e->element[0]->str);
    }
}

/* XAUTOCLAIM on every stream until the batch is full. 0 or CONG_E*. */
static int reclaim(worker_t *w, worker_event_t *evs, int *n)
{
    char idle[24], count[24];
    snprintf(idle, sizeof idle, "%d", w->cfg->claim_idle_ms);
    for (int t = 0; t < w->ntopics && *n < w->cfg->batch; t++) {
        char key[128];
        stream_key(key, sizeof key, w->topics[t]);
        snprintf(count, sizeof count, "%d", w->cfg->batch - *n);
        const char *argv[] = {"XAUTOCLAIM", key, PUSH_GROUP, w->consumer, idle, "0-0", "COUNT", count};
        redisReply *r = redisCommandArgv(w->redis.ctx, 8, argv, NULL);
        if (!worker_reply_ok(&w->redis, r, "XAUTOCLAIM")) {
            if (!w->redis.ctx)
                return CONG_EUNAVAILABLE;
            freeReplyObject(r);
            w->groups_generation = 0; /* NOGROUP: a stream was deleted; the groups are made again */
            return CONG_EQUERY;
        }
        if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2)
            add_entries(w, w->topics[t], r->element[1], evs, n);
        freeReplyObject(r);
    }
    return CONG_OK;
}

static int read_new(worker_t *w, worker_event_t *evs, int *n)
{
    int argc = 0, nt = w->ntopics;
    const char **argv = calloc((size_t)(10 + 2 * nt), sizeof *argv);
    char (*keys)[128] = calloc((size_t)nt, sizeof *keys);
    char count[24], block[24];
    if (!argv || !keys) {
        free(argv), free(keys);
        return CONG_ENOMEM;
    }
    snprintf(count, sizeof count, "%d", w->cfg->batch);
    snprintf(block, sizeof block, "%d", w->cfg->block_ms);
    const char *head[] = {"XREADGROUP", "GROUP", PUSH_GROUP, w->consumer, "COUNT", count, "BLOCK", block, "STREAMS"};
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
        argv[argc++] = head[i];
    for (int t = 0; t < nt; t++)
        stream_key(keys[t], sizeof keys[t], w->topics[t]), argv[argc++] = keys[t];
    for (int t = 0; t < nt; t++)
        argv[argc++] = ">";
    redisReply *r = redisCommandArgv(w->redis.ctx, argc, argv, NULL);
    free(argv);
    free(keys);
    if (!worker_reply_ok(&w->redis, r, "XREADGROUP")) {
        if (!w->redis.ctx)
            return CONG_EUNAVAILABLE;
        freeReplyObject(r);
        w->groups_generation = 0; /* NOGROUP: a stream was deleted; the groups are made again */
        return CONG_EQUERY;
    }
    for (size_t s = 0; r->type == REDIS_REPLY_ARRAY && s < r->elements; s++) {
        const redisReply *stream = r->element[s];
        if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2)
            continue;
        const char *topic = stream->element[0]->str + strlen(PUSH_EVENT_STREAM_PREFIX);
        add_entries(w, topic, stream->element[1], evs, n);
    }
    freeReplyObject(r);
    return CONG_OK;
}

int worker_streams_next(worker_t *w, worker_event_t *evs, int *nevs, int *reclaimed)
{
    *nevs = 0;
    *reclaimed = 0;
    int64_t now = relay_now_ms();
    if (now >= w->claim_at_ms) {
        int rc = reclaim(w, evs, nevs);
        if (rc != CONG_OK)
            return rc;
        /* A full batch may have left more behind: claim again at once, else in claim_every_ms. */
        w->claim_at_ms = *nevs == w->cfg->batch ? now : now + w->cfg->claim_every_ms;
        if (*nevs > 0) {
            *reclaimed = 1;
            return CONG_OK;
        }
    }
    return read_new(w, evs, nevs);
}

int worker_streams_ack(worker_t *w, worker_event_t *evs, int nevs)
{
    int sent = 0;
    for (int i = 0; i < nevs; i++) {
        if (!evs[i].ok || evs[i].unfinished > 0)
            continue;
        char key[128];
        stream_key(key, sizeof key, evs[i].topic);
        if (redisAppendCommand(w->redis.ctx, "XACK %s %s %s", key, PUSH_GROUP, evs[i].entry_id) != REDIS_OK)
            break;
        sent++;
    }
    for (int i = 0; i < sent; i++) {
        redisReply *r = NULL;
        if (redisGetReply(w->redis.ctx, (void **)&r) != REDIS_OK) {
            relay_redis_down(&w->redis, w->redis.ctx->errstr);
            return CONG_EUNAVAILABLE;
        }
        if (r && r->type == REDIS_REPLY_INTEGER)
            w->totals.acked += r->integer;
        freeReplyObject(r);
    }
    return CONG_OK;
}

/* XINFO CONSUMERS of one stream: deletes those idle for an hour without pending entries (never this one). */
static void prune_stream(worker_t *w, const char *key)
{
    redisReply *r = redisCommand(w->redis.ctx, "XINFO CONSUMERS %s %s", key, PUSH_GROUP);
    if (!worker_reply_ok(&w->redis, r, "XINFO CONSUMERS")) {
        freeReplyObject(r);
        return;
    }
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *c = r->element[i];
        const char *name = NULL;
        long long pending = -1, idle = 0;
        for (size_t f = 0; c->type == REDIS_REPLY_ARRAY && f + 1 < c->elements; f += 2) {
            const char *k = c->element[f]->str;
            const redisReply *v = c->element[f + 1];
            if (strcmp(k, "name") == 0) name = v->str;
            else if (strcmp(k, "pending") == 0) pending = v->integer;
            else if (strcmp(k, "idle") == 0) idle = v->integer;
        }
        if (name && pending == 0 && idle > CONSUMER_IDLE_MS && strcmp(name, w->consumer) != 0)
            freeReplyObject(redisCommand(w->redis.ctx, "XGROUP DELCONSUMER %s %s %s", key, PUSH_GROUP, name));
    }
    freeReplyObject(r);
}

void worker_streams_prune(worker_t *w)
{
    int64_t now = relay_now_ms();
    if (now < w->consumers_at_ms || !w->redis.ctx)
        return;
    w->consumers_at_ms = now + CONSUMERS_EVERY_MS;
    for (int t = 0; t < w->ntopics && w->redis.ctx; t++) {
        char key[128];
        stream_key(key, sizeof key, w->topics[t]);
        prune_stream(w, key);
    }
}
