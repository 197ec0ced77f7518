/* push/relay/pass.c — one pass over push_outbox: rows into Redis streams, in id order (the contract is in relay.h). */
#include "relay.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"
#include "push/push.h"

/* One relay at a time keeps the streams in id order. The key is the one cong-portal-sync used when it relayed these
 * rows itself: an old relay still running during an upgrade waits for this one instead of interleaving. */
static const char LOCK_SQL[] = "SELECT pg_try_advisory_xact_lock(hashtext('cong-portal-sync:push_outbox'))";
static const char PENDING_SQL[] =
    "SELECT id, subject, topic, payload::text, (extract(epoch FROM created_at) * 1000)::bigint FROM push_outbox"
    " WHERE published_at IS NULL ORDER BY id LIMIT $1";
static const char PUBLISHED_SQL[] =
    "UPDATE push_outbox SET published_at = clock_timestamp() WHERE id = ANY($1::bigint[])";

/* The event's data: the payload object with "subject" set; any other JSON value goes under "value". New reference. */
static json_t *event_data(const char *subject, const char *payload_text)
{
    json_t *payload = json_loads(payload_text, JSON_DECODE_ANY, NULL);
    if (!payload)
        return NULL;
    json_t *data = json_is_object(payload) ? json_incref(payload) : json_pack("{s:O}", "value", payload);
    json_decref(payload);
    if (data && json_object_set_new(data, "subject", json_string(subject)) != 0) {
        json_decref(data);
        return NULL;
    }
    return data;
}

/* XADDs row i. 0; CONG_EINVAL when the row cannot be encoded (it is dropped); CONG_EUNAVAILABLE when Redis fails. */
static int publish(relay_redis_t *r, PGresult *rows, int i)
{
    const char *id = PQgetvalue(rows, i, 0);
    const char *topic = PQgetvalue(rows, i, 2);
    json_t *data = event_data(PQgetvalue(rows, i, 1), PQgetvalue(rows, i, 3));
    char request_id[48];
    snprintf(request_id, sizeof request_id, "push_outbox:%s", id);
    char *buf = NULL;
    size_t len = 0;
    int rc = data ? cong_event_encode(topic, strtoll(PQgetvalue(rows, i, 4), NULL, 10), request_id, data, &buf, &len)
                  : CONG_EINVAL;
    json_decref(data);
    if (rc != CONG_OK) {
        relay_log_failure("push-encode", "push_outbox row %s cannot be encoded (topic or payload invalid): dropped", id);
        return CONG_EINVAL;
    }
    char stream[96];
    snprintf(stream, sizeof stream, "cong:events:%s", topic);
    const char *argv[] = {"XADD", stream, "MAXLEN", "~", CONG_EVENT_STREAM_MAXLEN, "*", "m", buf};
    size_t argvlen[] = {4, strlen(stream), 6, 1, strlen(CONG_EVENT_STREAM_MAXLEN), 1, 1, len};
    redisReply *reply = redisCommandArgv(r->ctx, 8, argv, argvlen);
    free(buf);
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        char why[160];
        snprintf(why, sizeof why, "XADD failed: %s", reply ? reply->str : r->ctx->errstr);
        freeReplyObject(reply);
        relay_redis_down(r, why);
        return CONG_EUNAVAILABLE;
    }
    freeReplyObject(reply);
    return CONG_OK;
}

/* Appends ",id" (or "id") to the array literal in buf. */
static void add_id(char *buf, size_t cap, const char *id)
{
    size_t n = strlen(buf);
    snprintf(buf + n, cap - n, "%s%s", n > 1 ? "," : "", id);
}

int push_relay_pass(relay_pg_t *pg, relay_redis_t *redis, int batch, int *published)
{
    *published = 0;
    int rc = relay_pg_exec(pg, "BEGIN", 0, NULL);
    if (rc != CONG_OK)
        return rc;
    PGresult *res;
    rc = relay_pg_query(pg, LOCK_SQL, 0, NULL, &res);
    int locked = rc == CONG_OK && PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (!locked) {
        relay_pg_rollback(pg);
        return rc; /* another relay works now */
    }
    char limit[16];
    snprintf(limit, sizeof limit, "%d", batch);
    const char *params[] = {limit};
    rc = relay_pg_query(pg, PENDING_SQL, 1, params, &res);
    if (rc != CONG_OK) {
        relay_pg_rollback(pg);
        return rc;
    }
    int n = PQntuples(res);
    int redis_rc = n > 0 ? relay_redis_ensure(redis) : CONG_OK;
    size_t cap = (size_t)n * 21 + 3;
    char *ids = malloc(cap);
    if (!ids) {
        PQclear(res);
        relay_pg_rollback(pg);
        return CONG_ENOMEM;
    }
    strcpy(ids, "{");
    int done = 0;
    for (int i = 0; i < n && redis_rc == CONG_OK; i++) {
        redis_rc = publish(redis, res, i);
        if (redis_rc == CONG_EINVAL)
            redis_rc = CONG_OK; /* dropped: marked published below so it does not block the rest */
        if (redis_rc == CONG_OK) {
            add_id(ids, cap, PQgetvalue(res, i, 0));
            done++;
        }
    }
    PQclear(res);
    strcat(ids, "}");
    const char *upd[] = {ids};
    rc = done > 0 ? relay_pg_exec(pg, PUBLISHED_SQL, 1, upd) : CONG_OK;
    free(ids);
    if (rc == CONG_OK)
        rc = relay_pg_exec(pg, "COMMIT", 0, NULL);
    else
        relay_pg_rollback(pg);
    if (rc == CONG_OK)
        *published = done;
    return rc != CONG_OK ? rc : redis_rc;
}
