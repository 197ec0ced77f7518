/*
 * gateway/limits/rate_limit.h — the rate-limit interface the pipeline calls (phase 6).
 *
 * A limiter decides, for one request, on a key (the subject, else the API client, else the peer address) within the
 * route's rate-limit class. It answers now (return 1 with *out filled) or later (return 0, then call the caller's
 * `decided` once, on the request's worker, holding a request reference meanwhile). Dependencies point one way: the
 * phases that ask (phase_rate_limit.c, phase_authenticate.c) know the limiter; a limiter knows only this header.
 * Two limiters exist: `unlimited`, and the Redis one (GCRA, rate_limit_redis.c), which is the default.
 */
#ifndef CONG_GATEWAY_RATE_LIMIT_H
#define CONG_GATEWAY_RATE_LIMIT_H

#include "gateway/http/http.h"

typedef struct cong_rate_decision {
    int allowed;
    long limit;        /* requests per window, or -1 when unlimited (no RateLimit-* headers) */
    long remaining;
    long reset_s;      /* seconds until the window resets / retry after when refused */
} cong_rate_decision_t;

/* Where a later decision goes: called once, only while the request's client is still there (a request whose client
 * left is released without a call). */
typedef void (*cong_rate_decided_fn)(cong_req_t *r, const cong_rate_decision_t *d);

/* A plan: a bucket with numbers of its own rather than a configured class's — a partner's quota (gateway/upstream/,
 * one plan per partner, keyed by the partner's caller). Counted by the same exact GCRA script, leases and all; a
 * daily quota counts granted requests per key and UTC day (past it: refused until midnight UTC, leases of 1). */
typedef struct cong_rate_plan {
    const char *bucket;  /* the Redis namespace: "partner:<name>" (a class name never has a ':'); outlives workers */
    long per_minute;     /* sustained rate; 0: none (only the daily quota) */
    long burst;          /* 0: per_minute */
    long daily;          /* requests per key per UTC day; 0: none */
} cong_rate_plan_t;

typedef struct cong_rate_limiter {
    const char *name;
    int (*check)(struct cong_rate_limiter *self, cong_req_t *r, const char *class_name, const char *key,
                 cong_rate_decision_t *out, cong_rate_decided_fn decided);
    /* 1 (with *retry_after_s) when this worker already knows the key has no token left — a refusal remembered from
     * an earlier answer; never asks the store, never spends. NULL: never known. */
    int (*known_refused)(struct cong_rate_limiter *self, cong_req_t *r, const char *class_name, const char *key,
                         long *retry_after_s);
    /* As check, in a plan's bucket (rate_limits.enabled = 0 lets plans through too). NULL: everything allowed. */
    int (*check_plan)(struct cong_rate_limiter *self, cong_req_t *r, const cong_rate_plan_t *plan, const char *key,
                      cong_rate_decision_t *out, cong_rate_decided_fn decided);
} cong_rate_limiter_t;

/** The limiter in force (process-wide, set before workers start): the Redis GCRA limiter by default. */
extern cong_rate_limiter_t *cong_rate_limiter;
/** Lets everything through (tests, or rate_limits.enabled = 0). */
extern cong_rate_limiter_t cong_rate_limiter_unlimited;
/** GCRA in Redis (gateway/limits/rate_limit_redis.c). */
extern cong_rate_limiter_t cong_rate_limiter_redis;
/** 1 when `name` is a class with numbers of its own in the configuration (rate_limits.*: default, auth, auth_failure,
 *  upload): what a module's route may name. "system", never limited, is the gateway's own and not one of them. */
int cong_rate_limit_class_known(const char *name);
/** Those classes, comma-separated, for error messages. */
extern const char cong_rate_limit_class_list[];

/** Applies a decision to the reply: its RateLimit-Limit/Remaining/Reset (replacing those of an earlier decision of
 *  the same request when this one refuses or leaves fewer: a client sees the tightest limit), and when refused the
 *  429 rate-limited problem with Retry-After. Returns 1 when the request may go on. */
int cong_rate_decision_reply(cong_req_t *r, const cong_rate_decision_t *d);
/** The key the rate-limit phase counts a request by: "sub:<subject>", else "client:<API client>", else
 *  "ip:<address>", into buf. */
const char *cong_rate_limit_key(cong_req_t *r, char *buf, size_t cap);

/** Joins `count` NUL-terminated parts into buf (capacity cap), no separator added: snprintf's "%s%s%s" without its
 *  cost on every request. Returns the length, or -1 when the whole does not fit (buf then holds the prefix that did,
 *  NUL-terminated, as snprintf would). */
int cong_rate_key_join(char *buf, size_t cap, const char *const parts[], size_t count);

#endif
