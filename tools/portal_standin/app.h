/*
 * tools/portal_standin/app.h — the stand-in portal's configuration and state, shared by its parts.
 *
 * One process, one thread, one libuv loop: the handlers run one at a time, so nothing here is locked.
 */
#ifndef PS_APP_H
#define PS_APP_H

#include "ledger.h"

#include <uv.h>

#define PS_TOKEN_MAX 512

/* How the dossier endpoint behaves (POST /control/mode); reads and control are never affected. */
typedef enum ps_mode {
    PS_MODE_OK,      /* answer at once */
    PS_MODE_FAIL,    /* 503, nothing recorded */
    PS_MODE_SLOW,    /* record at once, answer after delay_ms (a client that gives up first loses the ack) */
    PS_MODE_TIMEOUT, /* record nothing, answer nothing: hold the request until the client gives up (a 504 after
                        delay_ms, PS_DEFAULT_HOLD_MS when 0, in case it never does) */
} ps_mode_t;

#define PS_DEFAULT_HOLD_MS 120000

typedef struct ps_config {
    int port;               /* listens on 127.0.0.1:port (0: any free port, printed on stderr) */
    const char *state_file; /* NULL: memory only */
    char token[PS_TOKEN_MAX + 1]; /* the one accepted bearer token */
} ps_config_t;

typedef struct ps_app {
    ps_config_t config;
    ps_ledger_t ledger;
    ps_mode_t mode;
    int delay_ms;
    uv_loop_t *loop;
} ps_app_t;

#endif
