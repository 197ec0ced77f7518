/*
 * tools/vneid_standin/app.h — the stand-in VNeID provider's configuration and state, shared by its parts.
 *
 * One process, one thread, one libuv loop: the handlers run one at a time, so nothing here is locked.
 */
#ifndef VS_APP_H
#define VS_APP_H

#include "codes.h"
#include "keys.h"

#include <stddef.h>

#define VS_MAX_REDIRECT_PREFIXES 8

typedef struct vs_config {
    int port;                        /* listens on 127.0.0.1:port */
    const char *issuer;              /* "iss", and the base of every endpoint URL in the discovery document */
    const char *client_id;           /* the one registered client (cong) */
    /* a redirect_uri must start with one of these, on a URL boundary (--redirect-uri-prefix may be repeated) */
    const char *redirect_uri_prefixes[VS_MAX_REDIRECT_PREFIXES];
    size_t redirect_uri_prefix_count;
    const char *state_dir;           /* keys persisted here when set, else in memory only */
    int test_endpoints;              /* POST /test/mint */
    int code_ttl_s;                  /* lifetime of an authorization code (60) */
} vs_config_t;

typedef struct vs_app {
    vs_config_t config;
    vs_keyring_t keys;
    vs_codes_t codes;
} vs_app_t;

#endif
