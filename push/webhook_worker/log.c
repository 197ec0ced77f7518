/* push/webhook_worker/log.c — the worker's lines: common/log.h, component "cong-webhook-worker" (worker.h). */
#include "worker.h"

#include <string.h>
#include <time.h>

#include "common/log.h"

#define COMPONENT "cong-webhook-worker"
#define TOTALS_EVERY_MS 10000

void ww_log_writer(const char *cls, long held_back, const char *msg)
{
    if (!cls)
        cong_log(CONG_LOG_INFO, COMPONENT, "%s", msg);
    else if (held_back > 0)
        cong_log(CONG_LOG_WARN, COMPONENT, "%s: %s (%ld similar lines held back)", cls, msg, held_back);
    else
        cong_log(CONG_LOG_WARN, COMPONENT, "%s: %s", cls, msg);
}

void ww_log_totals(ww_t *w, int force)
{
    static ww_totals_t logged;
    static int64_t next_ms;
    int64_t now = relay_now_ms();
    if ((!force && now < next_ms) || memcmp(&logged, &w->totals, sizeof logged) == 0)
        return;
    next_ms = now + TOTALS_EVERY_MS;
    logged = w->totals;
    relay_log_info("totals: taken %ld, delivered %ld, retried %ld, failed %ld, endpoints disabled %ld, stale %ld",
                   logged.taken, logged.delivered, logged.retried, logged.failed, logged.disabled, logged.stale);
}

int64_t ww_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
