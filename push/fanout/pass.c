/* push/fanout/pass.c — one page of one broadcast: PostgreSQL → the area log (first page) + delivery entries of the
 * recipients with a device → cursor (fanout.h). */
#include "fanout.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"
#include "push/live.h"
#include "push/pipeline.h"
#include "push/push.h"

static const char TAKE_SQL[] =
    "SELECT id, area_kind, ward_code, title_vi, body_vi, title_en, body_en, state, cursor, created_at,"
    " (extract(epoch FROM created_at) * 1000)::bigint, (extract(epoch FROM created_at) * 1000000)::bigint"
    " FROM push_broadcasts"
    " WHERE state IN ('queued', 'sending') ORDER BY updated_at, id LIMIT 1 FOR UPDATE SKIP LOCKED";
/* $1 ward (NULL: city-wide), $2 the broadcast's created_at, $3 the cursor, $4 the page. */
#define RECIPIENTS_WHERE " WHERE ($1::text IS NULL OR s.ward_code = $1) AND s.area_since <= $2::timestamptz"
static const char COUNT_SQL[] = "SELECT count(*) FROM push_subscribers s" RECIPIENTS_WHERE;
static const char START_SQL[] =
    "UPDATE push_broadcasts SET state = 'sending', started_at = now(), targeted = $2, updated_at = now()"
    " WHERE id = $1";
static const char PAGE_SQL[] =
    "SELECT s.subject, EXISTS (SELECT 1 FROM push_devices d WHERE d.subject = s.subject)"
    " FROM push_subscribers s" RECIPIENTS_WHERE " AND ($3::text IS NULL OR s.subject > $3)"
    " ORDER BY s.subject LIMIT $4";
static const char ADVANCE_SQL[] =
    "UPDATE push_broadcasts SET cursor = coalesce($2, cursor), delivered = delivered + $3, updated_at = now(),"
    " state = CASE WHEN $4 THEN 'done' ELSE state END, finished_at = CASE WHEN $4 THEN now() END WHERE id = $1";

/* Columns of TAKE_SQL. */
enum { B_ID, B_KIND, B_WARD, B_TITLE_VI, B_BODY_VI, B_TITLE_EN, B_BODY_EN, B_STATE, B_CURSOR, B_CREATED, B_AT_MS,
       B_AT_US };

/* Where this process's time went since its last "done" line (milliseconds): what the bench and an operator read to see
 * whether PostgreSQL paging or Redis is the limit. */
static struct {
    int64_t pages_ms, area_ms, entries_ms, commit_ms;
} spent;

typedef struct page {
    PGresult *b;        /* the broadcast's row */
    char event_key[40]; /* "broadcast:<id>" */
} page_t;

static const char *col(PGresult *r, int c) { return PQgetisnull(r, 0, c) ? NULL : PQgetvalue(r, 0, c); }

/* The area log's data (push/live.h): one text for everyone (it names nobody). malloc'd, or NULL. */
static char *live_data(const page_t *p)
{
    PGresult *b = p->b;
    json_t *d = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s?}}", "event_key", p->event_key, "topic",
                          PUSH_BROADCAST_TOPIC, "inbox_id", (json_int_t)strtoll(col(b, B_ID), NULL, 10), "title_vi",
                          col(b, B_TITLE_VI), "body_vi", col(b, B_BODY_VI), "title_en", col(b, B_TITLE_EN), "body_en",
                          col(b, B_BODY_EN), "data", "broadcast_id", col(b, B_ID), "area", col(b, B_KIND),
                          "ward_code", col(b, B_WARD));
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    return text;
}

/* The broadcast's one entry in its area log (the ward's, or the city's), once: a first page done again finds the
 * mark and appends (and publishes) nothing. */
static int area_append(relay_redis_t *redis, const page_t *p)
{
    char *data = live_data(p);
    if (!data)
        return CONG_ENOMEM;
    push_live_area_item_t item = {.ward_code = col(p->b, B_WARD), .event_key = p->event_key,
                                  .topic = PUSH_BROADCAST_TOPIC, .data_json = data,
                                  .made_us = strtoll(col(p->b, B_AT_US), NULL, 10)};
    int rc = push_live_area_append(redis->ctx, &item, NULL);
    free(data);
    return rc;
}

/* Appends the XADD of recipient `subject` to the pipeline. */
static int append_entry(relay_redis_t *redis, const page_t *p, json_t *payload, const char *subject)
{
    static const char stream[] = PUSH_EVENT_STREAM_PREFIX PUSH_BROADCAST_TOPIC;
    char *buf = NULL;
    size_t len = 0;
    json_object_set_new(payload, "subject", json_string(subject));
    int rc = cong_event_encode(PUSH_BROADCAST_TOPIC, strtoll(col(p->b, B_AT_MS), NULL, 10), p->event_key, payload,
                               &buf, &len);
    if (rc != CONG_OK)
        return rc;
    const char *argv[] = {"XADD", stream, "MAXLEN", "~", CONG_EVENT_STREAM_MAXLEN, "*", "m", buf};
    size_t argvlen[] = {4, sizeof stream - 1, 6, 1, strlen(CONG_EVENT_STREAM_MAXLEN), 1, 1, len};
    rc = redisAppendCommandArgv(redis->ctx, 8, argv, argvlen) == REDIS_OK ? CONG_OK : CONG_EUNAVAILABLE;
    free(buf);
    return rc;
}

