/* push/live_area.c — appends a broadcast to its area log (live.h), once per broadcast, and wakes the area's readers. */
#include <stdio.h>
#include <string.h>

#include "cong/errors.h"
#include "live.h"

/* KEYS: the once-only mark, the area log. ARGV: event key, topic, data, made (µs), maxlen, log ttl, mark ttl, the
 * channel, the area's line. The entry's id, or false when the mark was there (appended before: nothing published). */
static const char AREA_APPEND_LUA[] =
    "if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[7]) then return false end\n"
    "local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'k', ARGV[1], 'e', ARGV[2], 'd', ARGV[3],"
    " 'a', ARGV[4])\n"
    "redis.call('EXPIRE', KEYS[2], ARGV[6])\n"
    "redis.call('PUBLISH', ARGV[8], ARGV[9])\n"
    "return id\n";

/* A ward code's shape: 1..32 of [A-Z0-9-] (modules/push PUSH_WARD_CODE_MAX). */
static int ward_ok(const char *w)
{
    size_t n = 0;
    for (; w[n]; n++)
        if (!((w[n] >= 'A' && w[n] <= 'Z') || (w[n] >= '0' && w[n] <= '9') || w[n] == '-'))
            return 0;
    return n > 0 && n <= 32;
}

static int word_ok(const char *s, size_t max)
{
    size_t n = 0;
    for (; s && s[n]; n++)
        if (s[n] <= ' ' || s[n] == 0x7f)
            return 0;
    return s && n > 0 && n <= max;
}

int push_live_area_log_key(const char *ward_code, char *out, size_t out_size)
{
    if (ward_code != NULL && !ward_ok(ward_code))
        return CONG_EINVAL;
    int n = ward_code != NULL ? snprintf(out, out_size, "cong:area:%s:log", ward_code)
                              : snprintf(out, out_size, "%s", PUSH_LIVE_CITY_LOG);
    return n > 0 && (size_t)n < out_size ? CONG_OK : CONG_EINVAL;
}

int push_live_area_append(redisContext *redis, const push_live_area_item_t *it, int *appended)
{
    char log[64], mark[200], line[48], made[24];
    if (appended)
        *appended = 0;
    if (!redis || !it || !word_ok(it->event_key, 128) || !word_ok(it->topic, 64) || !it->data_json ||
        strpbrk(it->data_json, "\r\n") || it->made_us < 0 || push_live_area_log_key(it->ward_code, log, sizeof log))
        return CONG_EINVAL;
    snprintf(mark, sizeof mark, "%s%s", PUSH_LIVE_AREA_MARK_PREFIX, it->event_key);
    if (it->ward_code)
        snprintf(line, sizeof line, "%s%s", PUSH_LIVE_AREA_LINE_PREFIX, it->ward_code);
    else
        snprintf(line, sizeof line, "%s", PUSH_LIVE_CITY_LINE);
    snprintf(made, sizeof made, "%lld", it->made_us);
    redisReply *r = redisCommand(redis, "EVAL %s 2 %s %s %s %s %s %s %d %d %d %s %s", AREA_APPEND_LUA, mark, log,
                                 it->event_key, it->topic, it->data_json, made, PUSH_LIVE_AREA_LOG_MAXLEN,
                                 PUSH_LIVE_AREA_LOG_TTL_S, PUSH_LIVE_DEDUPE_TTL_S, PUSH_LIVE_CHANNEL, line);
    if (!r)
        return CONG_EUNAVAILABLE;
    int rc = r->type == REDIS_REPLY_ERROR ? CONG_EQUERY : CONG_OK;
    if (appended && r->type == REDIS_REPLY_STRING)
        *appended = 1;
    freeReplyObject(r);
    return rc;
}
