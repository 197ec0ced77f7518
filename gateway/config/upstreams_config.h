/*
 * gateway/config/upstreams_config.h — partners' upstream services and the routes to them, as the configuration file
 * declares them (`upstreams:` and `partner_routes:`, read by config_upstreams.c and config_partner_routes.c).
 *
 * Both sections are YAML lists of mappings. Every field of an item is checked on its own (type, range, syntax) while
 * the file is read, then the document as a whole (unique names, each route's upstream exists, its path lies under
 * /v1/partners/<that upstream's partner>/, no two routes of the same method and shape). Errors name the item by its
 * index: "FILE:LINE: upstreams[1].targets[0].address: message"; no message quotes a value. The files an upstream
 * names (CA, client certificate and key) are opened only by cong_config_check_upstream_files, which cong_config_load
 * calls after the file and the environment (cong_config_parse never reads another file). The environment cannot set
 * these sections (they are lists of structures): CONG_UPSTREAMS_* is an unknown variable like any other.
 *
 * A file that names no `upstreams:` keeps whatever an earlier parse gave (the defaults: none); a file that names the
 * section replaces the whole list. Ownership: cong_config_t owns these (cong_config_free frees them); the structures
 * are read-only once parsed. Reload: they are part of cong_config_t, so every live_config snapshot carries the
 * upstreams it was parsed with; what a reload does with them is stated in gateway/upstream/upstream.h.
 */
#ifndef CONG_GATEWAY_CONFIG_UPSTREAMS_H
#define CONG_GATEWAY_CONFIG_UPSTREAMS_H

#include <stddef.h>

#include "config.h"

/* The longest total_timeout_ms: 1 h. The server sets h2o's own I/O timeout for its HTTP/1 client above it
 * (http/server.c), so that only the proxy's deadlines (upstream/proxy_h1.c) ever end an upstream's request. */
#define CONG_UPSTREAM_TOTAL_TIMEOUT_MAX_MS 3600000

enum cong_upstream_protocol { CONG_UPSTREAM_HTTP1 = 0, CONG_UPSTREAM_H2 = 1, CONG_UPSTREAM_H2C = 2 };
enum cong_upstream_balance {
    CONG_BALANCE_ROUND_ROBIN = 0,
    CONG_BALANCE_LEAST_OUTSTANDING = 1,
    CONG_BALANCE_CONSISTENT_HASH = 2,
};
enum cong_upstream_hash_key { CONG_HASH_KEY_SUBJECT = 0, CONG_HASH_KEY_HEADER = 1 };
enum cong_partner_route_auth { CONG_PARTNER_AUTH_NONE = 0, CONG_PARTNER_AUTH_TOKEN = 1, CONG_PARTNER_AUTH_SESSION = 2 };

typedef struct cong_upstream_target_config {
    char *host;  /* owned: a DNS name, an IPv4 address or an IPv6 address without brackets */
    int port;    /* 1..65535 */
    int weight;  /* 1..1000, default 1 */
    int line;
} cong_upstream_target_config_t;

