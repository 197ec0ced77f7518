/*
 * push/delivery/send_tool.c — cong-push-send: one batch of notifications through one provider adapter
 * (provider.h), for operators checking a provider's credentials and for the adapters' tests.
 *
 *   cong-push-send --provider fcm|apns --tokens-file FILE [--option KEY=VALUE]... [--title S] [--body S]
 *                  [--data JSON] [--collapse-id S] [--event-id S] [--ttl-s N] [--high] [--repeat N]
 *                  [--deadline-ms N]
 *
 * FILE holds the device tokens, one per line (device tokens are kept out of argv, like every identifier of a person's
 * device). Each token gets the same message, --repeat times (default 1), all in one batch. One JSON line per message
 * on stdout: {"i", "outcome", "status", "reason", "retry_after_s", "gone_at_ms"}. Exit status: 0 when every message
 * was sent, 1 when some were not, 2 on bad arguments or an adapter that would not open (its reason on stderr).
 */
#include "provider.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPTIONS 32
#define MAX_TOKENS 10000
#define TOKEN_LINE 512

typedef struct send_args {
    const char *provider, *tokens_file;
    const char *options[MAX_OPTIONS + 1];
    int noptions;
    push_message_t message; /* device_token set per token */
    int repeat, deadline_ms;
} send_args_t;

static void usage(void)
{
    fputs("usage: cong-push-send --provider fcm|apns --tokens-file FILE [--option KEY=VALUE]... [--title S]"
          " [--body S] [--data JSON] [--collapse-id S] [--event-id S] [--ttl-s N] [--high] [--repeat N]"
          " [--deadline-ms N]\n",
          stderr);
}

static int int_arg(const char *text, int min, int max, int *out)
{
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

static int add_option(send_args_t *a, const char *key_value)
{
    if (a->noptions == MAX_OPTIONS || strchr(key_value, '=') == NULL)
        return -1;
    a->options[a->noptions++] = key_value;
    return 0;
}

/* 0, or -1 after naming the bad argument. */
static int parse_args(int argc, char **argv, send_args_t *a)
{
    *a = (send_args_t){.repeat = 1, .deadline_ms = 10000};
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes_value = strcmp(k, "--high") != 0;
        if (takes_value && v == NULL)
            return fprintf(stderr, "cong-push-send: %s needs a value\n", k), -1;
        int bad = 0;
        if (strcmp(k, "--provider") == 0) a->provider = v;
        else if (strcmp(k, "--tokens-file") == 0) a->tokens_file = v;
        else if (strcmp(k, "--option") == 0) bad = add_option(a, v);
        else if (strcmp(k, "--title") == 0) a->message.title = v;
        else if (strcmp(k, "--body") == 0) a->message.body = v;
        else if (strcmp(k, "--data") == 0) a->message.data_json = v;
        else if (strcmp(k, "--collapse-id") == 0) a->message.collapse_id = v;
        else if (strcmp(k, "--event-id") == 0) a->message.event_id = v;
        else if (strcmp(k, "--ttl-s") == 0) bad = int_arg(v, 0, 2419200, &a->message.ttl_s);
        else if (strcmp(k, "--repeat") == 0) bad = int_arg(v, 1, 1000, &a->repeat);
        else if (strcmp(k, "--deadline-ms") == 0) bad = int_arg(v, 1, 600000, &a->deadline_ms);
        else if (strcmp(k, "--high") == 0) a->message.high_priority = 1;
        else return fprintf(stderr, "cong-push-send: unknown option %s\n", k), -1;
        if (bad)
            return fprintf(stderr, "cong-push-send: bad value for %s\n", k), -1;
        i += takes_value;
    }
    if (a->provider == NULL || a->tokens_file == NULL)
        return fputs("cong-push-send: --provider and --tokens-file are required\n", stderr), -1;
    return 0;
}

/* The tokens of FILE (malloc'd array of malloc'd strings, *n of them), or NULL after saying why. */
static char **read_tokens(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return fprintf(stderr, "cong-push-send: cannot read %s\n", path), NULL;
    char **tokens = calloc(MAX_TOKENS, sizeof *tokens);
    char line[TOKEN_LINE];
    *n = 0;
    while (tokens != NULL && *n < MAX_TOKENS && fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] != '\0')
            tokens[(*n)++] = strdup(line);
    }
    fclose(f);
    if (tokens != NULL && *n == 0)
        fprintf(stderr, "cong-push-send: %s holds no token\n", path);
    return tokens;
}

static void print_result(size_t i, const push_result_t *r)
{
    json_t *line = json_pack("{s:I, s:s, s:i, s:s, s:i, s:I}", "i", (json_int_t)i, "outcome",
                             push_outcome_name(r->outcome), "status", r->http_status, "reason", r->reason,
                             "retry_after_s", r->retry_after_s, "gone_at_ms", (json_int_t)r->gone_at_ms);
    char *text = line != NULL ? json_dumps(line, JSON_COMPACT) : NULL;
    if (text != NULL)
        puts(text);
    free(text);
    json_decref(line);
}

static int send_all(const push_provider_ops_t *ops, push_provider_t *p, const send_args_t *a, char **tokens,
                    size_t ntokens)
{
    size_t n = ntokens * (size_t)a->repeat;
    push_message_t *msgs = calloc(n, sizeof *msgs);
    push_result_t *results = calloc(n, sizeof *results);
    int status = 2;
    if (msgs != NULL && results != NULL) {
        for (size_t i = 0; i < n; i++)
            msgs[i] = a->message, msgs[i].device_token = tokens[i % ntokens];
        ops->send(p, msgs, n, results, a->deadline_ms);
        status = 0;
        for (size_t i = 0; i < n; i++) {
            print_result(i, &results[i]);
            if (results[i].outcome != PUSH_SENT)
                status = 1;
        }
    }
    free(msgs);
    free(results);
    return status;
}

int main(int argc, char **argv)
{
    send_args_t a;
    if (parse_args(argc, argv, &a) != 0)
        return usage(), 2;
    const push_provider_ops_t *ops = push_provider_find(a.provider);
    if (ops == NULL)
        return fprintf(stderr, "cong-push-send: unknown provider %s\n", a.provider), 2;
    size_t ntokens = 0;
    char **tokens = read_tokens(a.tokens_file, &ntokens);
    int status = 2;
    push_provider_t *p = NULL;
    char err[256] = "";
    if (tokens != NULL && ntokens > 0) {
        if (ops->open(a.options, &p, err, sizeof err) != 0)
            fprintf(stderr, "cong-push-send: %s: %s\n", a.provider, err);
        else
            status = send_all(ops, p, &a, tokens, ntokens);
    }
    ops->close(p);
    for (size_t i = 0; tokens != NULL && i < ntokens; i++)
        free(tokens[i]);
    free(tokens);
    return status;
}
