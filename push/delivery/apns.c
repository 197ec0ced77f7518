/*
 * push/delivery/apns.c — the APNS adapter (provider.h). Being written (issue 14): until then opening it says so.
 */
#include "provider.h"

#include <stdio.h>

#include "cong/errors.h"

static int open_apns(const char *const *options, push_provider_t **out, char *err, size_t err_size)
{
    (void)options;
    *out = NULL;
    snprintf(err, err_size, "the apns adapter is not built yet");
    return CONG_EINVAL;
}

static int send_apns(push_provider_t *p, const push_message_t *msgs, size_t n, push_result_t *results, int deadline_ms)
{
    (void)p, (void)msgs, (void)n, (void)results, (void)deadline_ms;
    return CONG_EINVAL;
}

static void close_apns(push_provider_t *p)
{
    (void)p;
}

const push_provider_ops_t push_apns_provider = {.name = "apns", .open = open_apns, .send = send_apns, .close = close_apns};
