/*
 * tools/standin_common/standin_args.h — reading the stand-ins' numeric command-line options. No state, no I/O.
 */
#ifndef STANDIN_ARGS_H
#define STANDIN_ARGS_H

/** A whole decimal number from min to max, the whole of s (no sign games beyond strtol's, no trailing bytes), into
 *  *out. 0, or -1 with *out untouched. */
int standin_parse_int(const char *s, long min, long max, int *out);

#endif
