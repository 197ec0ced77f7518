/*
 * gateway/host/module_channels.h — modules' live channels (module ABI 1.7 register_channel): Redis Pub/Sub channels
 * every worker of every instance follows, each message handed to the module on the worker's thread.
 *
 * A worker's channels, as server.c drives them on the worker's own thread:
 *   cong_module_channels_start  after the modules' on_init hooks: one subscriber (stores/redis_subscriber.h) per
 *                               registered channel on the worker's loop; after each (re)subscription the module's fn
 *                               is called with message NULL
 *   ... the loop runs ...
 *   cong_module_channels_stop   once the loop has stopped, before the modules' dispose hooks: the subscribers close
 *                               (their handles close with the worker's others); fn is never called again
 * Ownership: a module entry owns its channel registrations (freed by cong_module_channels_free, from
 * cong_modules_unload_all); each worker owns its subscribers (thread-local state of this file).
 */
#ifndef CONG_GATEWAY_MODULE_CHANNELS_H
#define CONG_GATEWAY_MODULE_CHANNELS_H

#include "cong/module.h"
#include "gateway/gateway.h"

typedef struct cong_module_channel {
    char *name;
    cong_channel_fn fn;
    void *udata;
} cong_module_channel_t;

/** The ABI member (1.7). */
int cong_loader_register_channel(cong_module_ctx_t *ctx, const char *channel, cong_channel_fn fn, void *udata);
/** A channel name register_channel accepts (module.h's rules). */
int cong_module_channel_name_ok(const char *channel);
/** On the worker's thread, after cong_worker_hooks_start. 0 or CONG_ENOMEM (logged; the channels it could not
 *  follow stay silent on this worker). */
int cong_module_channels_start(cong_worker_t *w);
/** On the worker's thread, once uv_run has returned. */
void cong_module_channels_stop(cong_worker_t *w);
void cong_module_channels_free(cong_module_entry_t *m);

#endif
