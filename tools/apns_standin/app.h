/*
 * tools/apns_standin/app.h — the stand-in APNs's configuration, test modes and state, shared by its parts.
 *
 * One loop thread answers every request, one at a time: everything here is touched only there, so nothing is locked.
 */
#ifndef APNS_APP_H
#define APNS_APP_H

#include "apns_check.h"
#include "apns_jwt.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define APNS_ID_MAX 128        /* --key-id, --team-id: Apple's are 10 characters */
#define APNS_BUNDLE_MAX 200    /* --topic */
#define APNS_TOKEN_MAX 512     /* the control token */
#define APNS_DELAY_MAX_MS 600000

typedef struct apns_config {
    int port;                            /* 127.0.0.1:port (0: any free port, printed on stderr) */
    const char *tls_cert, *tls_key;      /* both or neither: TLS (h2 by ALPN), else cleartext h2c */
    EVP_PKEY *auth_key;                  /* the provider key's public half (--auth-key-pub) */
    char key_id[APNS_ID_MAX + 1];        /* the JWT header's "kid" */
    char team_id[APNS_ID_MAX + 1];       /* the JWT claims' "iss" */
    char bundle[APNS_BUNDLE_MAX + 1];    /* the app's bundle id: apns-topic */
    char control_token[APNS_TOKEN_MAX + 1]; /* "": /control/ needs no token */
} apns_config_t;

/* How the next notification requests that pass every check are answered (POST /control/mode). */
typedef struct apns_mode {
    apns_reason_t fail; /* APNS_OK, or TOO_MANY_REQUESTS / INTERNAL_SERVER_ERROR / SERVICE_UNAVAILABLE */
    long fail_count;    /* how many more requests fail; 0 with fail set: every one */
    int delay_ms;       /* each notification request is held this long before it is looked at */
    int retry_after_s;  /* > 0: a failed request's answer carries Retry-After: this many seconds */
} apns_mode_t;

typedef struct apns_app {
    apns_config_t config;
    apns_mode_t mode;
    apns_store_t store;
    int held; /* notification requests held by the delay mode right now */
    uv_loop_t *loop;
} apns_app_t;

#endif