typedef struct cong_upstream_config {
    char *name;     /* owned: [a-z0-9_-]{1,64}, unique; names metrics and logs */
    int line;       /* of the item */
    cong_upstream_target_config_t *targets; /* owned: at least one */
    size_t target_count;
    int protocol;   /* enum cong_upstream_protocol; default http1 */
    int protocol_line, limits_line, health_line, balance_line; /* where those were set (0: default) */
    struct {
        char *ca_file;           /* owned; "": the system's CAs */
        char *client_cert_file;  /* owned; "": no client certificate (mTLS off) */
        char *client_key_file;   /* owned; with client_cert_file, never without (a secret: never read into logs) */
        char *server_name;       /* owned; "": the target's host */
        int line;                /* of `tls:`; 0: none given. TLS is spoken with h2 always, with http1 when given;
                                    h2c (cleartext HTTP/2, prior knowledge) refuses it */
        int ca_line, cert_line, key_line;
    } tls;
    struct {
        int max_concurrent;        /* default 256; 1..100000: requests under way at once, all workers */
        int max_queued;            /* default 128; 0..100000: waiting for one of those slots (FIFO on each worker) */
        int queue_timeout_ms;      /* default 1000; 1..600000: the longest a request waits in
                                      that queue before its 503 (its total deadline starts once it has a slot) */
        int connect_timeout_ms;    /* default 1000; 10..60000 */
        int first_byte_timeout_ms; /* default 10000; 10..600000 */
        int total_timeout_ms;      /* default 30000; 10..CONG_UPSTREAM_TOTAL_TIMEOUT_MAX_MS; ≥ the two above */
        long long max_request_body_bytes;  /* default 1048576; 0..1099511627776 */
        long long max_response_body_bytes; /* default 10485760; 0..1099511627776 */
    } limits;
    struct {
        int budget_permille; /* budget_ratio × 1000; default 200 (0.2); 0..1000 */
        int min_per_s;       /* default 3; 0..10000: retries always allowed per second, whatever the ratio */
    } retries;
    struct {
        int policy;          /* enum cong_upstream_balance; default round_robin */
        int hash_key;        /* enum cong_upstream_hash_key (consistent_hash only) */
        char *hash_header;   /* owned: lower-case header name for header:<name>; else NULL */
    } balance;
    struct {
        char *path;          /* owned; "": no active checks (default) */
        int interval_ms;     /* default 5000; 100..3600000 */
        int timeout_ms;      /* default 1000; 10..60000; < interval_ms */
        int healthy_threshold;   /* default 2; 1..100 */
        int unhealthy_threshold; /* default 3; 1..100 */
    } health;
    struct {
        int consecutive_failures; /* default 5; 0..1000 (0: no passive ejection) */
        int base_ejection_ms;     /* default 30000; 100..3600000 */
        int max_ejection_percent; /* default 50; 0..100 */
    } outlier;
    struct {
        char *name;            /* owned: [a-z0-9-]{1,32}, the `aud` of cong's token and the /v1/partners/<name>/ */
        cong_strlist_t scopes; /* granted to this partner: a token it gets carries at most these */
        /* The partner's plan, per caller (the subject, else the API client, else the client's address), all its
         * routes together: gateway/upstream/partner_quota.c. */
        int quota_per_minute;  /* default 0 (none); 0..1000000 */
        int quota_burst;       /* default 0 (= per_minute); 0..1000000 */
        int quota_daily;       /* default 0 (none); 0..1000000000: requests per caller per UTC day */
    } partner;
    char *openapi_file;  /* owned; "": none. The partner's OpenAPI 3 fragment (YAML or JSON): `paths` only, each
                            under /v1/partners/<partner.name>/; merged into /openapi.json (openapi_fragments.h) */
    int openapi_line;
} cong_upstream_config_t;

typedef struct cong_partner_route_config {
    const char *method; /* static: GET, HEAD, POST, PUT, PATCH or DELETE */
    int method_index;   /* its index in that list */
    char *path;        /* owned: /v1/partners/<partner>/... with {param} segments (router.h) */
    char *upstream;    /* owned: an upstream's name */
    char *rewrite;     /* owned; "": the path less "/v1/partners/<partner>"; else a path with {param}s of `path` */
    int auth;          /* enum cong_partner_route_auth; default token */
    cong_strlist_t scopes;
    int min_level;     /* default 1; 0..2 (0 only with auth none) */
    unsigned mandate_action; /* a CONG_MANDATE_* bit; 0: nobody may call it acting for someone */
    char *rate_class;  /* owned; default "default"; [a-z0-9_]{1,32} (a configured class: checked at start) */
    int line, upstream_line, path_line, auth_line, min_level_line, rewrite_line, rate_class_line;
} cong_partner_route_config_t;

typedef struct cong_upstreams_config {
    cong_upstream_config_t *items; /* owned */
    size_t count;
    cong_partner_route_config_t *routes; /* owned */
    size_t route_count;
    char *file;                    /* owned: the file `upstreams:` was read from, for errors found later */
    char *routes_file;             /* owned: the file `partner_routes:` was read from */
} cong_upstreams_config_t;

/** The upstream named `name`, or NULL. */
const cong_upstream_config_t *cong_upstream_config_find(const cong_upstreams_config_t *u, const char *name);

/** Opens the files the upstreams name: the CA bundle must hold a certificate, the client certificate one too, the
 *  key a private key matching it. Appends "FILE:LINE: upstreams[i].tls.key: message" per problem (never a file's
 *  contents). Returns how many there were, or CONG_ENOMEM. */
int cong_config_check_upstream_files(const cong_config_t *cfg, cong_config_errors_t *errs);

/** Reads every upstream's OpenAPI fragment (openapi_fragments.h checks it): appends "FILE:LINE:
 *  upstreams[i].openapi: message" per problem (the fragment's own line in the message when known). Returns how many
 *  there were, or CONG_ENOMEM. Called by cong_config_load after cong_config_check_upstream_files. */
int cong_config_check_openapi_fragments(const cong_config_t *cfg, cong_config_errors_t *errs);

/** 1 when `a` and `b` (either may be NULL: none) declare the same upstreams and routes, lines aside. */
int cong_upstreams_config_same(const cong_upstreams_config_t *a, const cong_upstreams_config_t *b);

void cong_upstreams_config_free(cong_upstreams_config_t *u);

#endif
