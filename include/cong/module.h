/*
 * cong/module.h — the cong module ABI, version 1 (minor 8).
 *
 * This is the one header a service module needs. It depends on libc only, exposes no gateway struct layout, and is
 * enough to build a partner module as a separate shared object:
 *
 *     cc -shared -fPIC -I include -o partner.so partner.c
 *
 * The model is Redis's redismodule.h: the gateway calls the module's entry point once, at load, with a context and a
 * versioned API table. The module keeps the table pointer and calls everything through it.
 *
 *     static const cong_api_t *api;
 *     static void hello(cong_req_t *req, void *udata) { api->reply_text(req, 200, "text/plain", "xin chào", 8); }
 *     int cong_module_onload(cong_module_ctx_t *ctx, const cong_api_t *a) {
 *         if (a->abi_major != CONG_MODULE_ABI_MAJOR) return CONG_EVERSION;
 *         api = a;
 *         cong_route_def_t r = {.size = sizeof r, .method = "GET", .path = "/v1/hello", .handler = hello,
 *                               .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "getHello"};
 *         return api->register_route(ctx, &r);
 *     }
 *
 * Versioning. `abi_major` changes only when something is removed or changes meaning; a module refuses a major it was
 * not built for. The table only ever grows at its end: `abi_minor` counts the additions and `size` is the table's size
 * as the gateway built it. Before calling a member added after 1.0, test it with CONG_API_HAS(api, member).
 * Structs a module passes in (cong_route_def_t, cong_config_key_def_t) start with their own `size` for the same reason.
 *
 * Threads. The gateway runs N worker threads, each with its own event loop. A request, and every callback issued on its
 * behalf, runs on one worker thread; nothing blocks a loop. Handlers must not block (no sleeping, no synchronous I/O).
 *
 * Errors. Functions return 0 (CONG_OK) or a negative CONG_E* code (cong/errors.h); api->strerror() names it. If a
 * call that takes a callback fails synchronously, its callback is never called.
 *
 * Memory. Everything a request accessor returns, and everything allocated with api->req_alloc(), lives in the
 * request's memory pool and stays valid until the request ends (its reply has been sent, or its client has gone).
 * A module frees none of it. Put per-request state in api->req_alloc() memory: then nothing leaks when a client leaves.
 *
 * Late callbacks. When a client goes away while a PostgreSQL query, Redis command or event publish issued for its
 * request is under way, the callback is NOT called (the request and its pool are gone). Module code therefore never
 * sees a dead request.
 */
#ifndef CONG_MODULE_H
#define CONG_MODULE_H

#include <stddef.h>
#include <stdint.h>

#include "cong/errors.h" /* CONG_OK, CONG_E*: the codes every call returns; enum cong_log_level */

