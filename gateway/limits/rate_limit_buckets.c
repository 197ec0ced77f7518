/* What a Redis bucket is counted by: a class's numbers or a plan's (contract in rate_limit_buckets.h). */
#include "rate_limit_buckets.h"

#include <string.h>

static const char *const class_names[CONG_RATE_CLASS_COUNT] = {"default", "auth", "auth_failure", "upload"};

const char cong_rate_limit_class_list[] = "default, auth, auth_failure, upload"; /* class_names, for messages */

int cong_rate_limit_class_known(const char *name)
{
    for (int i = 0; name != NULL && i < CONG_RATE_CLASS_COUNT; i++)
        if (strcmp(name, class_names[i]) == 0)
            return 1;
    return 0;
}

int cong_rate_class_of(const char *name)
{
    for (int i = 1; i < CONG_RATE_CLASS_COUNT; i++)
        if (strcmp(name, class_names[i]) == 0)
            return i;
    return CONG_RATE_CLASS_DEFAULT;
}

const char *cong_rate_class_name(int cls)
{
    return class_names[cls >= 0 && cls < CONG_RATE_CLASS_COUNT ? cls : CONG_RATE_CLASS_DEFAULT];
}

cong_rate_bucket_t cong_rate_class_bucket(const cong_config_t *cfg, int cls)
{
    cong_rate_bucket_t b = {.bucket = cong_rate_class_name(cls), .slot = cls};
    switch (cls) {
    case CONG_RATE_CLASS_AUTH: b.per_minute = cfg->rate_limits.auth_per_minute, b.burst = cfg->rate_limits.auth_burst;
        break;
    case CONG_RATE_CLASS_AUTH_FAILURE:
        b.per_minute = cfg->rate_limits.auth_failure_per_minute, b.burst = cfg->rate_limits.auth_failure_burst;
        break;
    case CONG_RATE_CLASS_UPLOAD:
        b.per_minute = cfg->rate_limits.upload_per_minute, b.burst = cfg->rate_limits.upload_burst;
        break;
    default:
        b.slot = CONG_RATE_CLASS_DEFAULT;
        b.per_minute = cfg->rate_limits.default_per_minute, b.burst = cfg->rate_limits.default_burst;
        break;
    }
    return b;
}

cong_rate_bucket_t cong_rate_plan_bucket(const cong_rate_plan_t *plan)
{
    cong_rate_bucket_t b = {.bucket = plan->bucket, .slot = CONG_RATE_CLASS_COUNT, .per_minute = plan->per_minute,
                            .burst = plan->burst > 0 ? plan->burst : plan->per_minute, .daily = plan->daily};
    if (b.per_minute <= 0) {
        b.per_minute = 1000000;
        b.burst = plan->daily;
    }
    return b;
}
