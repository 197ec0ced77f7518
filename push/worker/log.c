/* push/worker/log.c — how the worker's lines read: common/log.h lines, component "cong-push-worker" (worker.h). The
 * rate limit per failure class is the runtime's (common/relay_runtime/). */
#include "worker.h"

#include <string.h>

#include "common/log.h"

#define COMPONENT "cong-push-worker"
#define TOTALS_EVERY_MS 10000

void worker_log_writer(const char *cls, long held_back, const char *msg)
{
    if (!cls)
        cong_log(CONG_LOG_INFO, COMPONENT, "%s", msg);
    else if (held_back > 0)
        cong_log(CONG_LOG_WARN, COMPONENT, "%s: %s (%ld similar lines held back)", cls, msg, held_back);
    else
        cong_log(CONG_LOG_WARN, COMPONENT, "%s: %s", cls, msg);
}

void worker_log_totals(worker_t *w, int force)
{
    static worker_totals_t logged;
    static int64_t next_ms;
    int64_t now = relay_now_ms();
    if ((!force && now < next_ms) || memcmp(&logged, &w->totals, sizeof logged) == 0)
        return;
    next_ms = now + TOTALS_EVERY_MS;
    logged = w->totals;
    relay_log_info("totals: sent %ld, retry %ld, gone %ld, dropped %ld, ended %ld, acked %ld", logged.sent,
                   logged.retry, logged.gone, logged.dropped, logged.ended, logged.acked);
}
