/*
 * gateway/config/config.h — cong's configuration: one YAML file, every key overridable from the environment.
 *
 * The file is a mapping of sections (server, limits, cors, admission, auth, redis, postgres, log, modules; and the
 * lists upstreams and partner_routes, upstreams_config.h). Every key has a default, a type and bounds; an unknown
 * key, a wrong type or an out-of-range value is an error reported as "FILE:LINE: key.path: message". After the
 * file, each key can be overridden by an environment variable named CONG_ + the key path upper-cased with "." → "_"
 * (server.tls_port → CONG_SERVER_TLS_PORT); lists are comma-separated in the environment. Errors from the environment are reported as "env:0: CONG_X: message".
 *
 * Module keys live under modules.<module>.<key>; the file's values are kept as text in `module_values` (modules
 * declare and validate their keys when they load — see module loader). `modules.load` lists shared-object modules.
 *
 * Ownership: cong_config_t owns every string in it; cong_config_free releases them. Secrets (redis.password,
 * the postgres conninfo password) are never printed by anything in this file.
 *
 * This header is also the config room's contract. The room owns the key tables (one config_<feature>.c each), the
 * core that reads YAML and the environment, the production policy and the live (reloadable) settings. It offers
 * this file's cong_config_t and, included at its end, config_policy.h (the production policy), live_config.h (the
 * snapshots a reload publishes), yaml_json.h (YAML to JSON, for the OpenAPI document) and openapi_fragments.h
 * (partners' OpenAPI fragments, merged into the gateway's document); config_keys.h,
 * config_reader.h, config_report.h and config_values.h are internal. Threading: the configuration is read on the main
 * thread, before the workers start and at SIGHUP; workers read only the snapshot they adopted (live_config.h).
 * May use: http/client_address.h (a snapshot holds the parsed trusted proxies), auth/ and common/; no other room.
 */
#ifndef CONG_GATEWAY_CONFIG_H
#define CONG_GATEWAY_CONFIG_H

#include <stddef.h>

typedef struct cong_strlist {
    char **items; /* owned */
    size_t count;
} cong_strlist_t;

typedef struct cong_config_module_value {
    char *module; /* owned */
    char *key;    /* owned */
    char *value;  /* owned, scalar as text */
    char *file;   /* owned: where it came from, for errors ("env" for the environment) */
    int line;
} cong_config_module_value_t;

/* Where a key's value came from, for policy errors that must name a FILE:LINE after parsing. */
typedef struct cong_config_origin {
    char *file; /* owned; NULL while the key has its default */
    int line;   /* 0 for the environment */
} cong_config_origin_t;

typedef struct cong_config_errors {
    char **lines; /* owned: "FILE:LINE: key: message" */
    size_t count;
} cong_config_errors_t;

