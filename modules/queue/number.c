/*
 * The queue's counter in Redis (see queue.h). One script, so that the increment and the floor are one step: INCR,
 * and when the result is not above the floor PostgreSQL gave (the highest number it holds for that queue), the
 * counter jumps to floor + 1. A counter lost with a restart, a FLUSHALL or a failover, or brought back older from a
 * snapshot, therefore never hands out a number PostgreSQL already has; the UNIQUE constraint on the tickets settles
 * what is left (a number taken while another commit was under way), and take.c takes another one.
 */
#include <stdio.h>
#include <string.h>

#include "queue.h"

#define COUNTER_TTL_S "172800" /* two days: a queue day's counter outlives its day, then goes */

static const char NEXT_SCRIPT[] =
    "local n = redis.call('INCR', KEYS[1]) "
    "local floor = tonumber(ARGV[1]) "
    "if n <= floor then n = floor + 1 redis.call('SET', KEYS[1], n, 'EX', ARGV[2]) "
    "elseif n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end "
    "return n";

int queue_code_ok(const char *s)
{
    static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
    size_t n = s != NULL ? strlen(s) : 0;
    return n > 0 && n <= QUEUE_CODE_MAX && strspn(s, allowed) == n;
}

int queue_id_ok(const char *s)
{
    static const char hex[] = "0123456789abcdefABCDEF";
    if (s == NULL || strlen(s) != 36)
        return 0;
    for (size_t i = 0; i < 36; i++) {
        int hyphen = i == 8 || i == 13 || i == 18 || i == 23;
        if (hyphen ? s[i] != '-' : strchr(hex, s[i]) == NULL)
            return 0;
    }
    return 1;
}

int queue_counter_key(char *out, size_t size, const char *unit, const char *day, const char *domain)
{
    int n = snprintf(out, size, "cong:queue:{%s}:%s:%s:last", unit, day, domain);
    return n > 0 && (size_t)n < size ? n : -1;
}

typedef struct taking {
    queue_number_cb cb;
    void *udata;
} taking_t;

static void on_number(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    const cong_api_t *api = queue_api;
    taking_t *t = udata;
    if (err == 0 && api->redis_type(reply) != CONG_REDIS_INTEGER) {
        size_t len = 0;
        const char *text = api->redis_type(reply) == CONG_REDIS_ERROR ? api->redis_string(reply, &len) : "";
        /* LOADING after a restart, a read-only replica, a script error: no number, and nothing to retry here */
        api->log(CONG_LOG_WARN, QUEUE_MODULE, "Redis gave no number: %.*s", (int)(len > 120 ? 120 : len), text);
        err = CONG_EUNAVAILABLE;
    }
    t->cb(req, err, err == 0 ? api->redis_integer(reply) : 0, t->udata);
}

int queue_number_take(cong_req_t *req, const char *unit, const char *day, const char *domain, long long floor,
                      queue_number_cb cb, void *udata)
{
    const cong_api_t *api = queue_api;
    char key[128], floor_text[24];
    taking_t *t = api->req_alloc(req, sizeof *t);
    if (t == NULL)
        return CONG_ENOMEM;
    if (queue_counter_key(key, sizeof key, unit, day, domain) < 0)
        return CONG_EINVAL;
    snprintf(floor_text, sizeof floor_text, "%lld", floor);
    t->cb = cb;
    t->udata = udata;
    const char *argv[] = {"EVAL", NEXT_SCRIPT, "1", key, floor_text, COUNTER_TTL_S};
    size_t argvlen[] = {4, sizeof NEXT_SCRIPT - 1, 1, strlen(key), strlen(floor_text), sizeof COUNTER_TTL_S - 1};
    return api->redis_command(req, 6, argv, argvlen, on_number, t);
}