/* One XADD per recipient of `rows` with a device, written to Redis (not waited for): *sent of them. */
static int entries_send(relay_redis_t *redis, const page_t *p, PGresult *rows, int *sent)
{
    PGresult *b = p->b;
    json_t *payload = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "broadcast_id", col(b, B_ID), "title_vi",
                                col(b, B_TITLE_VI), "body_vi", col(b, B_BODY_VI), "title_en", col(b, B_TITLE_EN),
                                "body_en", col(b, B_BODY_EN), "live_done", 1);
    int rc = payload ? CONG_OK : CONG_ENOMEM, done = 0;
    *sent = 0;
    for (int i = 0; i < PQntuples(rows) && rc == CONG_OK; i++)
        if (PQgetvalue(rows, i, 1)[0] == 't' && (rc = append_entry(redis, p, payload, PQgetvalue(rows, i, 0))) ==
                                                     CONG_OK)
            (*sent)++;
    json_decref(payload);
    while (rc == CONG_OK && !done) /* out to Redis now: it works on them while PostgreSQL pages */
        if (redisBufferWrite(redis->ctx, &done) != REDIS_OK)
            rc = CONG_EUNAVAILABLE;
    return rc;
}

/* The replies of `sent` XADDs. */
static int entries_read(relay_redis_t *redis, int sent)
{
    int rc = CONG_OK;
    for (int i = 0; i < sent; i++) {
        redisReply *r = NULL;
        if (redisGetReply(redis->ctx, (void **)&r) != REDIS_OK || !r)
            return CONG_EUNAVAILABLE;
        if (r->type == REDIS_REPLY_ERROR)
            rc = CONG_EQUERY;
        freeReplyObject(r);
    }
    return rc;
}

/* The first page: 'sending', and the recipients counted. */
static int start(relay_pg_t *pg, PGresult *b)
{
    const char *params[] = {col(b, B_WARD), col(b, B_CREATED)};
    PGresult *count;
    int rc = relay_pg_query(pg, COUNT_SQL, 2, params, &count);
    if (rc != CONG_OK)
        return rc;
    const char *start_params[] = {col(b, B_ID), PQgetvalue(count, 0, 0)};
    rc = relay_pg_exec(pg, START_SQL, 2, start_params);
    relay_log_info("broadcast %s: started, %s recipients", col(b, B_ID), PQgetvalue(count, 0, 0));
    PQclear(count);
    return rc;
}

/* The page of recipients after `after` (NULL: from the first). */
static int page_query(relay_pg_t *pg, const page_t *p, const char *after, int limit, PGresult **rows)
{
    char text[16];
    snprintf(text, sizeof text, "%d", limit);
    const char *params[] = {col(p->b, B_WARD), col(p->b, B_CREATED), after, text};
    int64_t t0 = relay_now_ms();
    int rc = relay_pg_query(pg, PAGE_SQL, 4, params, rows);
    spent.pages_ms += relay_now_ms() - t0;
    return rc;
}

/* What a pass did: recipients, the last of them, whether the broadcast is done. */
typedef struct pass_state {
    int limit, pages_max;
    long long recipients;
    PGresult *last;     /* the last page read */
    char *cursor;       /* the last recipient done (malloc'd), NULL when none */
    int done;
} pass_state_t;

/* Up to pages_max pages from the cursor, each sent to Redis while PostgreSQL reads the next one; all Redis replies
 * are read before this returns, so the caller commits only what Redis took. Between pages, the workers' backlog is
 * checked again: no page is sent while they are behind. On failure the Redis connection is dropped (the caller rolls
 * back: the whole pass is done again). */