typedef struct cong_config {
    struct {
        char *bind;               /* default "127.0.0.1" */
        int tls_port;             /* default 8443; 0 disables the TLS listener */
        int h2c_port;             /* default 8080; 0 disables the cleartext (h2c prior knowledge / HTTP/1.1) listener */
        int workers;              /* default 0 = number of cores; 0..256 */
        char *tls_certificate;    /* default ".run/tls/cert.pem" */
        char *tls_private_key;    /* default ".run/tls/key.pem" */
        int tls_hsts_max_age_s;   /* default 63072000 (2 years); 0..315360000; 0: no Strict-Transport-Security (TLS only) */
        char *tls_ocsp_response_file; /* default "": a DER OCSP response for the certificate, stapled; reread at SIGHUP */
        char *tls_session_ticket_key_file; /* default "": random ticket keys per process; else 80-byte keys (tls.h) */
        int shutdown_timeout_ms;  /* default 10000; 0..600000 */
        int idle_timeout_ms;      /* default 30000 */
        int max_concurrent_streams; /* default 100; 1..256 */
        int http2_reset_burst;      /* default 50; 0..100000: HTTP/2 stream resets one connection may cause (0: off) */
        int http2_reset_per_second; /* default 50; 0..100000: how fast that budget refills */
        char *problem_base_uri;   /* default "https://cong.hanoi.gov.vn/problems/" */
        char *openapi_file;       /* default "openapi/cong.yaml" */
        int docs_enabled;         /* default 1; 0: no /docs page (404); read at start */
        char *docs_bundle_file;   /* default: Redoc's bundle as scripts/deps.sh installs it (docs_page.h) */
        char *environment;        /* default "production": refuses insecure settings (config_policy.c); or "development" */
        char *admin_bind;         /* default "127.0.0.1": the admin listener (/metrics) */
        int admin_port;           /* default 9090; 0 disables the admin listener */
        cong_strlist_t trusted_proxies; /* default empty: addresses/CIDRs whose X-Forwarded-For / Forwarded is believed */
        int proxy_protocol;       /* default 0; 1: every public connection starts with a PROXY protocol v1 line */
    } server;
    struct {
        int max_header_bytes;     /* default 8192; 512..65536: sum of header names + values */
        int max_header_count;     /* default 64; 1..256 */
        int max_body_bytes;       /* default 1048576; 0..1073741824 */
        int outbound_http_in_flight; /* default 256; 1..65536: a worker's outbound HTTP calls under way (ABI 1.4) */
        cong_strlist_t allowed_methods; /* default GET HEAD POST PUT PATCH DELETE OPTIONS */
        int min_transfer_rate_window_ms; /* default 30000; 0..600000: the window of the two rates below (0: both off) */
        int min_response_rate_bytes;     /* default 8192: response bytes a reader must take per window (0: off) */
        int min_request_body_rate_bytes; /* default 8192: body bytes a sender must send per window (0: off) */
    } limits;
    struct {
        cong_strlist_t allowed_origins; /* default empty: no cross-origin access */
        cong_strlist_t allowed_headers; /* default authorization, content-type, idempotency-key, x-request-id, accept-language */
        int max_age_s;            /* default 600 */
    } cors;
    struct { /* per client address (gateway/http/admission.h); 0 turns a limit off; restart to change */
        int max_connections_per_address; /* default 512; 0..1000000: connections open at once */
        int new_connections_per_second;  /* default 20; 0..1000000: new connections (TLS: handshakes), sustained */
        int new_connections_burst;       /* default 200; 0..1000000 (0: new_connections_per_second) */
    } admission;
    struct {
        char *issuer;             /* default "" — required for authenticated routes */
        char *audience;           /* default "" */
        char *public_key_file;    /* default "" — ES256 public key PEM of a trusted service-token issuer (kid-less tokens) */
        int clock_skew_s;         /* default 60; 0..300 */
        char *signing_key_file;   /* default "" — cong's current P-256 private key; enables sessions (identity module) */
        char *previous_signing_key_file; /* default "" — the previous one: its tokens stay valid until they expire */
        char *subject_secret_file; /* default "" — ≥ 32 bytes that make subjects pseudonymous (secret) */
        int access_token_ttl_s;   /* default 600; 60..900 */
        int refresh_token_ttl_s;  /* default 2592000 (30 days); 3600..7776000 */
        int step_up_max_age_s;    /* default 900: a level-2 route accepts a session this long after its VNeID login */
        int session_lifetime_s;   /* default 2592000: absolute lifetime of a session, refreshes or not */
        int session_idle_timeout_s; /* default 604800: a session unused (no refresh) this long ends */
        int refresh_reuse_grace_s; /* default 30: the previous refresh token gets the same new pair this long */
        int public_key_privileged; /* default 0: kid-less service tokens may carry act, acr 2 or scope admin when 1 */
        char *document_signing_key_file; /* default "": P-256 key that signs documents (results, receipts) */
    } auth;
    struct {
        char *issuer;             /* default "" — VNeID's issuer ("iss" of its ID tokens) */
        char *client_id;          /* default "cong" — cong's client id at VNeID ("aud" of its ID tokens) */
        char *jwks;               /* default "" — https URI or file of VNeID's JWKS; "" disables the exchange */
        int clock_skew_s;         /* default 60; 0..300 */
        int refresh_interval_s;   /* default 600 */
        int cooldown_s;           /* default 30: least time between two JWKS fetches (unknown kid) */
    } vneid;
    struct {
        int enabled;              /* default 1 */
        int default_per_minute;   /* default 600: sustained rate of the "default" class, per key */
        int default_burst;        /* default 100 */
        int auth_per_minute;      /* default 30: the "auth" class (token exchange, refresh) */
        int auth_burst;           /* default 10 */
        int auth_failure_per_minute; /* default 60: failed authentications per client address ("auth_failure" class) */
        int auth_failure_burst;   /* default 20 */
        int upload_per_minute;    /* default 30: the "upload" class */
        int upload_burst;         /* default 10 */
        int max_lease;            /* default 256: most tokens a worker leases ahead per key (rate_limit_lease.h) */
        int lease_ttl_ms;         /* default 1000: unspent leased tokens are dropped after this */
    } rate_limits;
    struct {
        char *host;               /* default "127.0.0.1" */
        int port;                 /* default 6379 */
        char *password;           /* default "" (secret) */
        int timeout_ms;           /* default 1000; 10..60000 */
    } redis;
    struct {
        char *conninfo;           /* default "host=127.0.0.1 port=5432 dbname=cong user=cong" (may hold a secret) */
        int pool_size;            /* per worker; default 0 = sized to the machine (postgres.h); 0..64 */
        int timeout_ms;           /* default 5000 */
        int queue_wait_ms;        /* default 250: longer waits for a connection are shed (503); 0 = never */
        char *migrations_dir;     /* default "gateway/migrations" */
    } postgres;
    struct {
        char *access_log;         /* default "-" (stdout); a path appends */
        char *level;              /* default "info": error|warn|info|debug */
    } log;
    struct {
        cong_strlist_t load;      /* default empty: paths of shared-object modules */
    } modules;

    struct cong_upstreams_config *upstreams; /* owned: partners' upstreams and routes (upstreams_config.h); NULL: none
                                                given */
    cong_config_module_value_t *module_values; /* owned */
    size_t module_value_count;
    cong_config_origin_t *origins; /* owned: one per key of the table, in its order (config.c) */
} cong_config_t;

