/* Configuration of the rate limits: the numbers of each class and the leases of gateway/limits/ (all reloadable). */
#include "config_keys.h"

static const cong_config_key_t keys[] = {
    CONG_INT_KEY("rate_limits.enabled", rate_limits.enabled, 0, 1, "1"),
    CONG_INT_KEY("rate_limits.default_per_minute", rate_limits.default_per_minute, 1, 1000000000, "600"),
    CONG_INT_KEY("rate_limits.default_burst", rate_limits.default_burst, 1, 10000000, "100"),
    CONG_INT_KEY("rate_limits.auth_per_minute", rate_limits.auth_per_minute, 1, 1000000, "30"),
    CONG_INT_KEY("rate_limits.auth_burst", rate_limits.auth_burst, 1, 100000, "10"),
    CONG_INT_KEY("rate_limits.auth_failure_per_minute", rate_limits.auth_failure_per_minute, 1, 1000000, "60"),
    CONG_INT_KEY("rate_limits.auth_failure_burst", rate_limits.auth_failure_burst, 1, 100000, "20"),
    CONG_INT_KEY("rate_limits.upload_per_minute", rate_limits.upload_per_minute, 1, 1000000, "30"),
    CONG_INT_KEY("rate_limits.upload_burst", rate_limits.upload_burst, 1, 100000, "10"),
    CONG_INT_KEY("rate_limits.max_lease", rate_limits.max_lease, 1, 65536, "256"),
    CONG_INT_KEY("rate_limits.lease_ttl_ms", rate_limits.lease_ttl_ms, 10, 60000, "1000"),
};

const cong_config_feature_t cong_config_rate_limits_feature =
    CONG_CONFIG_FEATURE("rate limits", "rate_limits", keys, NULL);
