/* push/fanout/log.c — how cong-push-fanout's lines read: common/log.h lines, component "cong-push-fanout". The rate
 * limit per failure class is the runtime's (common/relay_runtime/). */
#include "fanout.h"

#include "common/log.h"

#define COMPONENT "cong-push-fanout"

void fanout_log_writer(const char *cls, long held_back, const char *msg)
{
    if (!cls)
        cong_log(CONG_LOG_INFO, COMPONENT, "%s", msg);
    else if (held_back > 0)
        cong_log(CONG_LOG_WARN, COMPONENT, "%s: %s (%ld similar lines held back)", cls, msg, held_back);
    else
        cong_log(CONG_LOG_WARN, COMPONENT, "%s: %s", cls, msg);
}
