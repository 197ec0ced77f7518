/* Phase 6: rate limit, through the interface of rate_limit.h. Refusals answer 429 rate-limited with Retry-After and
 * RateLimit-Limit/Remaining/Reset; allowed requests carry the RateLimit-* headers when the limiter counts. */
#include <stdio.h>
#include <string.h>

#include "gateway/http/http.h"
#include "rate_limit.h"

static int allow_everything(cong_rate_limiter_t *self, cong_req_t *r, const char *class_name, const char *key,
                            cong_rate_decision_t *out, cong_rate_decided_fn decided)
{
    (void)self, (void)r, (void)class_name, (void)key, (void)decided;
    *out = (cong_rate_decision_t){.allowed = 1, .limit = -1};
    return 1;
}

static int allow_every_plan(cong_rate_limiter_t *self, cong_req_t *r, const cong_rate_plan_t *plan, const char *key,
                            cong_rate_decision_t *out, cong_rate_decided_fn decided)
{
    (void)plan;
    return allow_everything(self, r, "", key, out, decided);
}

cong_rate_limiter_t cong_rate_limiter_unlimited = {"unlimited", allow_everything, NULL, allow_every_plan};
cong_rate_limiter_t *cong_rate_limiter = &cong_rate_limiter_redis;

int cong_rate_key_join(char *buf, size_t cap, const char *const parts[], size_t count)
{
    size_t len = 0;
    if (cap == 0)
        return -1;
    for (size_t i = 0; i < count; i++) {
        size_t n = strlen(parts[i]);
        if (n >= cap - len) {
            memcpy(buf + len, parts[i], cap - len - 1);
            buf[cap - 1] = '\0';
            return -1;
        }
        memcpy(buf + len, parts[i], n);
        len += n;
    }
    buf[len] = '\0';
    return (int)len;
}

/* A RateLimit-* header with a decimal value (written by hand: this runs on every limited request). */
static void add_number_header(cong_req_t *r, const char *name, size_t name_len, long value)
{
    char digits[24], *p = digits + sizeof digits;
    unsigned long v = value < 0 ? 0UL - (unsigned long)value : (unsigned long)value;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    if (value < 0)
        *--p = '-';
    cong_reply_add_header(r, name, name_len, p, (size_t)(digits + sizeof digits - p));
}

/* The value of the reply's `name` header already set (an earlier decision's), or -1 (then its index is -1 too). */
static long earlier_number(cong_req_t *r, const char *name, size_t len, ssize_t *index)
{
    *index = h2o_find_header_by_str(&r->h2o->res.headers, name, len, -1);
    if (*index < 0)
        return -1;
    const h2o_iovec_t *v = &r->h2o->res.headers.entries[*index].value;
    return (long)h2o_strtosize(v->base, v->len);
}

/* An earlier decision's RateLimit-* stay unless this one is tighter (refused, or fewer left): then they go. */
static int replaces_earlier(cong_req_t *r, const cong_rate_decision_t *d)
{
    ssize_t at;
    long remaining = earlier_number(r, H2O_STRLIT("ratelimit-remaining"), &at);
    if (at < 0)
        return 1;
    if (d->allowed && d->remaining >= remaining)
        return 0;
    static const char *const names[] = {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"};
    for (size_t i = 0; i < 3; i++)
        if ((at = h2o_find_header_by_str(&r->h2o->res.headers, names[i], strlen(names[i]), -1)) >= 0)
            h2o_delete_header(&r->h2o->res.headers, at);
    return 1;
}

int cong_rate_decision_reply(cong_req_t *r, const cong_rate_decision_t *d)
{
    if (d->limit >= 0 && replaces_earlier(r, d)) {
        add_number_header(r, H2O_STRLIT("ratelimit-limit"), d->limit);
        add_number_header(r, H2O_STRLIT("ratelimit-remaining"), d->remaining);
        add_number_header(r, H2O_STRLIT("ratelimit-reset"), d->reset_s);
    }
    if (d->allowed)
        return 1;
    cong_reply_problem(r, 429, "rate-limited", NULL, NULL, d->reset_s > 0 ? (int)d->reset_s : 1);
    return 0;
}

const char *cong_rate_limit_key(cong_req_t *r, char *buf, size_t cap)
{
    if (r->principal.authenticated && r->principal.subject[0])
        cong_rate_key_join(buf, cap, (const char *const[]){"sub:", r->principal.subject}, 2);
    else if (r->principal.client_id != NULL)
        cong_rate_key_join(buf, cap, (const char *const[]){"client:", r->principal.client_id}, 2);
    else
        cong_rate_key_join(buf, cap, (const char *const[]){"ip:", cong_req_client_address(r)}, 2);
    return buf;
}

/* The limiter's later answer: the request goes on, or apply() answered 429. */
static void decided(cong_req_t *r, const cong_rate_decision_t *d)
{
    if (cong_rate_decision_reply(r, d))
        cong_pipeline_resume(r);
}

cong_phase_result_t cong_phase_rate_limit(cong_req_t *r)
{
    if (r->route == NULL)
        return CONG_PHASE_NEXT;
    char key[256];
    cong_rate_decision_t d;
    const char *cls = r->route->rate_limit_class;
    if (!cong_rate_limiter->check(cong_rate_limiter, r, cls, cong_rate_limit_key(r, key, sizeof key), &d, decided))
        return CONG_PHASE_WAIT;
    return cong_rate_decision_reply(r, &d) ? CONG_PHASE_NEXT : CONG_PHASE_DONE;
}
