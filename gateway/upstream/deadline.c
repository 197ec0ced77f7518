/* The deadline passed on to an upstream, from what is left of the route's total timeout (contract in upstream.h). */
#include <inttypes.h>
#include <stdio.h>

#include "upstream.h"

int cong_upstream_deadline_remaining(uint64_t start_ms, int total_timeout_ms, uint64_t now_ms, int64_t *remaining_ms)
{
    uint64_t deadline = start_ms + (uint64_t)(total_timeout_ms > 0 ? total_timeout_ms : 0);
    *remaining_ms = now_ms < deadline ? (int64_t)(deadline - now_ms) : 0;
    return *remaining_ms >= 1 ? 0 : CONG_ETIMEDOUT;
}

size_t cong_upstream_deadline_header(int64_t remaining_ms, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%" PRId64, remaining_ms > 0 ? remaining_ms : 0);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* gRPC's TimeoutValue is at most 8 digits: the finest unit that holds the value, rounded down (a deadline told
 * shorter than it is only makes the upstream give up a little early, never work past it). */
size_t cong_upstream_grpc_timeout(int64_t remaining_ms, char *out, size_t cap)
{
    static const struct { char unit; int64_t ms; } units[] = {{'m', 1}, {'S', 1000}, {'M', 60000}, {'H', 3600000}};
    int64_t ms = remaining_ms > 1 ? remaining_ms : 1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        int64_t value = ms / units[i].ms;
        if (value <= 99999999) {
            int n = snprintf(out, cap, "%" PRId64 "%c", value > 0 ? value : 1, units[i].unit);
            return n > 0 && (size_t)n < cap ? (size_t)n : 0;
        }
    }
    int n = snprintf(out, cap, "99999999H");
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
