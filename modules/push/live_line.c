/*
 * A line of a live channel message (push/live.h): "<subject>", "area <ward_code>" or "area *". A subject has no space
 * (printable ASCII, 1..128), so a line with one is never a subject: it is an area's, or nothing. Pure: unit-tested
 * (tests/unit/push/test_push_live_line.c) and fuzzed (tests/fuzz/fuzz_live_cursor.c).
 */
#include <string.h>

#include "push.h"

#define AREA_PREFIX "area " /* push/live.h PUSH_LIVE_AREA_LINE_PREFIX (a module includes cong/ headers only) */

static int ward_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return n > 0 && n <= PUSH_WARD_CODE_MAX;
}

static int subject_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
            return 0;
    return n > 0 && n <= 128;
}

push_live_line_t push_live_line(const char *line, size_t len, const char **name, size_t *name_len)
{
    size_t p = sizeof AREA_PREFIX - 1;
    *name = NULL;
    *name_len = 0;
    if (len > p && memcmp(line, AREA_PREFIX, p) == 0) {
        if (len == p + 1 && line[p] == '*')
            return PUSH_LINE_CITY;
        if (!ward_ok(line + p, len - p))
            return PUSH_LINE_NONE;
        *name = line + p;
        *name_len = len - p;
        return PUSH_LINE_AREA;
    }
    if (!subject_ok(line, len))
        return PUSH_LINE_NONE;
    *name = line;
    *name_len = len;
    return PUSH_LINE_SUBJECT;
}