#ifdef __cplusplus
extern "C" {
#endif

#define CONG_MODULE_ABI_MAJOR 1
#define CONG_MODULE_ABI_MINOR 9

/** Name of the entry point a shared-object module exports (type cong_module_onload_fn). */
#define CONG_MODULE_ENTRY "cong_module_onload"

typedef struct cong_module_ctx cong_module_ctx_t; /* valid only during the entry point */
typedef struct cong_req cong_req_t;               /* one request; valid until its reply is sent or client leaves */
typedef struct cong_pg_result cong_pg_result_t;   /* a PostgreSQL result; valid during the callback only */
typedef struct cong_redis_reply cong_redis_reply_t; /* a Redis reply; valid during the callback only */
typedef struct cong_job cong_job_t;               /* one run of a periodic job (1.3); valid during that run only */
struct json_t;                                    /* jansson's json_t */

/** Route handler. It must reply exactly once, now or later from one of its callbacks. */
typedef void (*cong_handler_fn)(cong_req_t *req, void *route_udata);

enum cong_auth_mode {
    CONG_AUTH_NONE = 0,     /* public: no credentials needed (a bad token is still refused) */
    CONG_AUTH_REQUIRED = 1, /* a valid bearer token is needed */
};

typedef struct cong_route_def {
    uint32_t size;            /* sizeof(cong_route_def_t) as the module was built */
    const char *method;       /* "GET", "POST", ... */
    const char *path;         /* template: literal segments and {param} segments, e.g. "/v1/dossiers/{code}" */
    cong_handler_fn handler;
    void *udata;              /* passed to the handler; owned by the module */
    int auth;                 /* enum cong_auth_mode */
    const char *scopes;       /* space-separated scopes that are all required, or NULL */
    int min_loa;              /* minimum level of assurance: 0 (none), 1 or 2 (VNeID levels) */
    const char *rate_limit_class; /* rate-limit class name, or NULL for "default" */
    const char *operation_id; /* the OpenAPI operationId documenting this route (required) */
    /* ---- added in 1.2 (read only when `size` covers it) ---- */
    long long max_body_bytes; /* largest request body this route takes; 0: the gateway's limits.max_body_bytes */
    /* ---- added in 1.5 (mandates) ---- */
    const char *mandate_action; /* what the route does to its subject's affairs, for someone acting under a mandate:
                                   "view", "submit", "pay", "receive_result" or "rate". NULL: nobody may call it
                                   acting for someone else (the gateway answers 403 mandate-does-not-cover), the
                                   default for every route registered before 1.5 */
} cong_route_def_t;

enum cong_config_type { CONG_CONFIG_STRING = 0, CONG_CONFIG_INT = 1, CONG_CONFIG_BOOL = 2 };

/** A configuration key under `modules.<module name>.<name>`, overridable by CONG_MODULES_<MODULE>_<NAME>. */
typedef struct cong_config_key_def {
    uint32_t size;            /* sizeof(cong_config_key_def_t) as the module was built */
    const char *name;         /* [a-z0-9_]+ */
    int type;                 /* enum cong_config_type */
    const char *default_value;/* as text, or NULL for "required" */
    const char *help;         /* one line */
} cong_config_key_def_t;

/** The authenticated party of a request. Owned by the gateway; valid as long as the request. Grows at its end.
 *
 *  Two people may stand behind one request (digital authorization, RFC 8693): `subject` is always WHOSE AFFAIRS the
 *  request concerns — the owner of the dossiers, payments and results it reads or writes — and, when someone acts
 *  for that person under a mandate, `actor` (1.5) is WHO ACTS. For a request on one's own affairs `actor` is NULL.
 *  The gateway has checked, before the handler runs, that the mandate is active now and includes the route's
 *  mandate_action; the module checks the procedure with mandate_covers and counts a use in its own transaction
 *  (cong_mandate_use, modules/README.md). Record both parties on what is written. */
typedef struct cong_principal {
    uint32_t size;            /* sizeof as the gateway built it */
    int authenticated;        /* 0: anonymous (public route, no token) */
    const char *subject;      /* whose affairs: pseudonymous subject ("sub"), never a citizen number; "" if anonymous */
    const char *on_behalf_of; /* when acting under a mandate, the person acted for (the same string as `subject`);
                                 NULL when acting for oneself. (Before 1.5 it held the token's "act", the actor.) */
    const char *client_id;    /* API client (business/partner), or NULL */
    const char *scopes;       /* space-separated granted scopes, "" if none */
    int loa;                  /* level of assurance 0..2: the actor's when acting for someone */
    const char *session_id;   /* cong session id (the actor's session when acting for someone), or NULL */
    /* ---- added in 1.5 (read only when `size` covers it) ---- */
    const char *actor;        /* who acts: the grantee's pseudonymous subject ("act"."sub") when acting for `subject`
                                 under a mandate, else NULL */
    const char *mandate_id;   /* that mandate's id (a UUID), else NULL */
    long long auth_time;      /* the login behind the token ("auth_time", seconds since the epoch), 0 when unknown:
                                 what a module re-issuing a token (token exchange) passes on, so that level 2 never
                                 outlives auth.step_up_max_age_s */
} cong_principal_t;

/** PostgreSQL callback: `result` is NULL when err != 0. Called on the request's worker thread. err CONG_EBUSY (from
 *  pg_query or here): the worker's pool is saturated — its queue is full, or no connection came free within
 *  postgres.queue_wait_ms — and nothing of the query reached the server: answer 503 with Retry-After at once. */
typedef void (*cong_pg_cb)(cong_req_t *req, int err, const cong_pg_result_t *result, void *udata);
/** Redis callback: `reply` is NULL when err != 0. */
typedef void (*cong_redis_cb)(cong_req_t *req, int err, const cong_redis_reply_t *reply, void *udata);
/** Event publish callback: err is 0 once the event is stored. */
typedef void (*cong_event_cb)(cong_req_t *req, int err, void *udata);
/** Body store callback (1.2): on success `sha256_hex` (64 hex digits, NUL-terminated) names the stored content and
 *  `size` is its length; both valid during the callback only. */
typedef void (*cong_body_store_cb)(cong_req_t *req, int err, const char *sha256_hex, long long size, void *udata);
/** A periodic job (1.3): runs on the gateway's job thread, never on a worker's loop. */
typedef void (*cong_job_fn)(cong_job_t *job, void *udata);

/* ---- added in 1.4 (modules' lifecycle and commands): the types its members use ---- */
typedef struct cong_worker cong_worker_t;   /* one worker thread and its event loop; valid while the gateway serves */
typedef uint64_t cong_timer_id_t;           /* names a running timer on its worker; 0 is never one */
/** A worker hook (1.4): runs on that worker's own thread; `index` is 0 .. number of workers - 1. */
typedef void (*cong_worker_fn)(cong_worker_t *worker, int index, void *udata);
/** A timer's callback (1.4): runs on the thread of the worker that started the timer. */
typedef void (*cong_timer_fn)(cong_worker_t *worker, cong_timer_id_t timer, void *udata);
/** An administrative command (1.4): argv holds the arguments after the command's name (argv[argc] is NULL); returns
 *  the process's exit status, one of enum cong_command_status. */
typedef int (*cong_command_fn)(cong_job_t *job, int argc, char **argv, void *udata);

/** What `cong NAME ...` exits with (the same numbers for every command, listed by `cong --help`). */
enum cong_command_status {
    CONG_COMMAND_OK = 0,        /* done, or nothing needed doing (say so on stdout: running a set-up twice must pass) */
    CONG_COMMAND_FAILURE = 1,   /* a store could not be reached or refused */
    CONG_COMMAND_USAGE = 2,     /* unknown subcommand or option, missing argument */
    CONG_COMMAND_NOT_FOUND = 3, /* what the command names does not exist */
};

/** Why the gateway loads the modules (load_purpose). */
enum cong_load_purpose {
    CONG_LOAD_SERVE = 0,   /* to serve, or to check what serving needs (--check-config, --migrate, --list-routes) */
    CONG_LOAD_COMMAND = 1, /* to run a command, list the modules or print --help: no request will be served */
};

/** Bytes of a pseudonymous subject with its NUL (43 base64url characters), for citizen_subject. */
#define CONG_SUBJECT_SIZE 44

enum cong_redis_type {
    CONG_REDIS_STRING = 1, CONG_REDIS_ARRAY = 2, CONG_REDIS_INTEGER = 3, CONG_REDIS_NIL = 4,
    CONG_REDIS_STATUS = 5, CONG_REDIS_ERROR = 6,
};

/* ---- types added in 1.4 (identity) ---- */

/** cong's own settings as the issuer of access tokens and keeper of sessions: the gateway's auth.* keys, for modules
 *  that sign people in, refresh or end sessions. Owned by the gateway, read-only, valid until the gateway stops (for a
 *  module: as long as it runs). Grows at its end: read a member added later only when `size` covers it. */
typedef struct cong_auth_settings {
    uint32_t size;               /* sizeof as the gateway built it */
    const char *issuer;          /* "iss" of cong's access tokens (auth.issuer), NUL-terminated */
    const char *audience;        /* their "aud" (auth.audience) */
    int access_ttl_s;            /* auth.access_token_ttl_s: the longest life of an access token */
    int refresh_ttl_s;           /* auth.refresh_token_ttl_s */
    int session_lifetime_s;      /* auth.session_lifetime_s: a session ends this long after its login at the latest */
    int session_idle_timeout_s;  /* auth.session_idle_timeout_s: ... or this long after its last refresh */
    int refresh_reuse_grace_s;   /* auth.refresh_reuse_grace_s: a retried refresh gets its answer again; 0 = never */
    int step_up_max_age_s;       /* auth.step_up_max_age_s: a level-2 login counts as level 2 this long */
    const char *jwks_json;       /* the public keys that verify cong's access tokens (current and previous signing
                                    key) as a JWKS document (RFC 7517), NUL-terminated compact JSON */
} cong_auth_settings_t;

/** What the identity provider says about the person behind an ID token, once idp_verify has checked it. Owned by the
 *  gateway, valid during the callback only (copy what you keep). Grows at its end (read members by `size`). */
typedef struct cong_idp_identity {
    uint32_t size;               /* sizeof as the gateway built it */
    const char *subject;         /* the person's pseudonymous subject, NUL-terminated: the one principal->subject
                                    carries in their cong tokens (HMAC-SHA256 of the citizen number under
                                    auth.subject_secret_file, base64url). The citizen number never reaches a module */
    int loa;                     /* level of assurance from the token's "acr": 1 or 2 (0 when absent) */
    long long auth_time;         /* the provider's login time ("auth_time", seconds since the epoch) as the token says
                                    it, 0 when absent */
    long long expires_at;        /* the ID token's "exp" */
} cong_idp_identity_t;

/** idp_verify's callback: `who` is NULL when err != 0. */
typedef void (*cong_idp_cb)(cong_req_t *req, int err, const cong_idp_identity_t *who, void *udata);

/** An access token for token_issue to sign. Strings are read during the call only. Grows at its end. */
typedef struct cong_token_grant {
    uint32_t size;               /* sizeof(cong_token_grant_t) as the module was built */
    const char *subject;         /* "sub" (required): a pseudonymous subject (cong_idp_identity_t), or a client id */
    const char *session_id;      /* "sid": what session_revoke ends; NULL for none */
    const char *scope;           /* space-separated scopes, NULL for none */
    const char *client_id;       /* "client_id" of an API client's token, or NULL */
    int loa;                     /* 0..2, carried as "acr" */
    long long auth_time;         /* the login behind the token (bounds level 2's age); 0 leaves the claim out */
    long long not_after;         /* 0, or when (seconds since the epoch) the token must end at the latest: its session's
                                    end */
    /* ---- added in 1.5 (acting for someone, RFC 8693): all NULL/0 for a token of one's own ---- */
    const char *actor;           /* "act": {"sub": actor}: the grantee acting for `subject` (then mandate_id and
                                    mandate_actions are required, and `scope` may not hold "admin") */
    const char *mandate_id;      /* the mandate (a UUID), carried in the "mandate" claim */
    const char *mandate_actions; /* space-separated subset of "view submit pay receive_result rate" */
    const char *mandate_procedures; /* space-separated procedure codes it covers (at most 32), or NULL */
    const char *mandate_domains; /* space-separated procedure domains it covers (at most 16), or NULL */
    long long mandate_until;     /* the mandate's last second (inclusive), or 0 when open-ended */
} cong_token_grant_t;

/** session_revoke's callback: err is 0 once the revocation is stored and published to every instance. */
typedef void (*cong_revoke_cb)(cong_req_t *req, int err, void *udata);

/* ---- streaming replies and outbound HTTP (1.4) ---- */
typedef struct cong_stream cong_stream_t;               /* a reply whose body the module writes piece by piece */
typedef struct cong_http_response cong_http_response_t; /* an outbound HTTP response; valid during its callback */

/** Streamed reply event (1.4), on the request's worker thread.
 *  err 0: writable — a stream_write answered CONG_EBUSY and the buffer has drained to half or less; write again.
 *  err CONG_EGONE: the stream is over without stream_end — the client went away (reset, closed, or stopped reading
 *  for server.idle_timeout_ms; over HTTP/1.1 a closed connection shows at the next write, so a long-quiet event
 *  stream should write a comment line now and then), or the gateway began to shut down (it then ends the response
 *  itself after what was written, so that an event-stream client reconnects to another instance). It is the last
 *  call: the request's pool (req_alloc memory, accessors) is still readable during it, and after it returns neither
 *  `stream` nor `req` may be used again (cancel the timers and calls that would write). Reply and stream functions
 *  called from it answer CONG_EGONE or CONG_ESTATE. */
typedef void (*cong_stream_cb)(cong_req_t *req, cong_stream_t *stream, int err, void *udata);

/** Outbound HTTP callback (1.4), on the request's worker thread; never called if the request's client left (like
 *  pg_query). `res` is NULL when err != 0, else valid during the callback only (read it with http_response_*). */
typedef void (*cong_http_cb)(cong_req_t *req, int err, const cong_http_response_t *res, void *udata);

enum cong_http_version {
    CONG_HTTP_AUTO = 0,              /* https: HTTP/2 when the server offers it (ALPN), else HTTP/1.1; http: HTTP/1.1 */
    CONG_HTTP_1_1 = 1,               /* HTTP/1.1 only */
    CONG_HTTP_2_PRIOR_KNOWLEDGE = 2, /* HTTP/2 without negotiation, also over cleartext (h2c) */
};

/** An outbound HTTP request (1.4). Everything is copied before http_request returns. Grows at its end. */
typedef struct cong_http_request {
    uint32_t size;                 /* sizeof(cong_http_request_t) as the module was built */
    const char *method;            /* "GET", "POST", ...; NULL: GET */
    const char *url;               /* http:// or https:// only (no other scheme, no redirect is followed) */
    const char *const *headers;    /* "Name: value" lines (no CR/LF), NULL-terminated; or NULL */
    const void *body;              /* request body, or NULL */
    size_t body_len;
    long long timeout_ms;          /* the whole call's deadline: 1..600000 (required) */
    long long connect_timeout_ms;  /* deadline of the connection (TCP + TLS); 0: timeout_ms */
    long long max_response_bytes;  /* a larger response body fails with CONG_ETOOBIG; 0: 1 MiB; at most 1 GiB */
    int http_version;              /* enum cong_http_version */
    const char *ca_file;           /* PEM bundle to verify the server with, or NULL for the system's CAs */
    const char *client_cert_file;  /* PEM client certificate (mTLS), or NULL */
    const char *client_key_file;   /* its PEM private key (unencrypted), or NULL */
} cong_http_request_t;

/* ---- types added in 1.7 (live channels) ---- */
/** Maximum length of a channel name (register_channel), without its NUL. */
#define CONG_CHANNEL_NAME_MAX 64
/** Channels the modules of one gateway may register together (each costs every worker one Redis connection). */
#define CONG_CHANNELS_MAX 8
/** A channel's callback (1.7), on the thread of the worker that received the message. `message` (len bytes, not
 *  NUL-terminated, may hold NULs) is valid during the call only. message NULL (len 0): this worker has just
 *  (re)subscribed — what was published while it was away is lost, so re-read the record the messages point at. */
typedef void (*cong_channel_fn)(cong_worker_t *worker, const char *message, size_t len, void *udata);

/* ---- types added in 1.8 (ended sessions) ---- */
/** A session listener's callback (1.8), on a worker's thread: the session `session_id` (a token's "sid", as
 *  principal->session_id gives it) has been revoked — logout, session deletion, refresh-token reuse — on this or any
 *  other gateway instance, and no token of it is accepted on this worker any more. `session_id` is valid during the
 *  call only. Called at least once per worker per revocation, possibly again later for the same session (after a
 *  resubscription the worker re-applies every revocation still in force): the module's reaction must be idempotent
 *  and cheap (index what it holds by session). */
typedef void (*cong_session_ended_fn)(cong_worker_t *worker, const char *session_id, void *udata);

typedef struct cong_api {
    uint16_t abi_major;
    uint16_t abi_minor;
    uint32_t size;            /* sizeof(cong_api_t) as the gateway built it */

    /* ---- load time only (CONG_ESTATE afterwards) ---- */
    /** Register a route. The def and its strings are copied. */
    int (*register_route)(cong_module_ctx_t *ctx, const cong_route_def_t *def);
    /** Declare a configuration key; fails (CONG_EINVAL) if the configured value does not fit the type. */
    int (*register_config)(cong_module_ctx_t *ctx, const cong_config_key_def_t *def);
    /** The value of a declared key (configured, from the environment, or default). Valid for the process lifetime. */
    const char *(*config_get)(cong_module_ctx_t *ctx, const char *name);

    /* ---- anywhere ---- */
    const char *(*strerror)(int err);
    /** printf-style log line to the gateway's error log; never pass secrets or citizen numbers. */
    void (*log)(int level, const char *module, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

    /* ---- request accessors (request's thread only). Strings are not NUL-terminated unless stated; len is set. ---- */
    const char *(*req_method)(cong_req_t *req, size_t *len);
    const char *(*req_path)(cong_req_t *req, size_t *len);               /* raw path without query */
    const char *(*req_path_param)(cong_req_t *req, const char *name, size_t *len); /* decoded, NUL-terminated */
    const char *(*req_query_param)(cong_req_t *req, const char *name, size_t *len); /* decoded, NUL-terminated */
    const char *(*req_header)(cong_req_t *req, const char *lowercase_name, size_t *len);
    const char *(*req_body)(cong_req_t *req, size_t *len);
    /** The body parsed as JSON (borrowed; freed with the request), or NULL if absent/not JSON. */
    struct json_t *(*req_json)(cong_req_t *req);
    const cong_principal_t *(*req_principal)(cong_req_t *req);
    const char *(*req_id)(cong_req_t *req);                              /* NUL-terminated */
    int (*req_lang_en)(cong_req_t *req);                                 /* 1 if the client prefers English */
    /** Zeroed memory from the request's pool; freed with the request. NULL on failure. */
    void *(*req_alloc)(cong_req_t *req, size_t size);

    /* ---- replies: exactly one per request; a second gets CONG_ESTATE ---- */
    /** Add a response header (copied). Call before the reply. */
    int (*reply_header)(cong_req_t *req, const char *name, const char *value);
    /** JSON reply; takes ownership of `body` (one reference). */
    int (*reply_json)(cong_req_t *req, int status, struct json_t *body);
    int (*reply_text)(cong_req_t *req, int status, const char *content_type, const char *body, size_t len);
    /** application/problem+json. `problem` is a stable slug from the gateway's catalog (e.g. "not-found",
     *  "validation-failed"); detail texts are optional (NULL: the catalog's title is used). */
    int (*reply_problem)(cong_req_t *req, int status, const char *problem, const char *detail_vi,
                         const char *detail_en);

    /* ---- asynchronous stores: callbacks run later on the same worker; never called if the client left ---- */
    /** Parameterised SQL ($1..$n, text params, NULL = SQL NULL). Strings are copied before return. */
    int (*pg_query)(cong_req_t *req, const char *sql, int nparams, const char *const *params, cong_pg_cb cb,
                    void *udata);
    int (*pg_ntuples)(const cong_pg_result_t *r);
    int (*pg_nfields)(const cong_pg_result_t *r);
    const char *(*pg_value)(const cong_pg_result_t *r, int row, int col); /* NUL-terminated text */
    int (*pg_is_null)(const cong_pg_result_t *r, int row, int col);
    const char *(*pg_field_name)(const cong_pg_result_t *r, int col);
    /** Redis command with binary-safe arguments (copied before return). */
    int (*redis_command)(cong_req_t *req, int argc, const char *const *argv, const size_t *argvlen,
                         cong_redis_cb cb, void *udata);
    int (*redis_type)(const cong_redis_reply_t *r);
    const char *(*redis_string)(const cong_redis_reply_t *r, size_t *len); /* STRING, STATUS, ERROR */
    long long (*redis_integer)(const cong_redis_reply_t *r);
    size_t (*redis_elements)(const cong_redis_reply_t *r);
    const cong_redis_reply_t *(*redis_element)(const cong_redis_reply_t *r, size_t i);
    /** Publish an event on `topic` (msgpack-encoded into a Redis stream). Payload is borrowed. cb may be NULL. */
    int (*event_publish)(cong_req_t *req, const char *topic, struct json_t *payload, cong_event_cb cb, void *udata);

    /* ---- added in 1.1 (test with CONG_API_HAS(api, req_form_param)) ---- */
    /** A field of an application/x-www-form-urlencoded body, decoded and NUL-terminated; NULL when absent, when the
     *  body is of another type, or malformed. */
    const char *(*req_form_param)(cong_req_t *req, const char *name, size_t *len);

    /* ---- added in 1.2 (test with CONG_API_HAS(api, register_migrations)) ---- */
    /** Load time: the module owns the SQL migrations in folder `dir` (files NNNN_name.sql, applied in number order).
     *  `cong --migrate` and start-up apply them after the gateway's own, each once, all in one transaction under the
     *  migration lock, recorded per module. The string is copied. */
    int (*register_migrations)(cong_module_ctx_t *ctx, const char *dir);
    /** Stores the request body as a file named by its SHA-256 under `dir` (dir/ab/abcdef…, 2-hex-digit fan-out),
     *  written and fsync'd off the event loop (a temporary file, then an atomic rename; an existing file with that name
     *  is kept, its modification time refreshed). The body is copied first, so the request may end meanwhile (the
     *  callback is then not called). `dir` is copied. CONG_EINVAL for an empty body. */
    int (*req_body_store)(cong_req_t *req, const char *dir, cong_body_store_cb cb, void *udata);
    /** Signs `payload` (a JSON object, e.g. compact JSON text) with cong's current document key — never the key of
     *  its access tokens: a JWS compact serialisation (RFC 7515; ES256, header
     *  {"alg":"ES256","typ":"cong-document+jwt","kid"}, the object re-serialised compactly) NUL-terminated in the
     *  request pool, or NULL when the payload is not a JSON object, no document key is loaded or memory ran out. */
    const char *(*jws_sign)(cong_req_t *req, const char *payload, size_t len);
    /** Verifies a JWS compact serialisation made by jws_sign, with whichever document key cong had then: every
     *  document key cong ever used is kept (published at /.well-known/cong-document-keys.json), so a document signed
     *  before any number of rotations still verifies. An access token never verifies here. 0 with the decoded
     *  payload (NUL-terminated, request pool) in *payload and *payload_len; CONG_EINVAL when it does not verify or is
     *  malformed; CONG_ENOTFOUND when no document key is loaded. */
    int (*jws_verify)(cong_req_t *req, const char *jws, size_t len, const char **payload, size_t *payload_len);
    /** Like reply_problem, plus extension members (RFC 9457 §3.2) taken from the object `extensions` (reference
     *  stolen; may be NULL), e.g. {"errors": [{"field": "ho_ten", "code": "required"}]}. Members named like the
     *  standard ones (type, title, status, detail, instance) are ignored. */
    int (*reply_problem_ext)(cong_req_t *req, int status, const char *problem, const char *detail_vi,
                             const char *detail_en, struct json_t *extensions);
    /** Replies with the content of the file at `path` (read by the gateway in chunks as the client takes them; never
     *  whole in memory), with Content-Type `content_type`. CONG_ENOTFOUND (nothing sent: reply otherwise) when the
     *  file cannot be opened. */
    int (*reply_file)(cong_req_t *req, int status, const char *content_type, const char *path);

    /* ---- added in 1.3 (test with CONG_API_HAS(api, register_job)) ---- */
    /** Load time: runs `fn` every `interval_ms` (at least 100) on the gateway's job thread, the first time one
     *  interval after the gateway starts serving. The job thread is not a worker's loop: a job may block (files,
     *  job_pg_exec), but every module's jobs share it, one run at a time, so a run should do a bounded batch. Each
     *  gateway instance runs its jobs: several instances run them at the same time (make them safe with
     *  FOR UPDATE SKIP LOCKED and the like). `name` ([a-z0-9_]+) is copied. */
    int (*register_job)(cong_module_ctx_t *ctx, const char *name, long long interval_ms, cong_job_fn fn, void *udata);
    /** Job thread only: runs a parameterised statement ($1..$n, text params, NULL = SQL NULL) on the job thread's own
     *  PostgreSQL connection and waits for it (at most postgres.timeout_ms). A transaction (BEGIN ... COMMIT) holds
     *  across calls within one run; one left open is rolled back after the run. 0 with *result (read it with
     *  pg_ntuples, pg_value..., free it with job_pg_clear; `result` may be NULL), or CONG_EUNAVAILABLE (no
     *  connection), CONG_EQUERY (the statement failed), CONG_ETIMEDOUT. */
    int (*job_pg_exec)(cong_job_t *job, const char *sql, int nparams, const char *const *params,
                       cong_pg_result_t **result);
    void (*job_pg_clear)(cong_pg_result_t *result);
    /** 1 once the gateway is stopping: a job working through batches returns at the next one. */
    int (*job_stopping)(cong_job_t *job);

    /* ---- added in 1.4 (modules' lifecycle and commands; test with CONG_API_HAS(api, job_revoke_session)) ---- */
    /** Load time, before any register_* call: the module's name ([a-z][a-z0-9_]*, at most 32; its configuration keys
     *  are then modules.<name>.*) and version (at most 32 of [A-Za-z0-9._+-], e.g. "1.2.0"), shown in the log line at
     *  load, in /metrics (cong_module_info{module,version}) and by `cong --list-modules`, like RedisModule_Init. A
     *  module that never calls it keeps the name it was loaded under (the built-in table's, or its shared object's
     *  file name without extension) and the version "unknown". Strings copied. CONG_EINVAL (bad name or version),
     *  CONG_EEXIST (another module has that name), CONG_ESTATE (a second call, a call after a register_* call or
     *  after load). */
    int (*declare_module)(cong_module_ctx_t *ctx, const char *name, const char *version);
    /** Load time: why the modules are loaded (enum cong_load_purpose). For CONG_LOAD_COMMAND a module registers its
     *  commands and may skip what only serving needs (reading static files, creating folders, routes): a command
     *  run from another folder must not fail on the dashboard's files, as `nginx -s` skips a worker's set-up. */
    int (*load_purpose)(cong_module_ctx_t *ctx);
    /** Load time: `on_init` runs on each worker's thread once its loop exists, before the worker takes a request;
     *  `on_dispose` runs on each worker's thread after its loop stopped for good: by then every timer of that worker
     *  is stopped and no request, store or timer callback of that worker runs any more. Workers run their hooks at
     *  the same time, each on its own thread: keep per-worker state in a _Thread_local variable. Modules' hooks run
     *  in load order (dispose: reverse). Either may be NULL; `udata` is the module's. CONG_EEXIST (hooks registered
     *  already), CONG_ESTATE (after load). */
    int (*register_worker_hooks)(cong_module_ctx_t *ctx, cong_worker_fn on_init, cong_worker_fn on_dispose,
                                 void *udata);
    /** Request's thread: the worker the request runs on, to start a timer from a handler or a callback. */
    cong_worker_t *(*req_worker)(cong_req_t *req);
    /** Worker's thread only (a handler, a store callback, on_init, a timer callback): `fn` runs on that worker's loop
     *  after `delay_ms` (0: the next loop iteration), then every `repeat_ms` while repeat_ms > 0, until timer_stop. A
     *  one-shot timer (repeat_ms 0) is over once its callback has returned. *id (id may be NULL) names the timer for
     *  timer_stop. Timers are stopped before the dispose hooks run. A timer knows nothing of requests: a request the
     *  module saw may be gone when its timer fires (never keep a cong_req_t for a timer). 0, or CONG_EINVAL (fn NULL,
     *  delay or repeat outside 0 .. 7 days), CONG_ESTATE (not this worker's thread, or its loop has stopped),
     *  CONG_EBUSY (65536 timers run on this worker already), CONG_ENOMEM; fn is then never called. */
    int (*timer_start)(cong_worker_t *worker, long long delay_ms, long long repeat_ms, cong_timer_fn fn, void *udata,
                       cong_timer_id_t *id);
    /** Worker's thread only: stops a timer; its callback is never called again, also when stopped from within it. 0,
     *  CONG_ENOTFOUND (a one-shot timer that ran, a timer stopped already, another worker's), CONG_ESTATE (not this
     *  worker's thread). */
    int (*timer_stop)(cong_worker_t *worker, cong_timer_id_t id);
    /** Load time: an administrative command, run as `cong [--config FILE] NAME ARGS...` by the command-line process
     *  (never by a serving gateway; every module is loaded there with load_purpose CONG_LOAD_COMMAND). `fn` runs on
     *  the main thread and may block: its cong_job_t works with job_pg_exec/job_pg_clear (a PostgreSQL connection of
     *  the command's own) and job_revoke_session; job_stopping is 0. It prints its results on stdout, its errors on
     *  stderr (never a secret, never a citizen number), and returns an enum cong_command_status, the process's exit
     *  status; after CONG_COMMAND_USAGE the gateway prints `usage`. `usage`: one line per form, each starting
     *  "cong NAME", shown by `cong --help`. `name`: [a-z][a-z0-9-]*, at most 32. Strings copied. CONG_EINVAL,
     *  CONG_EEXIST (a command of that name exists, in any module), CONG_ESTATE (after load), CONG_ENOMEM. */
    int (*register_command)(cong_module_ctx_t *ctx, const char *name, const char *usage, cong_command_fn fn,
                            void *udata);
    /** Anywhere (it never blocks): the pseudonymous subject of a citizen number, HMAC-SHA256 under
     *  auth.subject_secret_file exactly as at login, written NUL-terminated to `out` (CONG_SUBJECT_SIZE bytes). The
     *  gateway reads the secret once at start, so no module ever reads it. Never log the citizen number. 0, or
     *  CONG_EINVAL (empty number, out_size too small), CONG_ENOTFOUND (no secret configured, or under 32 bytes). */
    int (*citizen_subject)(const char *citizen_number, char *out, size_t out_size);
    /** Job thread or command: refuses every token of session `session_id` (an API client's tokens carry the session
     *  "client:<client_id>") on every instance, for as long as a token issued until now can live
     *  (auth.access_token_ttl_s + 120 s): the revocation set and channel that every worker follows. Blocking, each
     *  step bounded by redis.timeout_ms. 0, or CONG_EINVAL, CONG_EUNAVAILABLE (Redis could not be reached or went
     *  away: the revocation may not have reached every instance; call again), CONG_EQUERY (Redis refused). */
    int (*job_revoke_session)(cong_job_t *job, const char *session_id);
    /* ---- added in 1.4 (identity) ---- */
    /* cong signs people in and ends their sessions through these: the keys, the subject secret and the revocation
     * channel stay the gateway's, a module never holds them. A module that may call them can act as anyone: cong
     * trusts every module it loads. Test with CONG_API_HAS(api, session_revoke). */
    /** Load time: cong's issuer settings (see cong_auth_settings_t), or NULL when this gateway issues no access tokens
     *  (no auth.signing_key_file): then token_issue and idp_verify fail with CONG_ENOTFOUND. Keep the pointer. */
    const cong_auth_settings_t *(*auth_settings)(cong_module_ctx_t *ctx);
    /** Request's thread: verifies `id_token` (len bytes, copied before return; at most 8192) as an ID token of the
     *  identity provider cong federates with (VNeID: vneid.issuer, vneid.client_id, its keys from vneid.jwks, which the
     *  gateway keeps fresh): signature by "kid" with the key's pinned algorithm, iss, aud, exp, nbf, iat with
     *  vneid.clock_skew_s, no "crit", a subject. When the token names a key the gateway does not have yet (the provider
     *  just rotated), the gateway asks for its keys again and waits — at most 2 s, a timer on the worker's loop, never
     *  blocking it — before it decides. Always asynchronous: cb runs later on this worker, once, and never if the
     *  client left. err: 0 with `who`; CONG_EINVAL, the token does not verify (answer 401); CONG_EUNAVAILABLE, no key
     *  of the provider is available (none configured, never loaded: answer 503); CONG_EIO. Synchronous errors (cb not
     *  called): CONG_EINVAL (no token, no cb), CONG_ETOOBIG (over 8192 bytes), CONG_ENOTFOUND (see auth_settings),
     *  CONG_EGONE, CONG_ENOMEM. The reason a token was refused goes to the gateway's log, never the token. */
    int (*idp_verify)(cong_req_t *req, const char *id_token, size_t len, cong_idp_cb cb, void *udata);
    /** Request's thread: signs a cong access token for `grant` with cong's current signing key (ES256, "kid",
     *  typ "at+jwt"; iss, aud, sub, sid, acr, scope, client_id, auth_time, iat = now, a fresh jti) valid until
     *  min(now + access_ttl_s, grant->not_after). 0 with *token (NUL-terminated, in the request pool; the module may
     *  wipe it once sent) and, when expires_at is not NULL, its "exp" in *expires_at. CONG_EINVAL (no subject, loa
     *  outside 0..2, not_after not after now, a grant smaller than 1.4's), CONG_ENOTFOUND (see auth_settings),
     *  CONG_EGONE, CONG_ENOMEM, CONG_EIO. */
    int (*token_issue)(cong_req_t *req, const cong_token_grant_t *grant, char **token, long long *expires_at);
    /** Request's thread: revokes the session `session_id` (a token's "sid", principal->session_id: 1..63 printable
     *  ASCII characters, no space) everywhere: this worker refuses its tokens before the call returns, every worker of
     *  every instance as the revocation reaches it through Redis (and on catching up after a lost subscription). It is
     *  kept until every token cong issued for the session has expired (access_ttl_s plus 120 s of clock skew). cb may
     *  be NULL; it runs later on this worker, never if the client left (the revocation goes on): err 0 once stored and
     *  published, else CONG_EUNAVAILABLE or CONG_EIO (this worker refuses the session, other instances may not yet).
     *  Synchronous errors (cb not called, nothing revoked): CONG_EINVAL, CONG_EGONE, CONG_EUNAVAILABLE (Redis is
     *  down), CONG_ENOMEM. */
    int (*session_revoke)(cong_req_t *req, const char *session_id, cong_revoke_cb cb, void *udata);

    /* ---- added in 1.4 (streaming, outbound HTTP) ---- */
    /* Streamed replies (test with CONG_API_HAS(api, stream_begin)). A stream is the request's one reply: it sends the
     * status and the headers at once (those added with reply_header, then the response filters'), then the body as
     * the module writes it, over HTTP/2 or chunked HTTP/1.1 — for Server-Sent Events and large downloads. It may be
     * written long after the handler returned (from a store callback, a timer), always on the request's worker
     * thread; the request's accessors and pool stay valid until stream_end or the CONG_EGONE callback. Memory is
     * bounded: a stream never holds more than `buffer_bytes` of written data (its two buffers, one being sent, one
     * filling, hold at most 2 × buffer_bytes of memory); a client that reads slowly or not at all makes stream_write
     * answer CONG_EBUSY, never grow the buffer. Metrics: cong_streams_open, cong_stream_buffer_bytes,
     * cong_streams_client_gone_total. */
    /** Starts the streamed reply: `status` 200..599, `content_type` (copied) e.g. "text/event-stream", a buffer of
     *  `buffer_bytes` (0: 64 KiB; 1 KiB..16 MiB), and `cb` (required), which tells when the stream can take more
     *  and when it is over (cong_stream_cb). 0 with *stream set; CONG_EINVAL, CONG_ESTATE (already replied),
     *  CONG_EGONE (client gone), CONG_ENOMEM — then nothing was sent and cb is never called. A HEAD request gets the
     *  headers and no body (writes are accepted and dropped). */
    int (*stream_begin)(cong_req_t *req, int status, const char *content_type, size_t buffer_bytes, cong_stream_cb cb,
                        void *udata, cong_stream_t **stream);
    /** Appends `len` bytes (copied) to the stream, all or nothing: 0; CONG_EBUSY when they do not fit in the buffer
     *  now — nothing was copied, and cb(…, 0, …) is called once the buffer has drained to half (write again then);
     *  CONG_ETOOBIG when `len` > buffer_bytes (they never fit: write smaller pieces); CONG_ESTATE after stream_end;
     *  CONG_EGONE once the client has gone. */
    int (*stream_write)(cong_stream_t *stream, const void *data, size_t len);
    /** Ends the body once what was written has been sent. Afterwards neither the stream nor the request may be used,
     *  and cb is not called again. 0, CONG_ESTATE (ended already), CONG_EGONE. */
    int (*stream_end)(cong_stream_t *stream);

    /* Outbound HTTP (test with CONG_API_HAS(api, http_request)): HTTP/1.1 and HTTP/2 calls to providers and partners,
     * made by libcurl on the request's worker loop (one connection cache per worker; DNS, connect, TLS and transfer
     * never block it). TLS always verifies the server's certificate and name (ca_file, else the system's CAs); there
     * is no switch to turn that off. No proxy from the environment is used, no redirect followed, only http and
     * https. Each worker has at most limits.outbound_http_in_flight calls under way. Metrics:
     * cong_http_client_in_flight, cong_http_client_calls_total{result}. Never put a secret or a citizen number in a
     * URL: a URL may be logged. */
    /** Starts a call for `req` (request's thread only). 0: cb is called once, later, with the response or an error —
     *  unless the client leaves first: then the call is cancelled and cb never called. Synchronous errors (cb never
     *  called): CONG_EINVAL (bad def: scheme, timeout, CR/LF in a header...), CONG_EGONE, CONG_EBUSY (the worker's
     *  in-flight bound), CONG_ENOMEM. Errors given to cb: CONG_ETIMEDOUT (a deadline passed), CONG_ETOOBIG (the
     *  response body or headers over max_response_bytes / 64 KiB), CONG_EUNAVAILABLE (name not resolved, connection
     *  refused or unreachable), CONG_EIO (TLS failure — an unverified certificate, a refused client certificate —
     *  or a protocol error), CONG_EINVAL (a file of def could not be used). A 4xx or 5xx answer is no error: err 0,
     *  read its status. */
    int (*http_request)(cong_req_t *req, const cong_http_request_t *def, cong_http_cb cb, void *udata);
    /** The final response's status code (100..599). */
    int (*http_response_status)(const cong_http_response_t *res);
    /** The protocol it came over: 11 (HTTP/1.1), 10 (HTTP/1.0) or 20 (HTTP/2). */
    int (*http_response_version)(const cong_http_response_t *res);
    /** The first value of response header `name` (any case), NUL-terminated, or NULL. Valid as long as `res`. */
    const char *(*http_response_header)(const cong_http_response_t *res, const char *name, size_t *len);
    /** The response body (NUL-terminated for convenience; it may itself hold NULs), "" when empty. Valid as long as
     *  `res`. */
    const char *(*http_response_body)(const cong_http_response_t *res, size_t *len);
    /** Job thread only: the same call, made synchronously (the job thread may block; the deadline bounds it; the
     *  in-flight bound does not apply). 0 with *res (free it with job_http_response_free), or the errors above. */
    int (*job_http_request)(cong_job_t *job, const cong_http_request_t *def, cong_http_response_t **res);
    void (*job_http_response_free)(cong_http_response_t *res);

    /* ---- added in 1.5 (mandates; test with CONG_API_HAS(api, mandate_covers)) ---- */
    /** Request's thread, answered from the request's token (no store is asked): 0 when the request concerns the
     *  principal's own affairs (no mandate), or when its mandate covers procedure `procedure_code` or its whole
     *  `domain` (either may be NULL); CONG_EPERM when it does not — answer 403 "mandate-does-not-cover" (name the
     *  procedure). CONG_EINVAL when both are NULL. Whether the mandate is still active and includes the route's action
     *  the gateway checked before the handler; whether it has uses left, cong_mandate_use decides in the module's
     *  transaction. */
    int (*mandate_covers)(cong_req_t *req, const char *procedure_code, const char *domain);

    /* ---- added in 1.6 (payments; test with CONG_API_HAS(api, req_query), the last of them) ---- */
    /** Request's thread: the client's address as text (IPv4 or IPv6, no port), the one cong's per-address limits use:
     *  behind a peer in server.trusted_proxies, the rightmost Forwarded / X-Forwarded-For address that is not itself
     *  a trusted proxy, else the TCP peer (gateway/http/client_address.h). NUL-terminated, owned by the request, valid
     *  as long as the request; "" when unknown. For a provider's callback allow-list and the payer's vnp_IpAddr. */
    const char *(*req_client_address)(cong_req_t *req);
    /** Job thread or command: jws_sign's job form — signs `payload` (a JSON object) with cong's current document key
     *  (same header and serialisation as jws_sign, verifiable with jws_verify). 0 with *jws malloc'd (NUL-terminated;
     *  the caller frees it with free()), CONG_EINVAL (not a JSON object), CONG_ENOTFOUND (no document key loaded, e.g.
     *  in a command), CONG_ENOMEM. */
    int (*job_jws_sign)(cong_job_t *job, const char *payload, size_t len, char **jws);
    /** Request's thread: the raw query string as received (after '?', not decoded; "" when none), NUL-terminated in
     *  the request pool, its length in *len (may be NULL). For a provider's signed callback, whose signature covers
     *  every parameter it sent — req_query_param gives only those one names. */
    const char *(*req_query)(cong_req_t *req, size_t *len);

    /* ---- added in 1.7 (live channels; test with CONG_API_HAS(api, register_channel)) ---- */
    /** Load time: every worker of every gateway instance follows the Redis Pub/Sub channel `channel`, on a connection
     *  of its own on the worker's loop (gateway/stores/redis_subscriber.h: PINGed, re-subscribed with backoff when
     *  lost), so a message PUBLISHed once by anyone reaches every worker everywhere. `fn` runs on that worker's
     *  thread for each message, and once with message NULL after each subscription, the first included (see
     *  cong_channel_fn): Pub/Sub keeps nothing for a subscriber that was away, so a channel only says "look again";
     *  the record is elsewhere (a stream, a key). Subscriptions start after the modules' worker on_init hooks and
     *  stop before their timers and dispose hooks; `fn` never runs outside that span, nor for a command's load.
     *  Messages are delivered in the channel's order, at most once each per worker, none while Redis is away. `fn`
     *  must not block; it knows no request (a module finds its requests — e.g. its event streams — in its own
     *  per-worker state). Ownership: `channel` is copied; `udata` stays the module's. `channel`: 1..
     *  CONG_CHANNEL_NAME_MAX of [A-Za-z0-9:._-], not starting with "cong:revocations" (the gateway's own); at most
     *  CONG_CHANNELS_MAX channels per gateway, over all modules. 0, or CONG_EINVAL (bad name, fn NULL), CONG_EEXIST
     *  (a module registered that channel already), CONG_EBUSY (CONG_CHANNELS_MAX reached), CONG_ESTATE (after load),
     *  CONG_ENOMEM. A lost subscription is logged by the gateway ("subscription to <channel> ...; resubscribing"). */
    int (*register_channel)(cong_module_ctx_t *ctx, const char *channel, cong_channel_fn fn, void *udata);

    /* ---- added in 1.8 (ended sessions; test with CONG_API_HAS(api, register_session_listener)) ---- */
    /** Load time: `fn` is called on every worker of every instance when a session is revoked (cong_session_ended_fn),
     *  so a module can end at once what it keeps open for that session — a Server-Sent Events stream, a long poll —
     *  instead of serving a logged-out device until its token expires. The revocation itself (the token cache, the
     *  set "cong:revoked") is the gateway's; the module only reacts. Calls begin after the modules' worker on_init
     *  hooks and end before their dispose hooks, like channels; none for a command's load. One listener per module.
     *  Ownership: `udata` stays the module's. 0, CONG_EINVAL (fn NULL), CONG_EEXIST (this module has one already),
     *  CONG_ESTATE (after load), CONG_ENOMEM. */
    int (*register_session_listener)(cong_module_ctx_t *ctx, cong_session_ended_fn fn, void *udata);

    /* ---- added in 1.9 (development-only settings; test with CONG_API_HAS(api, register_config_development_only)) */
    /** Load time: as register_config, for a key that is a convenience weakening security on a developer machine
     *  (plain http to a stand-in, say). Under server.environment production (the default) the key must keep its
     *  default: any other configured value is refused, at start and by --check-config, as register_config refuses a
     *  bad value (FILE:LINE and the key named, never the value; the call returns CONG_EINVAL). Under development it is
     *  accepted with one warning line. `def->default_value` must not be NULL (CONG_EINVAL). Ownership and the other
     *  returns as register_config. A member rather than a field of cong_config_key_def_t: modules fill their key
     *  tables positionally, and a new field would break their builds with -Wmissing-field-initializers. */
    int (*register_config_development_only)(cong_module_ctx_t *ctx, const cong_config_key_def_t *def);
} cong_api_t;

/** True if the gateway's table has `member` (added in some minor version). */
#define CONG_API_HAS(api, member) \
    ((api)->size >= offsetof(cong_api_t, member) + sizeof(((cong_api_t *)0)->member))

/** Entry point: register routes and config keys, return 0 or a negative CONG_E*. */
typedef int (*cong_module_onload_fn)(cong_module_ctx_t *ctx, const cong_api_t *api);

#ifdef __cplusplus
}
#endif
#endif
