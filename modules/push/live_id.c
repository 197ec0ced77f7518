/*
 * The ids of the live logs' entries (push/live.h): Redis stream ids "<ms>-<seq>", two unsigned 64-bit decimals; and
 * the SSE events' ids, composite cursors over the three logs a stream follows:
 *
 *     <person log id>.<area log id>.<city log id>        e.g. "1733500000000-0.1733400000000-2.0-0"
 *
 * each component the last entry of that log the client was sent (or skipped past), "0-0" for none. A client's
 * Last-Event-ID is one we sent, or nothing we accept: its components go into XRANGE, so they are checked here first
 * (strictly: exactly one or three ids, "." between, nothing else, at most PUSH_LIVE_CURSOR_SIZE - 1 bytes). A lone id
 * "<ms>-<seq>" — what a stream sent before broadcasts got area logs — is the person's component; the area and city
 * components are then "0-0": those logs hold only broadcasts made since, none of which such a client was sent (the
 * area_since filter and the logs' caps bound what it gets). Pure: unit-tested (tests/unit/push/test_push_live_id.c)
 * and fuzzed (tests/fuzz/fuzz_live_cursor.c).
 */
#include <stdio.h>
#include <string.h>

#include "push.h"

/* 1..20 digits, no leading zero (but "0"), at most UINT64_MAX; *end after them. */
static int parse_u64(const char *s, const char **end, unsigned long long *out)
{
    size_t n = 0;
    unsigned long long v = 0;
    for (; s[n] >= '0' && s[n] <= '9'; n++) {
        unsigned d = (unsigned)(s[n] - '0');
        if (n >= 20 || v > (~0ULL - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    if (n == 0 || (n > 1 && s[0] == '0'))
        return 0;
    *end = s + n;
    *out = v;
    return 1;
}

int push_live_id_parse(const char *s, push_live_id_t *id)
{
    const char *p;
    push_live_id_t v;
    if (s == NULL || strlen(s) >= PUSH_LIVE_ID_SIZE || !parse_u64(s, &p, &v.ms) || *p != '-' ||
        !parse_u64(p + 1, &p, &v.seq) || *p != '\0')
        return 0;
    if (id != NULL)
        *id = v;
    return 1;
}

int push_live_id_cmp(push_live_id_t a, push_live_id_t b)
{
    if (a.ms != b.ms)
        return a.ms < b.ms ? -1 : 1;
    return a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0;
}

/* One "<ms>-<seq>" at s; *end after it. */
static int parse_id(const char *s, const char **end, push_live_id_t *id)
{
    return parse_u64(s, end, &id->ms) && **end == '-' && parse_u64(*end + 1, end, &id->seq);
}

int push_live_cursor_parse(const char *s, push_live_cursor_t *cursor)
{
    push_live_cursor_t c = {0};
    const char *p;
    if (s == NULL || strlen(s) >= PUSH_LIVE_CURSOR_SIZE || !parse_id(s, &p, &c.id[0]))
        return 0;
    if (*p != '\0') {
        for (int i = 1; i < PUSH_LIVE_LOGS; i++)
            if (*p != '.' || !parse_id(p + 1, &p, &c.id[i]))
                return 0;
        if (*p != '\0')
            return 0;
    }
    if (cursor != NULL)
        *cursor = c;
    return 1;
}

void push_live_id_format(push_live_id_t id, char out[PUSH_LIVE_ID_SIZE])
{
    snprintf(out, PUSH_LIVE_ID_SIZE, "%llu-%llu", id.ms, id.seq);
}

void push_live_cursor_format(const push_live_cursor_t *c, char out[PUSH_LIVE_CURSOR_SIZE])
{
    snprintf(out, PUSH_LIVE_CURSOR_SIZE, "%llu-%llu.%llu-%llu.%llu-%llu", c->id[0].ms, c->id[0].seq, c->id[1].ms,
             c->id[1].seq, c->id[2].ms, c->id[2].seq);
}
