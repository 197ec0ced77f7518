/* Modules' session listeners (contract in module_sessions.h). */
#include "module_sessions.h"

#include "module_loader.h"

int cong_loader_register_session_listener(cong_module_ctx_t *ctx, cong_session_ended_fn fn, void *udata)
{
    cong_module_entry_t *m = cong_loader_registering(ctx);
    if (m == NULL)
        return CONG_ESTATE;
    if (fn == NULL)
        return CONG_EINVAL;
    if (m->on_session_ended != NULL)
        return CONG_EEXIST;
    m->on_session_ended = fn;
    m->session_udata = udata;
    cong_loader_gateway(ctx)->session_ended = cong_module_sessions_ended;
    return 0;
}

void cong_module_sessions_ended(cong_worker_t *w, const char *session_id)
{
    const cong_gateway_t *gw = w->gateway;
    for (size_t i = 0; i < gw->module_count; i++)
        if (gw->modules[i]->on_session_ended != NULL)
            gw->modules[i]->on_session_ended(w, session_id, gw->modules[i]->session_udata);
}
