/*
 * tests/push/push_batches.c — push-batches: several batches through ONE provider adapter (provider.h), for the
 * adapters' integration tests, which need what cong-push-send cannot show in one run: the credential cached from one
 * batch to the next, refreshed once after the provider expired it, single-flight across threads, and the connection
 * kept across batches.
 *
 *   push-batches --provider NAME --tokens-file FILE [--option KEY=VALUE]... [--threads N] [--deadline-ms N]
 *
 * Opens the adapter, then for each line read on stdin sends a batch — every token of FILE once, from each of N
 * threads at the same time on the shared adapter — and prints one line "sent=A retry=B gone=C drop=D" (flushed), so
 * that a test can change the provider's state between batches. Exits at the end of stdin: 0, or 2 on bad arguments or
 * an adapter that would not open.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "push/delivery/provider.h"

#define MAX_OPTIONS 32
#define MAX_THREADS 16

typedef struct batch_thread {
    pthread_t thread;
    const push_provider_ops_t *ops;
    push_provider_t *p;
    push_message_t *msgs;
    push_result_t *results;
    size_t n;
    int deadline_ms;
} batch_thread_t;

static void *send_batch(void *arg)
{
    batch_thread_t *t = arg;
    t->ops->send(t->p, t->msgs, t->n, t->results, t->deadline_ms);
    return NULL;
}

static size_t read_tokens(const char *path, push_message_t *msgs, size_t max)
{
    FILE *f = fopen(path, "r");
    char line[512];
    size_t n = 0;
    while (f != NULL && n < max && fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] != '\0')
            msgs[n++] = (push_message_t){.device_token = strdup(line), .body = "push-batches", .high_priority = 1};
    }
    if (f != NULL)
        fclose(f);
    return n;
}

/* One batch from each thread at once; the outcomes counted on stdout. */
static void run_batch(batch_thread_t *threads, int nthreads)
{
    for (int k = 0; k < nthreads; k++)
        pthread_create(&threads[k].thread, NULL, send_batch, &threads[k]);
    size_t counts[4] = {0};
    for (int k = 0; k < nthreads; k++) {
        pthread_join(threads[k].thread, NULL);
        for (size_t i = 0; i < threads[k].n; i++)
            counts[threads[k].results[i].outcome & 3]++;
    }
    printf("sent=%zu retry=%zu gone=%zu drop=%zu\n", counts[PUSH_SENT], counts[PUSH_RETRY], counts[PUSH_GONE],
           counts[PUSH_DROP]);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *provider = NULL, *tokens_file = NULL, *options[MAX_OPTIONS + 1] = {0};
    int noptions = 0, nthreads = 1, deadline_ms = 10000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--provider") == 0) provider = argv[i + 1];
        else if (strcmp(argv[i], "--tokens-file") == 0) tokens_file = argv[i + 1];
        else if (strcmp(argv[i], "--option") == 0 && noptions < MAX_OPTIONS) options[noptions++] = argv[i + 1];
        else if (strcmp(argv[i], "--threads") == 0) nthreads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--deadline-ms") == 0) deadline_ms = atoi(argv[i + 1]);
        else return fprintf(stderr, "push-batches: bad argument %s\n", argv[i]), 2;
    }
    const push_provider_ops_t *ops = provider != NULL ? push_provider_find(provider) : NULL;
    static push_message_t msgs[1000];
    size_t n = tokens_file != NULL ? read_tokens(tokens_file, msgs, 1000) : 0;
    if (ops == NULL || n == 0 || nthreads < 1 || nthreads > MAX_THREADS || deadline_ms < 1)
        return fputs("push-batches: --provider, --tokens-file (with tokens), --threads 1..16 needed\n", stderr), 2;
    push_provider_t *p = NULL;
    char err[256] = "";
    if (ops->open(options, &p, err, sizeof err) != 0)
        return fprintf(stderr, "push-batches: %s\n", err), 2;
    batch_thread_t threads[MAX_THREADS];
    for (int k = 0; k < nthreads; k++)
        threads[k] = (batch_thread_t){.ops = ops, .p = p, .msgs = msgs, .n = n, .deadline_ms = deadline_ms,
                                      .results = calloc(n, sizeof(push_result_t))};
    char line[64];
    while (fgets(line, sizeof line, stdin) != NULL)
        run_batch(threads, nthreads);
    ops->close(p);
    for (int k = 0; k < nthreads; k++)
        free(threads[k].results);
    for (size_t i = 0; i < n; i++)
        free((char *)msgs[i].device_token);
    return 0;
}