/** Fill `cfg` with the defaults (allocates; free with cong_config_free). Returns 0 or CONG_ENOMEM. */
int cong_config_defaults(cong_config_t *cfg);

/**
 * Parse YAML text over the values already in `cfg` (call cong_config_defaults first). `name` is used in error lines.
 * Returns 0 when there were no errors, CONG_EPARSE when errors were appended to `errs`, CONG_ENOMEM.
 * Never reads files other than the text given; never exits.
 */
int cong_config_parse(cong_config_t *cfg, const char *name, const char *text, size_t len, cong_config_errors_t *errs);

/** Apply CONG_* overrides from `envp` (a NULL-terminated environ-style array). Unknown CONG_* names are errors,
 *  except CONG_MODULES_* which are left to the module loader. Same return convention as cong_config_parse. */
int cong_config_apply_env(cong_config_t *cfg, char *const *envp, cong_config_errors_t *errs);

/** Defaults, then the file (if path is not NULL), then the environment, then the files the upstreams name
 *  (cong_config_check_upstream_files). Same return convention. */
int cong_config_load(cong_config_t *cfg, const char *path, char *const *envp, cong_config_errors_t *errs);

/** Text of a module key from the file, or NULL. The pointer is owned by cfg. */
const cong_config_module_value_t *cong_config_module_value(const cong_config_t *cfg, const char *module,
                                                           const char *key);

/** Where key `path` (e.g. "vneid.jwks") was last set: *file is the file name or "env", *line its line (0 for the
 *  environment). Returns 1, or 0 with *file = "default", *line = 0 when the key has its default or is unknown.
 *  The strings stay valid until cong_config_free. */
int cong_config_origin(const cong_config_t *cfg, const char *path, const char **file, int *line);

/** Append a formatted error line ("FILE:LINE: key: message"). Returns 0 or CONG_ENOMEM. */
int cong_config_error(cong_config_errors_t *errs, const char *file, int line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/** Calls fn(path, arg) for every key whose value differs between a and b, in the table's order. */
void cong_config_each_change(const cong_config_t *a, const cong_config_t *b, void (*fn)(const char *path, void *arg),
                             void *arg);

/** Append a line already in "FILE:LINE: key: message" form. Returns 0 or CONG_ENOMEM. */
int cong_config_error_line(cong_config_errors_t *errs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void cong_config_free(cong_config_t *cfg);
void cong_config_errors_free(cong_config_errors_t *errs);

/* The room's other headers that other rooms use, after the types they build on (each includes this file first). */
#include "config_policy.h"
#include "live_config.h"
#include "upstreams_config.h"
#include "openapi_fragments.h"
#include "yaml_json.h"

#endif
