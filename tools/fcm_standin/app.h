/*
 * tools/fcm_standin/app.h — the stand-in FCM's configuration, test behaviours and state, shared by its parts.
 *
 * One loop thread answers every request, one at a time: everything here is touched only there, so nothing is locked.
 * State is in memory only; a restart forgets it.
 */
#ifndef FCM_APP_H
#define FCM_APP_H

#include "account.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define FCM_CONTROL_TOKEN_MAX 512
#define FCM_ACCESS_TOKENS_MAX 10000 /* issued access tokens kept; beyond, the oldest is forgotten (then 401) */
#define FCM_MESSAGES_MAX 100000     /* received messages kept; beyond, the oldest is forgotten */
#define FCM_RULES_MAX 10000         /* per-token behaviours */
#define FCM_ACCESS_TOKEN_LEN 76     /* "ya29.standin." and 64 hex digits */

typedef struct fcm_config {
    int port;                 /* 127.0.0.1:port (0: any free port, printed on stderr) */
    fcm_account_t account;    /* the service account trusted (public key only) */
    int token_ttl_s;          /* an access token's life: expires_in */
    char control_token[FCM_CONTROL_TOKEN_MAX + 1]; /* "": /control/ needs no token */
} fcm_config_t;

/* How a send is answered once it is authorised and valid (POST /control/behaviour). */
typedef enum fcm_mode {
    FCM_MODE_NORMAL = 0,         /* 200 {"name": ...}, recorded */
    FCM_MODE_UNREGISTERED,       /* 404 NOT_FOUND, errorCode UNREGISTERED */
    FCM_MODE_QUOTA_EXCEEDED,     /* 429 RESOURCE_EXHAUSTED, errorCode QUOTA_EXCEEDED, Retry-After */
    FCM_MODE_UNAVAILABLE,        /* 503 UNAVAILABLE, errorCode UNAVAILABLE, Retry-After */
    FCM_MODE_INTERNAL,           /* 500 INTERNAL, errorCode INTERNAL */
    FCM_MODE_SENDER_ID_MISMATCH, /* 403 PERMISSION_DENIED, errorCode SENDER_ID_MISMATCH */
    FCM_MODE_COUNT
} fcm_mode_t;
extern const char *const fcm_mode_names[FCM_MODE_COUNT];

typedef struct fcm_rule {
    char *token;       /* the device token it applies to; NULL: the global rule */
    fcm_mode_t mode;
    long remaining;    /* sends left before the rule goes away; -1: always */
    int retry_after_s; /* Retry-After of 429 and 503 */
    int delay_ms;      /* the answer is held this long */
} fcm_rule_t;

/* Outcomes of messages:send, counted in /control/stats. */
typedef enum fcm_outcome {
    FCM_OUT_OK = 0,
    FCM_OUT_VALIDATED, /* validate_only: answered 200, not recorded */
    FCM_OUT_UNAUTHENTICATED,
    FCM_OUT_PERMISSION_DENIED,
    FCM_OUT_INVALID_ARGUMENT,
    FCM_OUT_UNREGISTERED,
    FCM_OUT_QUOTA_EXCEEDED,
    FCM_OUT_UNAVAILABLE,
    FCM_OUT_INTERNAL,
    FCM_OUT_SENDER_ID_MISMATCH,
    FCM_OUT_COUNT
} fcm_outcome_t;
extern const char *const fcm_outcome_names[FCM_OUT_COUNT];

typedef struct fcm_access_token {
    char value[FCM_ACCESS_TOKEN_LEN + 1];
    int64_t expires_at; /* seconds since the epoch */
} fcm_access_token_t;

typedef struct fcm_record {
    char name[256];     /* projects/{project}/messages/{id} */
    int target_kind;    /* fcm_target_kind_t */
    char *target;
    char *message_json; /* the "message" object, compact */
    int64_t received_ms;
} fcm_record_t;

typedef struct fcm_app {
    fcm_config_t config;
    fcm_access_token_t *tokens; /* ring of FCM_ACCESS_TOKENS_MAX */
    size_t tokens_next, tokens_count;
    fcm_record_t *records;      /* ring of FCM_MESSAGES_MAX */
    size_t records_next, records_count;
    uint64_t message_seq;
    fcm_rule_t global;          /* mode NORMAL, delay 0: no global rule */
    fcm_rule_t *rules;          /* per token, FCM_RULES_MAX at most */
    size_t rule_count;
    uint64_t tokens_issued, assertions_refused, sends[FCM_OUT_COUNT];
    uv_loop_t *loop;
} fcm_app_t;

/* store.c: the state above */
int fcm_store_init(fcm_app_t *app);
/** A new access token valid for token_ttl_s (written to out), counted in tokens_issued. 0, or -1 (no randomness). */
int fcm_token_issue(fcm_app_t *app, int64_t now, char out[FCM_ACCESS_TOKEN_LEN + 1]);
/** Whether `value` (len bytes) is an issued access token not yet expired (compared in constant time). */
int fcm_token_valid(const fcm_app_t *app, const char *value, size_t len, int64_t now);
/** Every issued access token expires now; how many were still valid. */
size_t fcm_token_expire_all(fcm_app_t *app, int64_t now);
/** Records an accepted message (the oldest is forgotten beyond FCM_MESSAGES_MAX). 0 or -1 (no memory). */
int fcm_record_add(fcm_app_t *app, const char *name, int target_kind, const char *target, const char *message_json,
                   int64_t now_ms);
/** The rule for a send to this device token (NULL: a topic or condition): its own, else the global one. One use is
 *  consumed; the copy returned stays valid (the rule itself may be gone). */
fcm_rule_t fcm_rule_take(fcm_app_t *app, const char *token);
/** Sets the rule of `token` (NULL: the global one); mode NORMAL without delay removes it. 0, or -1 (no memory / full). */
int fcm_rule_set(fcm_app_t *app, const char *token, const fcm_rule_t *rule);
/** Forgets messages, rules and counters (issued access tokens stay valid). */
void fcm_store_reset(fcm_app_t *app);

#endif
