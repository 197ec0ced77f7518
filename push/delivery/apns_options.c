/*
 * push/delivery/apns_options.c — the APNs adapter's options (apns_options.h).
 */
#include "apns_options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apns_token.h"
#include "cong/errors.h"

#define DEFAULT_ENDPOINT "https://api.push.apple.com"

static int id_ok(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= 128 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static int topic_ok(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] >= 0x7f)
            return 0;
    return n >= 1 && n <= 255;
}

static int int_ok(const char *s, int min, int max, int *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || v < min || v > max)
        return 0;
    *out = (int)v;
    return 1;
}

/* The host of an http(s) URL is the loopback interface (127.x.y.z, [::1], localhost), nothing longer. */
static int loopback(const char *url)
{
    const char *host = strstr(url, "://") + 3;
    size_t n = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":/");
    if ((n == 5 && strncmp(host, "[::1]", 5) == 0) || (n == 9 && strncmp(host, "localhost", 9) == 0))
        return 1;
    return n >= 7 && strncmp(host, "127.", 4) == 0 && strspn(host, "0123456789.") >= n;
}

static int endpoint_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= APNS_ENDPOINT_MAX || (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == '?' || s[i] == '#')
            return 0;
    return strstr(s, "://")[3] != '\0';
}

static int set(apns_options_t *o, const char *key, size_t key_len, const char *value)
{
#define IS(name) (key_len == strlen(name) && strncmp(key, name, key_len) == 0)
    if (IS("auth_key_file")) o->auth_key_file = value;
    else if (IS("key_id")) o->key_id = value;
    else if (IS("team_id")) o->team_id = value;
    else if (IS("topic")) o->topic = value;
    else if (IS("ca_file")) o->ca_file = value;
    else if (IS("endpoint")) {
        if (!endpoint_ok(value))
            return -1;
        snprintf(o->endpoint, sizeof o->endpoint, "%s", value);
        size_t n = strlen(o->endpoint);
        while (n > 0 && o->endpoint[n - 1] == '/')
            o->endpoint[--n] = '\0';
    } else if (IS("h2_prior_knowledge")) return int_ok(value, 0, 1, &o->h2_prior_knowledge) ? 0 : -1;
    else if (IS("token_refresh_s"))
        return int_ok(value, APNS_TOKEN_REFRESH_MIN_S, APNS_TOKEN_REFRESH_MAX_S, &o->token_refresh_s) ? 0 : -1;
    else if (IS("connect_timeout_ms")) return int_ok(value, 100, 60000, &o->connect_timeout_ms) ? 0 : -1;
    else return -2;
    return 0;
#undef IS
}

static int fail(char *err, size_t err_size, const char *what, const char *key, int key_len)
{
    snprintf(err, err_size, "%s %.*s", what, key_len, key);
    return CONG_EINVAL;
}

int apns_options_parse(const char *const *options, apns_options_t *o, char *err, size_t err_size)
{
    *o = (apns_options_t){.token_refresh_s = 3000, .connect_timeout_ms = 5000};
    snprintf(o->endpoint, sizeof o->endpoint, "%s", DEFAULT_ENDPOINT);
    for (size_t i = 0; options != NULL && options[i] != NULL; i++) {
        const char *eq = strchr(options[i], '=');
        if (eq == NULL)
            return fail(err, err_size, "an option is not key=value:", "", 0);
        int key_len = (int)(eq - options[i]);
        int rc = set(o, options[i], (size_t)key_len, eq + 1);
        if (rc == -2)
            return fail(err, err_size, "unknown option", options[i], key_len);
        if (rc != 0)
            return fail(err, err_size, "bad value for option", options[i], key_len);
    }
    const struct { const char *name, *value; } required[] = {
        {"auth_key_file", o->auth_key_file}, {"key_id", o->key_id}, {"team_id", o->team_id}, {"topic", o->topic}};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (required[i].value == NULL || required[i].value[0] == '\0')
            return fail(err, err_size, "missing option", required[i].name, (int)strlen(required[i].name));
    if (!id_ok(o->key_id))
        return fail(err, err_size, "bad value for option", "key_id", 6);
    if (!id_ok(o->team_id))
        return fail(err, err_size, "bad value for option", "team_id", 7);
    if (!topic_ok(o->topic))
        return fail(err, err_size, "bad value for option", "topic", 5);
    if (o->h2_prior_knowledge && !loopback(o->endpoint))
        return fail(err, err_size, "h2_prior_knowledge=1 is for a loopback endpoint only:", "endpoint", 8);
    if (strncmp(o->endpoint, "http://", 7) == 0 && !o->h2_prior_knowledge)
        return fail(err, err_size, "cleartext needs h2_prior_knowledge=1:", "endpoint", 8);
    return 0;
}
