/*
 * tests/fuzz/fuzz_webhook_url.c — libFuzzer target for modules/orgs/webhook_rules.c: what an organization's client
 * sends as a webhook endpoint's URL (POST /v1/org/webhooks), and the ids of the webhook routes' paths.
 *
 * Input: the bytes up to the first NUL (a JSON string reaches the rules NUL-terminated) → orgs_webhook_url_ok with and
 * without http://127.0.0.1 allowed, orgs_uuid_ok, orgs_webhook_event_type_ok.
 * Oracles beyond "no crash, no read outside the input": an accepted URL is at most ORGS_WEBHOOK_URL_MAX bytes of
 * visible ASCII without '#', '@' or '\\', starts with "https://" — or, only when allowed, "http://127.0.0.1" followed
 * by ':', '/' or its end; whatever is accepted without the allowance is accepted with it; an accepted UUID is 36
 * characters; an accepted event type is one of the five.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modules/orgs/orgs.h"

static void check_url(const char *s, size_t len)
{
    int strict = orgs_webhook_url_ok(s, 0), loose = orgs_webhook_url_ok(s, 1);
    if (strict && !loose)
        abort();
    if (!loose)
        return;
    if (len > ORGS_WEBHOOK_URL_MAX || strchr(s, '#') || strchr(s, '@') || strchr(s, '\\'))
        abort();
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            abort();
    int https = strncmp(s, "https://", 8) == 0;
    if (strict && !https)
        abort();
    if (!https && !(strncmp(s, "http://127.0.0.1", 16) == 0 && (s[16] == ':' || s[16] == '/' || s[16] == '\0')))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    size_t len = strlen(s);
    check_url(s, len);
    if (orgs_uuid_ok(s) && len != 36)
        abort();
    if (orgs_webhook_event_type_ok(s) && strncmp(s, "dossier.", 8) != 0 && strncmp(s, "payment.", 8) != 0)
        abort();
    free(s);
    return 0;
}
