/* push/worker/deliver.c — steps 2 and 3 of push/pipeline.h: the person's devices not yet marked, their sessions
 * checked in one round trip, the sends platform by platform, and each outcome written with its mark (worker.h). */
#include "worker.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cong/errors.h"
#include "push/pipeline.h"

static const char DEVICES_SQL[] =
    "SELECT subject, id, session_id, platform, token, locale FROM push_devices WHERE subject = ANY($1::text[])";
static const char DELETE_ENDED_SQL[] = "DELETE FROM push_devices WHERE id = $1 AND session_id = $2";
static const char DELETE_GONE_SQL[] = "DELETE FROM push_devices WHERE id = $1 AND token = $2";

static const char *const PLATFORM_NAMES[WORKER_PLATFORMS] = {"fcm", "apns"};

int worker_platform(const char *name)
{
    for (int i = 0; i < WORKER_PLATFORMS; i++)
        if (strcmp(name, PLATFORM_NAMES[i]) == 0)
            return i;
    return -1;
}

void worker_send_free(worker_send_t *s)
{
    free(s->token);
    free(s->retry_member);
}

static void mark_key(char *out, size_t size, const worker_event_t *ev)
{
    snprintf(out, size, "%s%s", PUSH_DELIVERY_MARK_PREFIX, ev->event_key);
}

/* ---- the sessions ---- */

/* Pipelined EXISTS cong:session:<sid> + ZSCORE cong:revoked <sid> for every send; ended ones get skip = 2. */
static int check_sessions(worker_t *w, worker_send_t *sends, int n)
{
    if (relay_redis_ensure(&w->redis) != CONG_OK)
        return CONG_EUNAVAILABLE;
    for (int i = 0; i < n; i++) {
        redisAppendCommand(w->redis.ctx, "EXISTS cong:session:%s", sends[i].session_id);
        redisAppendCommand(w->redis.ctx, "ZSCORE cong:revoked %s", sends[i].session_id);
    }
    long long now_s = (long long)time(NULL);
    for (int i = 0; i < n; i++) {
        redisReply *exists = NULL, *score = NULL;
        if (redisGetReply(w->redis.ctx, (void **)&exists) != REDIS_OK ||
            redisGetReply(w->redis.ctx, (void **)&score) != REDIS_OK) {
            freeReplyObject(exists);
            relay_redis_down(&w->redis, w->redis.ctx->errstr);
            return CONG_EUNAVAILABLE;
        }
        int live = exists->type == REDIS_REPLY_INTEGER && exists->integer == 1;
        int revoked = score->type == REDIS_REPLY_STRING && strtoll(score->str, NULL, 10) > now_s;
        if (!live || revoked)
            sends[i].skip = 2;
        freeReplyObject(exists);
        freeReplyObject(score);
    }
    return CONG_OK;
}

/* A device whose session ended gets nothing and its row goes. */
static void end_device(worker_t *w, worker_send_t *s)
{
    const char *params[] = {s->device_id, s->session_id};
    if (relay_pg_ensure(&w->pg) != CONG_OK || relay_pg_exec(&w->pg, DELETE_ENDED_SQL, 2, params) != CONG_OK) {
        s->ev->ok = 0;
        return;
    }
    w->totals.ended++;
    if (s->retry_member && w->redis.ctx)
        freeReplyObject(redisCommand(w->redis.ctx, "ZREM %s %s", PUSH_RETRY_KEY, s->retry_member));
    if (s->ev->broadcast && w->redis.ctx) {
        char key[160];
        snprintf(key, sizeof key, PUSH_BROADCAST_PROGRESS_FMT, s->ev->inbox_id);
        freeReplyObject(redisCommand(w->redis.ctx, "HINCRBY %s devices_failed 1", key));
    }
    s->ev->unfinished--;
}

/* ---- the sends ---- */

/* apns-id: a UUID made from the event key and the device, the same for a resend (the phone shows it once). */
static void event_uuid(const worker_send_t *s, char out[37])
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    char in[400];
    int n = snprintf(in, sizeof in, "%s\n%s", s->ev->event_key, s->device_id);
    SHA256((const unsigned char *)in, (size_t)n, d);
    d[6] = (unsigned char)((d[6] & 0x0f) | 0x40);
    d[8] = (unsigned char)((d[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", d[0], d[1], d[2], d[3],
             d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]);
}

