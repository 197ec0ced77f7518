/* common/relay_runtime/options.c — a relay's flags and their environment variables (relay_runtime.h). */
#include "relay_runtime.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_OPTIONS 32
/* getopt_long's value for each option: distinct, so that an abbreviation matching two flags stays ambiguous */
#define VAL_ONCE 256
#define VAL_TEXT 512
#define VAL_INT 768

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

static int int_from_env(const char *program, const relay_int_option_t *o)
{
    const char *v = getenv(o->env);
    if (v && parse_int(v, o->min, o->max, o->target) != 0) {
        fprintf(stderr, "%s: %s must be a number from %ld to %ld\n", program, o->env, o->min, o->max);
        return 2;
    }
    return 0;
}

static int int_from_flag(const char *program, const relay_int_option_t *o, const char *value)
{
    if (parse_int(value, o->min, o->max, o->target) != 0) {
        fprintf(stderr, "%s: --%s must be a number from %ld to %ld\n", program, o->flag, o->min, o->max);
        return 2;
    }
    return 0;
}

/* getopt_long's table: the text flags, --once, --help, the numeric flags, the end. 0 or -1 (too many). */
static int option_table(const relay_options_t *o, struct option *table)
{
    size_t n = 0;
    if (o->ntexts + o->nints + 3 > MAX_OPTIONS)
        return -1;
    for (size_t i = 0; i < o->ntexts; i++)
        table[n++] = (struct option){o->texts[i].flag, required_argument, NULL, VAL_TEXT + (int)i};
    table[n++] = (struct option){"once", no_argument, NULL, VAL_ONCE};
    table[n++] = (struct option){"help", no_argument, NULL, 'h'};
    for (size_t i = 0; i < o->nints; i++)
        table[n++] = (struct option){o->ints[i].flag, required_argument, NULL, VAL_INT + (int)i};
    table[n] = (struct option){NULL, 0, NULL, 0};
    return 0;
}

int relay_parse_options(int argc, char **argv, const relay_options_t *o)
{
    for (size_t i = 0; i < o->ntexts; i++) {
        const char *v = o->texts[i].env ? getenv(o->texts[i].env) : NULL;
        if (v)
            *o->texts[i].target = v;
    }
    for (size_t i = 0; i < o->nints; i++)
        if (int_from_env(o->program, &o->ints[i]) != 0)
            return 2;
    struct option table[MAX_OPTIONS];
    if (option_table(o, table) != 0) {
        fprintf(stderr, "%s: too many options\n", o->program);
        return 2;
    }
    int opt;
    while ((opt = getopt_long(argc, argv, "", table, NULL)) != -1) {
        if (opt == VAL_ONCE) {
            *o->once = 1;
        } else if (opt >= VAL_TEXT && opt < VAL_TEXT + (int)o->ntexts) {
            *o->texts[opt - VAL_TEXT].target = optarg;
        } else if (opt >= VAL_INT && opt < VAL_INT + (int)o->nints) {
            if (int_from_flag(o->program, &o->ints[opt - VAL_INT], optarg) != 0)
                return 2;
        } else {
            o->usage();
            return 2;
        }
    }
    return 0;
}
