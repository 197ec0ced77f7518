/*
 * push/delivery/provider.c — the table of provider adapters (provider.h) and the outcomes' names.
 */
#include "provider.h"

#include <string.h>

static const push_provider_ops_t *const providers[] = {&push_fcm_provider, &push_apns_provider};

const push_provider_ops_t *push_provider_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof providers / sizeof providers[0]; i++)
        if (strcmp(providers[i]->name, name) == 0)
            return providers[i];
    return NULL;
}

const char *push_outcome_name(push_outcome_t outcome)
{
    switch (outcome) {
    case PUSH_SENT: return "sent";
    case PUSH_RETRY: return "retry";
    case PUSH_GONE: return "gone";
    case PUSH_DROP: return "drop";
    }
    return "unknown";
}
