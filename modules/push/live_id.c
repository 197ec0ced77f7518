/*
 * The ids of the live log's entries, which are the SSE events' ids (push/live.h): Redis stream ids "<ms>-<seq>", two
 * unsigned 64-bit decimals. A client's Last-Event-ID is one we sent, or nothing we accept: it goes into an XRANGE, so
 * it is checked here first. Pure: unit-tested (tests/unit/push/test_push_live_id.c).
 */
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
