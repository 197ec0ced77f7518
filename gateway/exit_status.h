/*
 * gateway/exit_status.h — what `cong`'s exit status means, for scripts that run it (scripts/run.sh, deployment
 * tooling). main.c prints the same list in `cong --help`; change both together.
 *
 * An administrative command that finds nothing to change (a grant that exists already, a removal of a grant that
 * is not there, a client revoked already) reports it and succeeds: running a set-up twice must not fail.
 */
#ifndef CONG_GATEWAY_EXIT_STATUS_H
#define CONG_GATEWAY_EXIT_STATUS_H

enum cong_exit_status {
    CONG_EXIT_OK = 0,        /* done, or nothing needed doing */
    CONG_EXIT_FAILURE = 1,   /* a store could not be reached or refused, bad configuration, could not serve */
    CONG_EXIT_USAGE = 2,     /* unknown command or option, missing argument */
    CONG_EXIT_NOT_FOUND = 3, /* what the command names does not exist (a unit, an API client) */
};

#endif