typedef struct message_buffers {
    char uuid[37];
    char *data_json;
} message_buffers_t;

static void build_message(const worker_send_t *s, push_message_t *m, message_buffers_t *b)
{
    const worker_event_t *ev = s->ev;
    int en = strcmp(s->locale, "en") == 0;
    event_uuid(s, b->uuid);
    json_t *data =
        json_pack("{s:s, s:s, s:s}", "topic", ev->topic, "event_key", ev->event_key, "inbox_id", ev->inbox_id);
    b->data_json = data ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);
    *m = (push_message_t){.device_token = s->token,
                          .title = ev->texts[en ? 2 : 0],
                          .body = ev->texts[en ? 3 : 1],
                          .data_json = b->data_json,
                          .collapse_id = strlen(ev->event_key) <= 64 ? ev->event_key : NULL,
                          .event_id = b->uuid,
                          .high_priority = 1};
}

/* ---- the outcomes ---- */

/* Appends, inside the caller's MULTI, the final mark of s (and its progress, and the removal of its retry member).
 * Returns the number of commands appended. */
static int append_final(worker_t *w, const worker_send_t *s, const char *value)
{
    char key[200];
    mark_key(key, sizeof key, s->ev);
    redisAppendCommand(w->redis.ctx, "HSET %s %s %s", key, s->device_id, value);
    redisAppendCommand(w->redis.ctx, "EXPIRE %s %d", key, PUSH_DELIVERY_MARK_TTL_S);
    int n = 2;
    if (s->retry_member)
        redisAppendCommand(w->redis.ctx, "ZREM %s %s", PUSH_RETRY_KEY, s->retry_member), n++;
    if (s->ev->broadcast) {
        char progress[160];
        snprintf(progress, sizeof progress, PUSH_BROADCAST_PROGRESS_FMT, s->ev->inbox_id);
        redisAppendCommand(w->redis.ctx, "HINCRBY %s %s 1", progress,
                           strcmp(value, "sent") == 0 ? "devices_sent" : "devices_failed");
        n++;
    }
    return n;
}

static const char *final_value(worker_t *w, worker_send_t *s)
{
    const push_result_t *r = &s->result;
    if (r->outcome == PUSH_SENT)
        return "sent";
    if (r->outcome == PUSH_GONE) {
        const char *params[] = {s->device_id, s->token};
        if (relay_pg_ensure(&w->pg) != CONG_OK || relay_pg_exec(&w->pg, DELETE_GONE_SQL, 2, params) != CONG_OK)
            return NULL; /* the row stays: the mark is not written, the event stays pending */
        return "gone";
    }
    relay_log_info("event %s device %.8s: dropped by %s: %d %s", s->ev->event_key, s->device_id,
                   PLATFORM_NAMES[s->platform], r->http_status, r->outcome == PUSH_DROP ? r->reason : "too old");
    return "dropped";
}

static void count(worker_t *w, const char *value)
{
    if (strcmp(value, "sent") == 0) w->totals.sent++;
    else if (strcmp(value, "gone") == 0) w->totals.gone++;
    else if (strcmp(value, "dropped") == 0) w->totals.dropped++;
    else w->totals.retry++;
}

