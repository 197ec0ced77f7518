/* push/live.c — appends to people's live logs (live.h), pipelined, once per (event, person). */
#include "live.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"

/* KEYS: the once-only mark, the log. ARGV: event key, topic, data, maxlen, log ttl, mark ttl.
 * Answers the new entry's id, or false when the mark was there (appended before). */
static const char LIVE_APPEND_LUA[] =
    "if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[6]) then return false end\n"
    "local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'k', ARGV[1], 'e', ARGV[2], 'd', ARGV[3])\n"
    "redis.call('EXPIRE', KEYS[2], ARGV[5])\n"
    "return id\n";

static char script_sha[41];

static void script_sha_once(void)
{
    if (script_sha[0])
        return;
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)LIVE_APPEND_LUA, strlen(LIVE_APPEND_LUA), digest);
    for (int i = 0; i < SHA_DIGEST_LENGTH; i++)
        snprintf(script_sha + 2 * i, 3, "%02x", digest[i]);
}

static int text_ok(const char *s, size_t max)
{
    size_t n = 0;
    for (; s && s[n]; n++)
        if (s[n] <= ' ' || s[n] == 0x7f)
            return 0;
    return s && n > 0 && n <= max;
}

static int item_ok(const push_live_item_t *it)
{
    return text_ok(it->subject, 128) && text_ok(it->event_key, 128) && text_ok(it->topic, 64) && it->data_json &&
           !strpbrk(it->data_json, "\r\n");
}

int push_live_log_key(const char *subject, char *out, size_t out_size)
{
    int n = snprintf(out, out_size, "cong:user:%s:log", subject);
    return n > 0 && (size_t)n < out_size ? CONG_OK : CONG_EINVAL;
}

static int append_one(redisContext *redis, const push_live_item_t *it)
{
    char mark[300], log[160];
    snprintf(mark, sizeof mark, "cong:push:live:%s:%s", it->event_key, it->subject);
    push_live_log_key(it->subject, log, sizeof log);
    return redisAppendCommand(redis, "EVALSHA %s 2 %s %s %s %s %s %d %d %d", script_sha, mark, log, it->event_key,
                              it->topic, it->data_json, PUSH_LIVE_LOG_MAXLEN, PUSH_LIVE_LOG_TTL_S,
                              PUSH_LIVE_DEDUPE_TTL_S) == REDIS_OK
               ? CONG_OK
               : CONG_EUNAVAILABLE;
}

static int append_publish(redisContext *redis, const push_live_item_t *items, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(items[i].subject) + 1;
    char *subjects = malloc(len + 1);
    if (!subjects)
        return CONG_ENOMEM;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t sl = strlen(items[i].subject);
        memcpy(subjects + at, items[i].subject, sl);
        at += sl;
        subjects[at++] = '\n';
    }
    int rc = redisAppendCommand(redis, "PUBLISH %s %b", PUSH_LIVE_CHANNEL, subjects, at - 1) == REDIS_OK
                 ? CONG_OK
                 : CONG_EUNAVAILABLE;
    free(subjects);
    return rc;
}

/* Reads the n + 1 replies; *noscript is set when Redis did not know the script (it restarted or was flushed). */
static int read_replies(redisContext *redis, size_t n, size_t *appended, int *noscript)
{
    int rc = CONG_OK;
    for (size_t i = 0; i <= n; i++) {
        redisReply *r = NULL;
        if (redisGetReply(redis, (void **)&r) != REDIS_OK || !r)
            return CONG_EUNAVAILABLE;
        if (r->type == REDIS_REPLY_ERROR) {
            if (strncmp(r->str, "NOSCRIPT", 8) == 0)
                *noscript = 1;
            else
                rc = CONG_EQUERY;
        } else if (i < n && r->type == REDIS_REPLY_STRING) {
            (*appended)++;
        }
        freeReplyObject(r);
    }
    return rc;
}

static int load_script(redisContext *redis)
{
    redisReply *r = redisCommand(redis, "SCRIPT LOAD %s", LIVE_APPEND_LUA);
    if (!r)
        return CONG_EUNAVAILABLE;
    int rc = r->type == REDIS_REPLY_STRING ? CONG_OK : CONG_EQUERY;
    freeReplyObject(r);
    return rc;
}

int push_live_append(redisContext *redis, const push_live_item_t *items, size_t n, size_t *appended)
{
    size_t count = 0;
    if (appended)
        *appended = 0;
    if (!redis || !items || n == 0 || n > PUSH_LIVE_BATCH_MAX)
        return CONG_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!item_ok(&items[i]))
            return CONG_EINVAL;
    script_sha_once();
    for (int attempt = 0; attempt < 2; attempt++) {
        int rc = CONG_OK, noscript = 0;
        for (size_t i = 0; i < n && rc == CONG_OK; i++)
            rc = append_one(redis, &items[i]);
        if (rc == CONG_OK)
            rc = append_publish(redis, items, n);
        if (rc != CONG_OK)
            return rc; /* nothing was written to the socket yet that a caller could not send again */
        count = 0;
        rc = read_replies(redis, n, &count, &noscript);
        if (rc != CONG_OK || !noscript) {
            if (appended)
                *appended = count;
            return rc;
        }
        /* Items the script did not run for are sent again; those it ran for are refused by their marks. */
        if ((rc = load_script(redis)) != CONG_OK)
            return rc;
    }
    return CONG_EQUERY;
}
