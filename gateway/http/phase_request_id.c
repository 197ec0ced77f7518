/* Phase 1: request id. Accept a valid incoming X-Request-Id, else the trace id of a valid W3C traceparent, else
 * generate 128 random bits (xoshiro-style per-worker generator seeded from the OS; ids need uniqueness, not secrecy). */
#include <string.h>

#include "pipeline.h"

int cong_request_id_valid(const char *s, size_t len)
{
    if (len == 0 || len > CONG_REQUEST_ID_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.'))
            return 0;
    }
    return 1;
}

static int is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static int all_zero(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '0')
            return 0;
    return 1;
}

int cong_traceparent_trace_id(const char *s, size_t len, char out[33])
{
    /* version(2) "-" trace-id(32) "-" parent-id(16) "-" flags(2): 55 chars for version 00; later versions may append
     * "-..." fields; version ff is invalid; all-zero trace or parent ids are invalid. */
    if (len < 55 || s[2] != '-' || s[35] != '-' || s[52] != '-')
        return 0;
    if (!is_lower_hex(s, 2) || memcmp(s, "ff", 2) == 0)
        return 0;
    if (memcmp(s, "00", 2) == 0 ? len != 55 : (len > 55 && s[55] != '-'))
        return 0;
    if (!is_lower_hex(s + 3, 32) || all_zero(s + 3, 32) || !is_lower_hex(s + 36, 16) || all_zero(s + 36, 16) ||
        !is_lower_hex(s + 53, 2))
        return 0;
    memcpy(out, s + 3, 32);
    out[32] = '\0';
    return 1;
}

static uint64_t next_random(uint64_t st[2])
{
    /* xorshift128+ */
    uint64_t s1 = st[0];
    const uint64_t s0 = st[1];
    st[0] = s0;
    s1 ^= s1 << 23;
    st[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
    return st[1] + s0;
}

static void generate_id(cong_worker_t *w, char out[33])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t a = next_random(w->rng), b = next_random(w->rng);
    for (int i = 0; i < 16; i++) {
        out[i] = hex[(a >> (60 - 4 * i)) & 15];
        out[16 + i] = hex[(b >> (60 - 4 * i)) & 15];
    }
    out[32] = '\0';
}

cong_phase_result_t cong_phase_request_id(cong_req_t *r)
{
    h2o_iovec_t v = cong_req_header(r, H2O_STRLIT("x-request-id"));
    if (v.base != NULL && cong_request_id_valid(v.base, v.len)) {
        memcpy(r->id, v.base, v.len);
        r->id[v.len] = '\0';
        return CONG_PHASE_NEXT;
    }
    v = cong_req_header(r, H2O_STRLIT("traceparent"));
    if (v.base != NULL && cong_traceparent_trace_id(v.base, v.len, r->id))
        return CONG_PHASE_NEXT;
    generate_id(r->worker, r->id);
    return CONG_PHASE_NEXT;
}