/* Writes each send's outcome in its own MULTI, all pipelined; an EXEC that ran finishes the send. */
static void write_outcomes(worker_t *w, worker_send_t **sends, int n)
{
    int *commands = calloc((size_t)n, sizeof *commands);
    const char **values = calloc((size_t)n, sizeof *values);
    if (!commands || !values || relay_redis_ensure(&w->redis) != CONG_OK) {
        for (int i = 0; i < n; i++)
            sends[i]->ev->ok = 0;
        free(commands), free(values);
        return;
    }
    for (int i = 0; i < n; i++) {
        worker_send_t *s = sends[i];
        push_outcome_t o = s->result.outcome;
        redisAppendCommand(w->redis.ctx, "MULTI");
        if (o == PUSH_RETRY && (o = worker_retry_schedule(w, s, &commands[i])) == PUSH_RETRY)
            values[i] = "retry";
        if (o != PUSH_RETRY && (values[i] = final_value(w, s)) != NULL)
            commands[i] = append_final(w, s, values[i]);
        redisAppendCommand(w->redis.ctx, values[i] ? "EXEC" : "DISCARD");
    }
    for (int i = 0; i < n; i++) {
        int done = 0;
        for (int c = 0; c < commands[i] + 2; c++) {
            redisReply *r = NULL;
            if (redisGetReply(w->redis.ctx, (void **)&r) != REDIS_OK) {
                relay_redis_down(&w->redis, w->redis.ctx->errstr);
                for (; i < n; i++)
                    sends[i]->ev->ok = 0;
                free(commands), free(values);
                return;
            }
            done = c == commands[i] + 1 && values[i] && r->type == REDIS_REPLY_ARRAY;
            freeReplyObject(r);
        }
        if (done) {
            count(w, values[i]);
            sends[i]->ev->unfinished--;
        } else {
            sends[i]->ev->ok = 0;
        }
    }
    free(commands);
    free(values);
}

static void send_platform(worker_t *w, worker_send_t *sends, int n, int platform)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += !sends[i].skip && sends[i].platform == platform;
    if (k == 0)
        return;
    push_message_t *msgs = calloc((size_t)k, sizeof *msgs);
    message_buffers_t *bufs = calloc((size_t)k, sizeof *bufs);
    push_result_t *results = calloc((size_t)k, sizeof *results);
    worker_send_t **which = calloc((size_t)k, sizeof *which);
    if (msgs && bufs && results && which) {
        k = 0;
        for (int i = 0; i < n; i++)
            if (!sends[i].skip && sends[i].platform == platform)
                which[k] = &sends[i], build_message(&sends[i], &msgs[k], &bufs[k]), k++;
        if (w->providers[platform])
            w->ops[platform]->send(w->providers[platform], msgs, (size_t)k, results, w->cfg->deadline_ms);
        else
            for (int i = 0; i < k; i++)
                results[i] = (push_result_t){.outcome = PUSH_RETRY, .reason = "no adapter"};
        for (int i = 0; i < k; i++)
            which[i]->result = results[i];
        write_outcomes(w, which, k);
    } else {
        for (int i = 0; i < n; i++)
            sends[i].ev->ok = 0;
    }
    for (int i = 0; bufs && i < k; i++)
        free(bufs[i].data_json);
    free(msgs), free(bufs), free(results), free(which);
}

void worker_deliver_sends(worker_t *w, worker_send_t *sends, int n)
{
    if (n == 0)
        return;
    if (check_sessions(w, sends, n) != CONG_OK) {
        for (int i = 0; i < n; i++)
            sends[i].ev->ok = 0;
        return;
    }
    for (int i = 0; i < n; i++)
        if (sends[i].skip == 2)
            end_device(w, &sends[i]);
    for (int p = 0; p < WORKER_PLATFORMS; p++)
        send_platform(w, sends, n, p);
}

/* ---- the events of a batch ---- */

/* Whether devices row r belongs to evs[i] (the rows are every device of the batch's people). */
static int device_of(const worker_event_t *ev, PGresult *devices, int r)
{
    return ev->event_key && ev->has_texts && strcmp(PQgetvalue(devices, r, 0), ev->subject) == 0;
}

/* The marks of each event's own devices (HMGET of their ids, pipelined): marks[i] answers evs[i]'s devices in row
 * order, or is NULL when the person has none. Only those fields: a broadcast's mark hash holds every recipient's
 * device, and reading it whole for each recipient (HGETALL) made a fan-out to N people cost N² in Redis. */
