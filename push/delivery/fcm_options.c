/*
 * push/delivery/fcm_options.c — parsing the FCM adapter's options (contract in fcm_options.h).
 */
#include "fcm_options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"
#include "fcm_http.h"

#define DEFAULT_ENDPOINT "https://fcm.googleapis.com"

static int bad(char *err, size_t err_size, const char *key, size_t key_len, const char *why)
{
    snprintf(err, err_size, "option %.*s: %s", (int)(key_len < 64 ? key_len : 64), key, why);
    return CONG_EINVAL;
}

static int long_in(const char *text, long min, long max, long *out)
{
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* One "key=value" into *o; 0 or CONG_EINVAL. */
static int take(fcm_options_t *o, const char *kv, char *err, size_t err_size)
{
    const char *eq = strchr(kv, '=');
    if (eq == NULL)
        return bad(err, err_size, kv, strlen(kv), "not key=value");
    size_t klen = (size_t)(eq - kv);
    const char *v = eq + 1;
#define IS(name) (klen == sizeof name - 1 && memcmp(kv, name, klen) == 0)
    long n = 0;
    if (*v == '\0')
        return bad(err, err_size, kv, klen, "empty");
    if (IS("service_account_file")) o->service_account_file = v;
    else if (IS("endpoint")) o->endpoint = v;
    else if (IS("project_id")) o->project_id = v;
    else if (IS("ca_file")) o->ca_file = v;
    else if (IS("h2_prior_knowledge")) {
        if (long_in(v, 0, 1, &n) != 0)
            return bad(err, err_size, kv, klen, "must be 0 or 1");
        o->h2_prior_knowledge = (int)n;
    } else if (IS("connect_timeout_ms")) {
        if (long_in(v, 1, 60000, &o->connect_timeout_ms) != 0)
            return bad(err, err_size, kv, klen, "must be 1..60000");
    } else
        return bad(err, err_size, kv, klen, "unknown");
#undef IS
    return 0;
}

static int project_id_ok(const char *id)
{
    size_t n = strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-");
    return n > 0 && id[n] == '\0' && n <= 64;
}

int fcm_options_parse(const char *const *options, fcm_options_t *out, char *err, size_t err_size)
{
    *out = (fcm_options_t){.endpoint = DEFAULT_ENDPOINT, .connect_timeout_ms = 5000};
    for (size_t i = 0; options != NULL && options[i] != NULL; i++)
        if (take(out, options[i], err, err_size) != 0)
            return CONG_EINVAL;
    if (out->service_account_file == NULL)
        return bad(err, err_size, "service_account_file", 20, "required");
    size_t elen = strlen(out->endpoint);
    if (!fcm_url_allowed(out->endpoint) || elen > 1024 || out->endpoint[elen - 1] == '/')
        return bad(err, err_size, "endpoint", 8, "must be https://host[:port] (http only to 127.0.0.1)");
    if (out->h2_prior_knowledge && !fcm_url_is_loopback(out->endpoint))
        return bad(err, err_size, "h2_prior_knowledge", 18, "only for a 127.0.0.1 endpoint");
    if (out->project_id != NULL && !project_id_ok(out->project_id))
        return bad(err, err_size, "project_id", 10, "not a project id");
    return 0;
}
