/* tools/standin_common/standin_args.c — numeric options (see the header). */
#include "standin_args.h"

#include <errno.h>
#include <stdlib.h>

int standin_parse_int(const char *s, long min, long max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}