static int pages(relay_pg_t *pg, relay_redis_t *redis, const fanout_config_t *cfg, page_t *p, pass_state_t *st)
{
    PGresult *rows = NULL;
    int rc = page_query(pg, p, col(p->b, B_CURSOR), st->limit, &rows);
    int64_t t0 = relay_now_ms();
    if (rc == CONG_OK && col(p->b, B_CURSOR) == NULL)
        rc = area_append(redis, p); /* the first page: the broadcast's one entry in its area log */
    spent.area_ms += relay_now_ms() - t0;
    for (int k = 0; rc == CONG_OK; k++) {
        PQclear(st->last);
        st->last = rows;
        rows = NULL;
        int n = PQntuples(st->last), sent = 0;
        st->recipients += n;
        if (n > 0) {
            free(st->cursor);
            if ((st->cursor = strdup(PQgetvalue(st->last, n - 1, 0))) == NULL)
                rc = CONG_ENOMEM;
        }
        st->done = n < st->limit;
        t0 = relay_now_ms();
        if (rc == CONG_OK)
            rc = entries_send(redis, p, st->last, &sent);
        spent.entries_ms += relay_now_ms() - t0;
        int more = rc == CONG_OK && !st->done && k + 1 < st->pages_max;
        if (more) /* PostgreSQL reads the next page while Redis adds these entries */
            rc = page_query(pg, p, st->cursor, st->limit, &rows);
        t0 = relay_now_ms();
        int read_rc = redis->ctx && !redis->ctx->err ? entries_read(redis, sent) : CONG_EUNAVAILABLE;
        spent.entries_ms += relay_now_ms() - t0;
        if (rc == CONG_OK)
            rc = read_rc;
        if (rc != CONG_OK || !more)
            break;
        int behind = fanout_redis_backlogged(redis, cfg->max_backlog);
        if (behind != 0) { /* behind, or Redis lost while asking (its connection is dropped): either way every
                              entry sent so far was acknowledged, so it is committed; the next pass waits */
            rc = CONG_OK;
            break;
        }
    }
    PQclear(rows);
    if (rc != CONG_OK && redis->ctx)
        relay_redis_down(redis, redis->ctx->err ? redis->ctx->errstr : "a command failed");
    return rc;
}

/* In the transaction holding the broadcast's row: the pages, sent, and the cursor advanced. */
static int do_pass(relay_pg_t *pg, relay_redis_t *redis, const fanout_config_t *cfg, page_t *p, int *worked)
{
    PGresult *b = p->b;
    int rc = strcmp(col(b, B_STATE), "queued") == 0 ? start(pg, b) : CONG_OK;
    if (rc != CONG_OK)
        return rc;
    pass_state_t st = {.limit = cfg->page < cfg->rate ? cfg->page : cfg->rate};
    st.pages_max = cfg->rate / st.limit; /* about a second of --rate a pass */
    st.pages_max = st.pages_max < 1 ? 1 : st.pages_max > FANOUT_PAGES_PER_PASS_MAX ? FANOUT_PAGES_PER_PASS_MAX
                                                                                   : st.pages_max;
    rc = pages(pg, redis, cfg, p, &st);
    if (rc == CONG_OK) {
        char count[24];
        snprintf(count, sizeof count, "%lld", st.recipients);
        const char *advance[] = {col(b, B_ID), st.cursor, count,
                                 st.done ? "true" : "false"};
        rc = relay_pg_exec(pg, ADVANCE_SQL, 4, advance);
    }
    if (rc == CONG_OK && st.done) {
        relay_log_info("broadcast %s: done; ms spent in recipients' pages %lld, area log %lld, delivery entries %lld,"
                       " commits %lld", col(b, B_ID), (long long)spent.pages_ms, (long long)spent.area_ms,
                       (long long)spent.entries_ms, (long long)spent.commit_ms);
        spent.pages_ms = spent.area_ms = spent.entries_ms = spent.commit_ms = 0;
    }
    PQclear(st.last);
    free(st.cursor);
    *worked = st.recipients > 0 ? (int)st.recipients : 1; /* the last, empty page is work too: the next pass at once */
    return rc;
}

int fanout_pass(relay_pg_t *pg, relay_redis_t *redis, const fanout_config_t *cfg, int *worked)
{
    *worked = 0;
    if (relay_redis_ensure(redis) != CONG_OK)
        return CONG_EUNAVAILABLE;
    int behind = fanout_redis_backlogged(redis, cfg->max_backlog);
    if (behind != 0) {
        if (behind > 0)
            relay_log_failure("backlog", "the delivery workers are more than %d entries behind: waiting",
                              cfg->max_backlog);
        return behind < 0 ? CONG_EUNAVAILABLE : CONG_OK;
    }
    int rc = relay_pg_exec(pg, "BEGIN", 0, NULL);
    /* A commit lost in a crash of PostgreSQL is a pass done again, which is safe (fanout.h): no need to wait for the
     * WAL's flush at each commit. */
    if (rc == CONG_OK)
        rc = relay_pg_exec(pg, "SET LOCAL synchronous_commit TO off", 0, NULL);
    page_t p = {0};
    if (rc == CONG_OK)
        rc = relay_pg_query(pg, TAKE_SQL, 0, NULL, &p.b);
    if (rc == CONG_OK && PQntuples(p.b) == 1) {
        snprintf(p.event_key, sizeof p.event_key, "broadcast:%s", col(p.b, B_ID));
        rc = do_pass(pg, redis, cfg, &p, worked);
    }
    int64_t t0 = relay_now_ms();
    rc = rc == CONG_OK ? relay_pg_exec(pg, "COMMIT", 0, NULL) : (relay_pg_rollback(pg), rc);
    spent.commit_ms += relay_now_ms() - t0;
    if (rc != CONG_OK)
        *worked = 0;
    PQclear(p.b);
    return rc;
}
