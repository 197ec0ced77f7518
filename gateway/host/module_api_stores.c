/* The store members of the module ABI table (PostgreSQL, Redis, events): each call holds a request reference and calls
 * the module back only while the request is alive (see gateway/http/request.h). Declared in module_api_stores.h. */
#include "module_api_stores.h"

#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "gateway/http/http.h"
#include "push/push.h"

/* ---- PostgreSQL ---- */

typedef struct pg_call {
    cong_req_t *r;
    cong_pg_cb cb;
    void *udata;
} pg_call_t;

static void on_pg_result(int err, PGresult *result, void *p)
{
    pg_call_t *call = p;
    /* module.h: no result with an error, so no module can read the rows of a reply that failed after them */
    if (call->r->h2o != NULL)
        call->cb(call->r, err, err == 0 ? (const cong_pg_result_t *)result : NULL, call->udata);
    cong_req_release(call->r);
    free(call);
}

int cong_api_pg_query(cong_req_t *r, const char *sql, int nparams, const char *const *params, cong_pg_cb cb,
                        void *udata)
{
    if (r->h2o == NULL)
        return CONG_EGONE;
    if (cb == NULL)
        return CONG_EINVAL;
    pg_call_t *call = malloc(sizeof *call);
    if (call == NULL)
        return CONG_ENOMEM;
    *call = (pg_call_t){r, cb, udata};
    int rc = cong_pg_query(r->worker->pg, sql, nparams, params, on_pg_result, call);
    if (rc != 0) {
        free(call);
        return rc;
    }
    cong_req_retain(r);
    return 0;
}

int cong_api_pg_ntuples(const cong_pg_result_t *res)
{
    return PQntuples((const PGresult *)res);
}

int cong_api_pg_nfields(const cong_pg_result_t *res)
{
    return PQnfields((const PGresult *)res);
}

const char *cong_api_pg_value(const cong_pg_result_t *res, int row, int col)
{
    const PGresult *p = (const PGresult *)res;
    if (row < 0 || col < 0 || row >= PQntuples(p) || col >= PQnfields(p))
        return NULL;
    return PQgetvalue(p, row, col);
}

int cong_api_pg_is_null(const cong_pg_result_t *res, int row, int col)
{
    const PGresult *p = (const PGresult *)res;
    if (row < 0 || col < 0 || row >= PQntuples(p) || col >= PQnfields(p))
        return 1;
    return PQgetisnull(p, row, col);
}

const char *cong_api_pg_field_name(const cong_pg_result_t *res, int col)
{
    return PQfname((const PGresult *)res, col);
}

/* ---- Redis ---- */

typedef struct redis_call {
    cong_req_t *r;
    cong_redis_cb cb;
    void *udata;
} redis_call_t;

static void on_redis_reply(int err, redisReply *reply, void *p)
{
    redis_call_t *call = p;
    if (call->r->h2o != NULL)
        call->cb(call->r, err, (const cong_redis_reply_t *)reply, call->udata);
    cong_req_release(call->r);
    free(call);
}

int cong_api_redis_command(cong_req_t *r, int argc, const char *const *argv, const size_t *argvlen,
                             cong_redis_cb cb, void *udata)
{
    if (r->h2o == NULL)
        return CONG_EGONE;
    if (cb == NULL)
        return CONG_EINVAL;
    redis_call_t *call = malloc(sizeof *call);
    if (call == NULL)
        return CONG_ENOMEM;
    *call = (redis_call_t){r, cb, udata};
    int rc = cong_redis_command(r->worker->redis, argc, argv, argvlen, on_redis_reply, call);
    if (rc != 0) {
        free(call);
        return rc;
    }
    cong_req_retain(r);
    return 0;
}

int cong_api_redis_type(const cong_redis_reply_t *reply)
{
    switch (((const redisReply *)reply)->type) {
    case REDIS_REPLY_STRING: return CONG_REDIS_STRING;
    case REDIS_REPLY_ARRAY: return CONG_REDIS_ARRAY;
    case REDIS_REPLY_INTEGER: return CONG_REDIS_INTEGER;
    case REDIS_REPLY_NIL: return CONG_REDIS_NIL;
    case REDIS_REPLY_STATUS: return CONG_REDIS_STATUS;
    default: return CONG_REDIS_ERROR;
    }
}

const char *cong_api_redis_string(const cong_redis_reply_t *reply, size_t *len)
{
    const redisReply *r = (const redisReply *)reply;
    if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS && r->type != REDIS_REPLY_ERROR)
        return NULL;
    if (len != NULL)
        *len = r->len;
    return r->str;
}

long long cong_api_redis_integer(const cong_redis_reply_t *reply)
{
    return ((const redisReply *)reply)->integer;
}

size_t cong_api_redis_elements(const cong_redis_reply_t *reply)
{
    const redisReply *r = (const redisReply *)reply;
    return r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
}

const cong_redis_reply_t *cong_api_redis_element(const cong_redis_reply_t *reply, size_t i)
{
    const redisReply *r = (const redisReply *)reply;
    return r->type == REDIS_REPLY_ARRAY && i < r->elements ? (const cong_redis_reply_t *)r->element[i] : NULL;
}

/* ---- events ---- */

typedef struct event_call {
    cong_req_t *r;
    cong_event_cb cb;
    void *udata;
} event_call_t;

static void on_event_stored(int err, redisReply *reply, void *p)
{
    event_call_t *call = p;
    if (err == 0 && (reply == NULL || reply->type == REDIS_REPLY_ERROR))
        err = CONG_EQUERY;
    if (call->cb != NULL && call->r->h2o != NULL)
        call->cb(call->r, err, call->udata);
    cong_req_release(call->r);
    free(call);
}

int cong_api_event_publish(cong_req_t *r, const char *topic, json_t *payload, cong_event_cb cb, void *udata)
{
    if (r->h2o == NULL)
        return CONG_EGONE;
    char *buf = NULL;
    size_t len = 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int rc = cong_event_encode(topic, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, r->id, payload, &buf, &len);
    if (rc != 0)
        return rc;
    char stream[96];
    snprintf(stream, sizeof stream, "cong:events:%s", topic);
    const char *argv[] = {"XADD", stream, "MAXLEN", "~", CONG_EVENT_STREAM_MAXLEN, "*", "m", buf};
    size_t argvlen[] = {4, strlen(stream), 6, 1, strlen(CONG_EVENT_STREAM_MAXLEN), 1, 1, len};
    event_call_t *call = malloc(sizeof *call);
    if (call == NULL) {
        free(buf);
        return CONG_ENOMEM;
    }
    *call = (event_call_t){r, cb, udata};
    rc = cong_redis_command(r->worker->redis, 8, argv, argvlen, on_event_stored, call);
    free(buf);
    if (rc != 0) {
        free(call);
        return rc;
    }
    cong_req_retain(r);
    return 0;
}
