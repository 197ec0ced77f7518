/*
 * gateway/limits/rate_limit_buckets.h — (internal to gateway/limits/) what a Redis bucket is counted by: a configured
 * class's numbers (rate_limits.*: default, auth, auth_failure, upload; any other class name counts as "default") or a
 * plan's own (rate_limit.h: partners' quotas). Pure; rate_limit_buckets.c.
 */
#ifndef CONG_GATEWAY_RATE_LIMIT_BUCKETS_H
#define CONG_GATEWAY_RATE_LIMIT_BUCKETS_H

#include "gateway/config/config.h"
#include "rate_limit.h"

enum cong_rate_class {
    CONG_RATE_CLASS_DEFAULT, CONG_RATE_CLASS_AUTH, CONG_RATE_CLASS_AUTH_FAILURE, CONG_RATE_CLASS_UPLOAD,
    CONG_RATE_CLASS_COUNT
};

typedef struct cong_rate_bucket {
    const char *bucket; /* the Redis namespace: a class name (static) or a plan's bucket (outlives the workers) */
    int slot;           /* the class (its cached formatting in the caller), CONG_RATE_CLASS_COUNT for every plan */
    long per_minute, burst;
    long daily;         /* a plan's daily quota per key; 0: none (a class: the API client's own quota applies) */
} cong_rate_bucket_t;

/** The class `name` counts in (unknown names: default). */
int cong_rate_class_of(const char *name);
const char *cong_rate_class_name(int cls);
/** The class's numbers from the configuration in force. */
cong_rate_bucket_t cong_rate_class_bucket(const cong_config_t *cfg, int cls);
/** A plan's numbers: burst 0 is per_minute; a daily quota alone (per_minute 0) is a bucket that never limits by rate
 *  (1000000 a minute) with the day's quota as its burst — what RateLimit-Limit then shows. */
cong_rate_bucket_t cong_rate_plan_bucket(const cong_rate_plan_t *plan);

#endif
