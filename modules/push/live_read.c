/*
 * Reading a stream's logs and writing what is new as SSE events (contract in live_streams.h; the logs are
 * push/live.h's, the cursor live_id.c's). Each event's `id` is the stream's whole cursor after that entry, so a client
 * resuming with it gets every log from where it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live_streams.h"

#define CITY_LOG "cong:city:log" /* push/live.h PUSH_LIVE_CITY_LOG (a module includes cong/ headers only) */

int push_live_follows(const push_sse_t *sse, int log)
{
    return log == PUSH_LOG_PERSON || (log == PUSH_LOG_AREA && sse->ward[0] != '\0') ||
           (log == PUSH_LOG_CITY && sse->city);
}

/* The key of log `log` of `sse` into out (push/live.h). */
static void log_key(const push_sse_t *sse, int log, char out[PUSH_SSE_KEY_SIZE])
{
    if (log == PUSH_LOG_PERSON)
        snprintf(out, PUSH_SSE_KEY_SIZE, "%s", sse->log_key);
    else if (log == PUSH_LOG_AREA)
        snprintf(out, PUSH_SSE_KEY_SIZE, "cong:area:%s:log", sse->ward);
    else
        snprintf(out, PUSH_SSE_KEY_SIZE, "%s", CITY_LOG);
}

/* A field's value of an entry's [field, value, ...] list, or NULL. */
static const char *entry_field(const cong_redis_reply_t *fields, const char *name, size_t *len)
{
    const cong_api_t *api = push_api;
    size_t n = api->redis_elements(fields);
    for (size_t i = 0; i + 1 < n; i += 2) {
        size_t flen;
        const char *f = api->redis_string(api->redis_element(fields, i), &flen);
        if (f != NULL && flen == strlen(name) && memcmp(f, name, flen) == 0)
            return api->redis_string(api->redis_element(fields, i + 1), len);
    }
    return NULL;
}

static int one_line(const char *s, size_t len)
{
    return memchr(s, '\n', len) == NULL && memchr(s, '\r', len) == NULL;
}

/* An area entry is for this stream when its broadcast was made at or after the person's area_since (field a). */
static int made_since(const push_sse_t *sse, const cong_redis_reply_t *fields)
{
    size_t len = 0;
    const char *a = entry_field(fields, "a", &len);
    char text[24];
    if (a == NULL || len == 0 || len >= sizeof text)
        return 0;
    memcpy(text, a, len);
    text[len] = '\0';
    return strtoll(text, NULL, 10) >= sse->area_since_us;
}

typedef enum { ENTRY_WRITE, ENTRY_SKIP, ENTRY_BAD } entry_kind_t;

/* One entry of log `log` as an SSE event into `out` (*len), its id in *id; what to do with it. */
static entry_kind_t format_entry(const push_sse_t *sse, int log, const cong_redis_reply_t *entry, char *out,
                                 size_t size, size_t *len, push_live_id_t *id)
{
    const cong_api_t *api = push_api;
    char id_text[PUSH_LIVE_ID_SIZE], cursor_text[PUSH_LIVE_CURSOR_SIZE];
    size_t id_len = 0, e_len = 0, d_len = 0;
    const char *s = api->redis_elements(entry) == 2 ? api->redis_string(api->redis_element(entry, 0), &id_len) : NULL;
    if (s == NULL || id_len >= PUSH_LIVE_ID_SIZE)
        return ENTRY_BAD;
    memcpy(id_text, s, id_len);
    id_text[id_len] = '\0';
    if (!push_live_id_parse(id_text, id))
        return ENTRY_BAD;
    const cong_redis_reply_t *fields = api->redis_element(entry, 1);
    if (log != PUSH_LOG_PERSON && !made_since(sse, fields))
        return ENTRY_SKIP;
    const char *e = entry_field(fields, "e", &e_len), *d = entry_field(fields, "d", &d_len);
    if (e == NULL || d == NULL || !one_line(e, e_len) || !one_line(d, d_len))
        return ENTRY_SKIP;
    push_live_cursor_t next = sse->cursor;
    next.id[log] = *id;
    push_live_cursor_format(&next, cursor_text);
    int n = snprintf(out, size, "id: %s\nevent: %.*s\ndata: %.*s\n\n", cursor_text, (int)e_len, e, (int)d_len, d);
    *len = n > 0 && (size_t)n < size ? (size_t)n : 0;
    return *len > 0 ? ENTRY_WRITE : ENTRY_SKIP;
}

/* Writes the entries of an XRANGE reply of log `log`, advancing its component. 1 when every entry was written or
 * skipped, 0 when the stream is full (waiting) or over. */
static int write_entries(push_sse_t *sse, int log, const cong_redis_reply_t *entries)
{
    const cong_api_t *api = push_api;
    size_t n = api->redis_elements(entries), size = (size_t)push_config.events_buffer_bytes + 1, len = 0;
    char *text = push_live_text();
    if (text == NULL)
        return 0;
    for (size_t i = 0; i < n; i++) {
        push_live_id_t id;
        entry_kind_t kind = format_entry(sse, log, api->redis_element(entries, i), text, size, &len, &id);
        if (kind == ENTRY_BAD)
            return 1; /* not an entry at all: nothing to advance past */
        if (kind == ENTRY_SKIP && log == PUSH_LOG_PERSON)
            api->log(CONG_LOG_WARN, PUSH_MODULE, "live log entry %llu-%llu skipped: malformed or over %d bytes", id.ms,
                     id.seq, push_config.events_buffer_bytes);
        if (kind == ENTRY_WRITE && !push_live_write(sse, text, len))
            return 0;
        sse->cursor.id[log] = id;
    }
    return 1;
}

static void on_read(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata)
{
    (void)req;
    push_sse_t *sse = udata;
    unsigned bit = 1u << sse->reading_log;
    sse->reading = 0;
    if (sse->closed)
        return;
    if (err != 0 || push_api->redis_type(reply) != CONG_REDIS_ARRAY) {
        sse->unread |= bit; /* Redis is away: the tick tries again */
        return;
    }
    if (!write_entries(sse, sse->reading_log, reply) || push_api->redis_elements(reply) == PUSH_SSE_PAGE)
        sse->unread |= bit; /* full (read again once drained), or more than a page */
    push_live_read(sse, 0);
}

void push_live_read(push_sse_t *sse, unsigned logs)
{
    for (int log = 0; log < PUSH_LIVE_LOGS; log++)
        if ((logs & (1u << log)) && push_live_follows(sse, log))
            sse->unread |= 1u << log;
    if (sse->closed || sse->stream == NULL || sse->reading || sse->waiting || sse->unread == 0)
        return;
    int log = 0;
    while (!(sse->unread & (1u << log)))
        log++;
    char key[PUSH_SSE_KEY_SIZE], start[PUSH_LIVE_ID_SIZE + 1], count[8];
    log_key(sse, log, key);
    start[0] = '(';
    push_live_id_format(sse->cursor.id[log], start + 1);
    snprintf(count, sizeof count, "%d", PUSH_SSE_PAGE);
    const char *argv[] = {"XRANGE", key, start, "+", "COUNT", count};
    size_t argvlen[] = {6, strlen(key), strlen(start), 1, 5, strlen(count)};
    sse->unread &= ~(1u << log);
    if (push_api->redis_command(sse->req, 6, argv, argvlen, on_read, sse) == 0) {
        sse->reading = 1;
        sse->reading_log = log;
    } else {
        sse->unread |= 1u << log; /* Redis is away: the tick tries again */
    }
}
