/*
 * tools/webhook_standin/app.h — the stand-in receiver's configuration, secrets, answer rules and record, shared by its
 * parts.
 *
 * One loop thread answers every request, one at a time: everything here is touched only there, so nothing is locked.
 * The secrets are key bytes read from --secret-file (never argv, never logged), kept for the process's life and
 * replaced (the old ones wiped) by POST /control/reload-secrets, which re-reads the file.
 */
#ifndef WEBHOOK_STANDIN_APP_H
#define WEBHOOK_STANDIN_APP_H

#include "behaviour.h"
#include "record.h"

#include "push/webhook/signature.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define WH_MAX_SECRETS 4 /* a rotation needs two; a few more for tests of odd set-ups */
#define WH_TOKEN_MAX 512 /* the control token */

typedef struct wh_config {
    int port;                        /* 127.0.0.1:port (0: any free port, printed on stderr) */
    const char *tls_cert, *tls_key;  /* both or neither: TLS (h2 or http/1.1 by ALPN), else cleartext HTTP/1.1 + h2c */
    const char *secret_file;         /* one "whsec_..." per line */
    int tolerance_s;                 /* webhook-timestamp's tolerance either way */
    char control_token[WH_TOKEN_MAX + 1]; /* "": /control/ needs no token */
} wh_config_t;

typedef struct wh_app {
    wh_config_t config;
    webhook_secret_t secrets[WH_MAX_SECRETS];
    size_t n_secrets;
    wh_rules_t rules;
    wh_record_t record;
    int held; /* deliveries held by stall or slow right now */
    uv_loop_t *loop;
} wh_app_t;

/** Reads the secret file: lines of "whsec_<base64>" (blank lines and lines starting with '#' skipped), 1 to
 *  WH_MAX_SECRETS of them, into app->secrets (replacing them only when the whole file is good). The number read, or
 *  -1 (nothing changed). secrets.c */
int wh_load_secrets(wh_app_t *app);

#endif
