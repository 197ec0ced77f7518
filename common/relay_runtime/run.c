/* common/relay_runtime/run.c — the relay's pass loop (relay_runtime.h). */
#include "relay_runtime.h"

#include "cong/errors.h"

int relay_run(relay_pg_t *pg, int once, int poll_ms, relay_pass_fn *pass, void *ctx)
{
    while (!relay_stopping()) {
        if (relay_pg_ensure(pg) != CONG_OK) {
            if (once)
                return 1;
            relay_sleep_ms(relay_pg_backoff(pg));
            continue;
        }
        int worked = 0;
        int rc = pass(ctx, &worked);
        if (once && worked == 0)
            return rc != CONG_OK || !pg->conn ? 1 : 0;
        if (worked == 0)
            relay_sleep_ms(poll_ms);
    }
    return 0;
}
