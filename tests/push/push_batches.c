/*
 * tests/push/push_batches.c — push-batches, a test driver: several rounds, one after another, through ONE adapter
 * (provider.h), so a test can see what an adapter keeps between batches (its connection, its provider credential);
 * in each round --threads threads send the batch at once (provider.h: an adapter may be used by several threads).
 * cong-push-send sends one batch per process and cannot show either.
 *
 *   push-batches --provider NAME --tokens-file FILE --batches N [--threads T] [--option KEY=VALUE]... [--title S]
 *                [--body S] [--deadline-ms N]
 *
 * One JSON line per message on stdout: {"batch", "i", "outcome", "status", "reason"} (batch = round * T + thread).
 * Exit 0 when every message of every batch was sent, 1 otherwise, 2 on bad arguments or an adapter that would not
 * open.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "push/delivery/provider.h"

#define MAX_OPTIONS 32
#define MAX_TOKENS 1000
#define MAX_THREADS 8

typedef struct batch {
    const push_provider_ops_t *ops;
    push_provider_t *p;
    push_message_t msgs[MAX_TOKENS];
    push_result_t results[MAX_TOKENS];
    size_t n;
    int deadline_ms;
} batch_t;

static void *send_batch(void *arg)
{
    batch_t *b = arg;
    b->ops->send(b->p, b->msgs, b->n, b->results, b->deadline_ms);
    return NULL;
}

static int read_tokens(const char *path, char tokens[][256], size_t *n)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    *n = 0;
    while (*n < MAX_TOKENS && fgets(tokens[*n], 256, f) != NULL) {
        tokens[*n][strcspn(tokens[*n], "\r\n")] = '\0';
        *n += tokens[*n][0] != '\0';
    }
    fclose(f);
    return *n > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *provider = NULL, *tokens_file = NULL, *options[MAX_OPTIONS + 1] = {0};
    int noptions = 0, batches = 1, threads = 1, deadline_ms = 10000;
    push_message_t m = {0};
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "--provider") == 0) provider = v;
        else if (strcmp(k, "--tokens-file") == 0) tokens_file = v;
        else if (strcmp(k, "--batches") == 0) batches = atoi(v);
        else if (strcmp(k, "--threads") == 0) threads = atoi(v);
        else if (strcmp(k, "--deadline-ms") == 0) deadline_ms = atoi(v);
        else if (strcmp(k, "--title") == 0) m.title = v;
        else if (strcmp(k, "--body") == 0) m.body = v;
        else if (strcmp(k, "--option") == 0 && noptions < MAX_OPTIONS) options[noptions++] = v;
        else return fprintf(stderr, "push-batches: bad argument %s\n", k), 2;
    }
    static char tokens[MAX_TOKENS][256];
    size_t n = 0;
    const push_provider_ops_t *ops = push_provider_find(provider);
    if (ops == NULL || tokens_file == NULL || read_tokens(tokens_file, tokens, &n) != 0 || batches < 1 ||
        threads < 1 || threads > MAX_THREADS)
        return fputs("push-batches: --provider, --tokens-file (not empty), --batches >= 1, --threads 1..8\n", stderr), 2;
    push_provider_t *p = NULL;
    char err[256];
    if (ops->open(options, &p, err, sizeof err) != 0)
        return fprintf(stderr, "push-batches: %s\n", err), 2;
    static batch_t each[MAX_THREADS];
    pthread_t tids[MAX_THREADS];
    int status = 0;
    for (int round = 0; round < batches; round++) {
        for (int t = 0; t < threads; t++) {
            each[t] = (batch_t){.ops = ops, .p = p, .n = n, .deadline_ms = deadline_ms};
            for (size_t i = 0; i < n; i++)
                each[t].msgs[i] = m, each[t].msgs[i].device_token = tokens[i];
            if (pthread_create(&tids[t], NULL, send_batch, &each[t]) != 0)
                return fputs("push-batches: no thread\n", stderr), 2;
        }
        for (int t = 0; t < threads; t++) {
            pthread_join(tids[t], NULL);
            for (size_t i = 0; i < n; i++) {
                const push_result_t *r = &each[t].results[i];
                printf("{\"batch\":%d,\"i\":%zu,\"outcome\":\"%s\",\"status\":%d,\"reason\":\"%s\"}\n",
                       round * threads + t, i, push_outcome_name(r->outcome), r->http_status, r->reason);
                status |= r->outcome != PUSH_SENT;
            }
        }
        fflush(stdout);
    }
    ops->close(p);
    return status;
}
