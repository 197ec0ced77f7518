/* tools/fcm_standin/store.c — access tokens, received messages, behaviours and counters, in memory (see app.h). */
#include "app.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const fcm_mode_names[FCM_MODE_COUNT] = {
    "normal", "unregistered", "quota_exceeded", "unavailable", "internal", "sender_id_mismatch",
};

const char *const fcm_outcome_names[FCM_OUT_COUNT] = {
    "ok", "validated", "unauthenticated", "permission_denied", "invalid_argument", "unregistered",
    "quota_exceeded", "unavailable", "internal", "sender_id_mismatch",
};

int fcm_store_init(fcm_app_t *app)
{
    app->tokens = calloc(FCM_ACCESS_TOKENS_MAX, sizeof *app->tokens);
    app->records = calloc(FCM_MESSAGES_MAX, sizeof *app->records);
    app->rules = calloc(FCM_RULES_MAX, sizeof *app->rules);
    app->global = (fcm_rule_t){.remaining = -1};
    return app->tokens && app->records && app->rules ? 0 : -1;
}

int fcm_token_issue(fcm_app_t *app, int64_t now, char out[FCM_ACCESS_TOKEN_LEN + 1])
{
    unsigned char random[32];
    if (RAND_bytes(random, sizeof random) != 1)
        return -1;
    int n = snprintf(out, FCM_ACCESS_TOKEN_LEN + 1, "ya29.standin.");
    for (size_t i = 0; i < sizeof random; i++)
        n += snprintf(out + n, FCM_ACCESS_TOKEN_LEN + 1 - (size_t)n, "%02x", random[i]);
    OPENSSL_cleanse(random, sizeof random);
    fcm_access_token_t *t = &app->tokens[app->tokens_next];
    memcpy(t->value, out, FCM_ACCESS_TOKEN_LEN + 1);
    t->expires_at = now + app->config.token_ttl_s;
    app->tokens_next = (app->tokens_next + 1) % FCM_ACCESS_TOKENS_MAX;
    if (app->tokens_count < FCM_ACCESS_TOKENS_MAX)
        app->tokens_count++;
    app->tokens_issued++;
    return 0;
}

int fcm_token_valid(const fcm_app_t *app, const char *value, size_t len, int64_t now)
{
    if (len != FCM_ACCESS_TOKEN_LEN)
        return 0;
    int found = 0;
    for (size_t i = 0; i < app->tokens_count; i++) {
        const fcm_access_token_t *t = &app->tokens[i];
        if (CRYPTO_memcmp(t->value, value, FCM_ACCESS_TOKEN_LEN) == 0 && t->expires_at > now)
            found = 1;
    }
    return found;
}

size_t fcm_token_expire_all(fcm_app_t *app, int64_t now)
{
    size_t n = 0;
    for (size_t i = 0; i < app->tokens_count; i++) {
        if (app->tokens[i].expires_at > now) {
            app->tokens[i].expires_at = now;
            n++;
        }
    }
    return n;
}

static void record_free(fcm_record_t *r)
{
    free(r->target);
    free(r->message_json);
    *r = (fcm_record_t){0};
}

int fcm_record_add(fcm_app_t *app, const char *name, int target_kind, const char *target, const char *message_json,
                   int64_t now_ms)
{
    char *t = strdup(target), *m = strdup(message_json);
    if (!t || !m) {
        free(t);
        free(m);
        return -1;
    }
    fcm_record_t *r = &app->records[app->records_next];
    record_free(r);
    *r = (fcm_record_t){.target_kind = target_kind, .target = t, .message_json = m, .received_ms = now_ms};
    snprintf(r->name, sizeof r->name, "%s", name);
    app->records_next = (app->records_next + 1) % FCM_MESSAGES_MAX;
    if (app->records_count < FCM_MESSAGES_MAX)
        app->records_count++;
    return 0;
}

static fcm_rule_t *find_rule(fcm_app_t *app, const char *token)
{
    for (size_t i = 0; token && i < app->rule_count; i++)
        if (strcmp(app->rules[i].token, token) == 0)
            return &app->rules[i];
    return NULL;
}

static void remove_rule(fcm_app_t *app, fcm_rule_t *r)
{
    free(r->token);
    *r = app->rules[--app->rule_count];
    app->rules[app->rule_count] = (fcm_rule_t){0};
}

static int rule_is_noop(const fcm_rule_t *r)
{
    return r->mode == FCM_MODE_NORMAL && r->delay_ms == 0;
}

fcm_rule_t fcm_rule_take(fcm_app_t *app, const char *token)
{
    fcm_rule_t *r = find_rule(app, token);
    int own = r != NULL;
    if (!r)
        r = &app->global;
    fcm_rule_t taken = *r;
    taken.token = NULL;
    if (r->remaining > 0 && --r->remaining == 0) {
        if (own)
            remove_rule(app, r);
        else
            app->global = (fcm_rule_t){.remaining = -1};
    }
    return taken;
}

int fcm_rule_set(fcm_app_t *app, const char *token, const fcm_rule_t *rule)
{
    if (!token) {
        app->global = *rule;
        app->global.token = NULL;
        if (rule_is_noop(rule))
            app->global = (fcm_rule_t){.remaining = -1};
        return 0;
    }
    fcm_rule_t *r = find_rule(app, token);
    if (rule_is_noop(rule)) {
        if (r)
            remove_rule(app, r);
        return 0;
    }
    if (!r) {
        char *copy = app->rule_count < FCM_RULES_MAX ? strdup(token) : NULL;
        if (!copy)
            return -1;
        r = &app->rules[app->rule_count++];
        r->token = copy;
    }
    char *own = r->token;
    *r = *rule;
    r->token = own;
    return 0;
}

void fcm_store_reset(fcm_app_t *app)
{
    for (size_t i = 0; i < FCM_MESSAGES_MAX; i++)
        record_free(&app->records[i]);
    app->records_next = app->records_count = 0;
    while (app->rule_count > 0)
        remove_rule(app, &app->rules[app->rule_count - 1]);
    app->global = (fcm_rule_t){.remaining = -1};
    app->tokens_issued = app->assertions_refused = 0;
    memset(app->sends, 0, sizeof app->sends);
}
