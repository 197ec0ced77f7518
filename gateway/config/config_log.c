/* Configuration of logging: the access log (gateway/http/access_log.c) and the level of the process log. */
#include <string.h>

#include "config_keys.h"

static const char *check_log_level(const char *text)
{
    static const char *const levels[] = {"error", "warn", "info", "debug"};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if (strcmp(text, levels[i]) == 0)
            return NULL;
    return "expected one of error, warn, info, debug";
}

static const cong_config_key_t keys[] = {
    CONG_STRING_KEY("log.access_log", log.access_log, "-", NULL),
    CONG_STRING_KEY("log.level", log.level, "info", check_log_level),
};

const cong_config_feature_t cong_config_log_feature = CONG_CONFIG_FEATURE("logging", "log", keys, NULL);
