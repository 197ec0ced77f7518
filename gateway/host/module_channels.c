/* Modules' live channels (contract in module_channels.h). */
#include "module_channels.h"

#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "gateway/stores/stores.h"
#include "module_loader.h"

#define RESERVED_PREFIX "cong:revocations" /* the gateway's own channel (authn/revocation.h) */

/* One channel followed by one worker. */
typedef struct followed {
    cong_worker_t *worker;
    const cong_module_channel_t *channel; /* owned by its module entry, which outlives the workers */
    cong_redis_subscriber_t *subscriber;
} followed_t;

static _Thread_local followed_t *followed; /* this worker's, CONG_CHANNELS_MAX at most */
static _Thread_local size_t followed_count;

int cong_module_channel_name_ok(const char *channel)
{
    size_t n = channel != NULL ? strlen(channel) : 0;
    if (n == 0 || n > CONG_CHANNEL_NAME_MAX || strncmp(channel, RESERVED_PREFIX, strlen(RESERVED_PREFIX)) == 0)
        return 0;
    for (const char *p = channel; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' || c == '.' ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* The channels registered so far over every module; *found set when one is named `channel`. */
static size_t registered(const cong_gateway_t *gw, const char *channel, int *found)
{
    size_t n = 0;
    for (size_t i = 0; i < gw->module_count; i++)
        for (size_t k = 0; k < gw->modules[i]->channel_count; k++, n++)
            if (strcmp(gw->modules[i]->channels[k].name, channel) == 0)
                *found = 1;
    return n;
}

int cong_loader_register_channel(cong_module_ctx_t *ctx, const char *channel, cong_channel_fn fn, void *udata)
{
    cong_module_entry_t *m = cong_loader_registering(ctx);
    if (m == NULL)
        return CONG_ESTATE;
    if (!cong_module_channel_name_ok(channel) || fn == NULL)
        return CONG_EINVAL;
    int found = 0;
    size_t n = registered(cong_loader_gateway(ctx), channel, &found); /* this module's included */
    if (found)
        return CONG_EEXIST;
    if (n >= CONG_CHANNELS_MAX)
        return CONG_EBUSY;
    cong_module_channel_t *list = realloc(m->channels, (m->channel_count + 1) * sizeof *list);
    if (list == NULL)
        return CONG_ENOMEM;
    m->channels = list;
    list[m->channel_count] = (cong_module_channel_t){strdup(channel), fn, udata};
    if (list[m->channel_count].name == NULL)
        return CONG_ENOMEM;
    m->channel_count++;
    return 0;
}

static void on_message(const char *message, size_t len, void *udata)
{
    followed_t *f = udata;
    f->channel->fn(f->worker, message, len, f->channel->udata);
}

static void on_subscribed(void *udata)
{
    followed_t *f = udata;
    f->channel->fn(f->worker, NULL, 0, f->channel->udata);
}

int cong_module_channels_start(cong_worker_t *w)
{
    const cong_gateway_t *gw = w->gateway;
    const cong_config_t *cfg = gw->config;
    followed = calloc(CONG_CHANNELS_MAX, sizeof *followed);
    if (followed == NULL)
        return CONG_ENOMEM;
    followed_count = 0;
    int rc = 0;
    for (size_t i = 0; i < gw->module_count; i++)
        for (size_t k = 0; k < gw->modules[i]->channel_count && followed_count < CONG_CHANNELS_MAX; k++) {
            followed_t *f = &followed[followed_count];
            *f = (followed_t){w, &gw->modules[i]->channels[k], NULL};
            f->subscriber = cong_redis_subscriber_new(&w->loop, cfg->redis.host, cfg->redis.port, cfg->redis.password,
                                                      f->channel->name, cfg->redis.timeout_ms, on_message,
                                                      on_subscribed, f);
            if (f->subscriber == NULL) {
                cong_log(CONG_LOG_ERROR, "server", "worker %d: cannot follow channel %s", w->index, f->channel->name);
                rc = CONG_ENOMEM;
                continue;
            }
            followed_count++;
        }
    return rc;
}

void cong_module_channels_stop(cong_worker_t *w)
{
    (void)w;
    for (size_t i = 0; i < followed_count; i++)
        cong_redis_subscriber_close(followed[i].subscriber); /* freed once its handles have closed */
    followed_count = 0;
    free(followed); /* the subscribers keep no pointer to it once closed: their callbacks never run again */
    followed = NULL;
}

void cong_module_channels_free(cong_module_entry_t *m)
{
    for (size_t k = 0; k < m->channel_count; k++)
        free(m->channels[k].name);
    free(m->channels);
    m->channels = NULL;
    m->channel_count = 0;
}
