/* The hooks of every request (contract in request_hooks.h). */
#include "request_hooks.h"

#include "cong/module.h"

int cong_request_hooks_add(cong_request_hooks_t *hooks, const cong_request_hook_t *hook)
{
    if (hooks->count == CONG_REQUEST_HOOKS_MAX)
        return CONG_ETOOBIG;
    hooks->items[hooks->count++] = *hook;
    return 0;
}

void cong_request_hooks_start(const cong_request_hooks_t *hooks, struct cong_req *r)
{
    for (size_t i = 0; i < hooks->count; i++)
        if (hooks->items[i].on_start != NULL)
            hooks->items[i].on_start(r, hooks->items[i].udata);
}

void cong_request_hooks_reply(const cong_request_hooks_t *hooks, struct cong_req *r)
{
    for (size_t i = 0; i < hooks->count; i++)
        if (hooks->items[i].on_reply != NULL)
            hooks->items[i].on_reply(r, hooks->items[i].udata);
}

void cong_request_hooks_end(const cong_request_hooks_t *hooks, struct cong_req *r,
                            const cong_request_outcome_t *outcome)
{
    for (size_t i = 0; i < hooks->count; i++)
        if (hooks->items[i].on_end != NULL)
            hooks->items[i].on_end(r, outcome, hooks->items[i].udata);
}
