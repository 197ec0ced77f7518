/* common/relay_runtime/options.c — a relay's numeric options from its environment and its flags
 * (relay_runtime.h). */
#include "relay_runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_int(const char *s, long min, long max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

int relay_int_options_from_env(const char *program, const relay_int_option_t *options, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = getenv(options[i].env);
        if (v && parse_int(v, options[i].min, options[i].max, options[i].target) != 0) {
            fprintf(stderr, "%s: %s must be a number from %ld to %ld\n", program, options[i].env, options[i].min,
                    options[i].max);
            return 2;
        }
    }
    return 0;
}

int relay_int_option_from_flag(const char *program, const relay_int_option_t *options, size_t n, const char *flag,
                               const char *value)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(flag, options[i].flag) != 0)
            continue;
        if (parse_int(value, options[i].min, options[i].max, options[i].target) != 0) {
            fprintf(stderr, "%s: --%s must be a number from %ld to %ld\n", program, options[i].flag, options[i].min,
                    options[i].max);
            return 2;
        }
    }
    return 0;
}