static int load_marks(worker_t *w, worker_event_t *evs, int n, PGresult *devices, redisReply **marks)
{
    if (relay_redis_ensure(&w->redis) != CONG_OK)
        return CONG_EUNAVAILABLE;
    int rows = PQntuples(devices);
    const char **argv = malloc(((size_t)rows + 2) * sizeof *argv);
    char (*keys)[200] = calloc((size_t)n, sizeof *keys);
    int *asked = calloc((size_t)n, sizeof *asked);
    int rc = argv && keys && asked ? CONG_OK : CONG_ENOMEM;
    for (int i = 0; rc == CONG_OK && i < n; i++) {
        int argc = 2;
        for (int r = 0; r < rows; r++)
            if (device_of(&evs[i], devices, r))
                argv[argc++] = PQgetvalue(devices, r, 1);
        if (argc == 2)
            continue;
        mark_key(keys[i], sizeof keys[i], &evs[i]);
        argv[0] = "HMGET", argv[1] = keys[i];
        redisAppendCommandArgv(w->redis.ctx, argc, argv, NULL);
        asked[i] = 1;
    }
    for (int i = 0; rc == CONG_OK && i < n; i++)
        if (asked[i] && redisGetReply(w->redis.ctx, (void **)&marks[i]) != REDIS_OK) {
            relay_redis_down(&w->redis, w->redis.ctx->errstr);
            rc = CONG_EUNAVAILABLE;
        }
    free(argv), free(keys), free(asked);
    return rc;
}

/* Whether the j-th of an event's devices (row order) has its mark. */
static int marked(const redisReply *marks, int j)
{
    return marks && marks->type == REDIS_REPLY_ARRAY && (size_t)j < marks->elements &&
           marks->element[j]->type != REDIS_REPLY_NIL;
}

static void add_send(worker_send_t *s, worker_event_t *ev, PGresult *res, int row)
{
    *s = (worker_send_t){.ev = ev, .attempt = 1, .platform = worker_platform(PQgetvalue(res, row, 3)),
                         .token = strdup(PQgetvalue(res, row, 4))};
    snprintf(s->device_id, sizeof s->device_id, "%s", PQgetvalue(res, row, 1));
    snprintf(s->session_id, sizeof s->session_id, "%s", PQgetvalue(res, row, 2));
    snprintf(s->locale, sizeof s->locale, "%s", PQgetvalue(res, row, 5));
    ev->unfinished++;
}

static PGresult *load_devices(worker_t *w, worker_event_t *evs, int n)
{
    size_t cap = 3;
    for (int i = 0; i < n; i++)
        cap += evs[i].subject ? 2 * strlen(evs[i].subject) + 3 : 0;
    char *subjects = malloc(cap), *p = subjects;
    if (!subjects)
        return NULL;
    *p++ = '{';
    for (int i = 0; i < n; i++) {
        if (!evs[i].event_key || !evs[i].has_texts)
            continue;
        p += sprintf(p, "%s\"%s\"", p > subjects + 1 ? "," : "", evs[i].subject); /* subjects: no " nor \ */
    }
    strcpy(p, "}");
    PGresult *res = NULL;
    const char *params[] = {subjects};
    if (relay_pg_ensure(&w->pg) != CONG_OK || relay_pg_query(&w->pg, DEVICES_SQL, 1, params, &res) != CONG_OK)
        res = NULL;
    free(subjects);
    return res;
}

void worker_deliver_events(worker_t *w, worker_event_t *evs, int n)
{
    if (n <= 0)
        return;
    PGresult *devices = load_devices(w, evs, n);
    redisReply **marks = calloc((size_t)n, sizeof *marks);
    if (!devices || !marks || load_marks(w, evs, n, devices, marks) != CONG_OK) {
        for (int i = 0; i < n; i++)
            evs[i].ok = 0;
    } else {
        int rows = PQntuples(devices), k = 0;
        worker_send_t *sends = calloc((size_t)n * (size_t)rows + 1, sizeof *sends);
        for (int i = 0; sends && i < n; i++)
            for (int r = 0, j = 0; r < rows; r++)
                if (device_of(&evs[i], devices, r) && !marked(marks[i], j++) &&
                    worker_platform(PQgetvalue(devices, r, 3)) >= 0)
                    add_send(&sends[k++], &evs[i], devices, r);
        worker_deliver_sends(w, sends, k);
        for (int i = 0; i < k; i++)
            worker_send_free(&sends[i]);
        free(sends);
    }
    for (int i = 0; marks && i < n; i++)
        freeReplyObject(marks[i]);
    free(marks);
    PQclear(devices);
}
