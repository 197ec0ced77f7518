/* Configuration of Redis (gateway/stores/redis.c). redis.password is a secret: no error line ever quotes a value. */
#include "config_keys.h"

static const cong_config_key_t keys[] = {
    CONG_STRING_KEY("redis.host", redis.host, "127.0.0.1", NULL),
    CONG_INT_KEY("redis.port", redis.port, 1, 65535, "6379"),
    CONG_STRING_KEY("redis.password", redis.password, "", NULL),
    CONG_INT_KEY("redis.timeout_ms", redis.timeout_ms, 10, 60000, "1000"),
};

const cong_config_feature_t cong_config_redis_feature = CONG_CONFIG_FEATURE("redis", "redis", keys, NULL);
