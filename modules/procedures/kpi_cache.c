#include "kpi_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char key[KPI_CACHE_KEY_BYTES]; /* "" when the slot is free */
    char *body;
    size_t len;
    long long stored_ms;
    int refreshing; /* a request went to fetch a newer body (it may never come back: its client may leave) */
} entry_t;

typedef struct cache {
    entry_t entries[KPI_CACHE_ENTRIES];
} cache_t;

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int cache_key_ok;

static void free_cache(void *p)
{
    cache_t *c = p;
    for (int i = 0; i < KPI_CACHE_ENTRIES; i++)
        free(c->entries[i].body);
    free(c);
}

static void make_cache_key(void)
{
    cache_key_ok = pthread_key_create(&cache_key, free_cache) == 0;
}

/* This thread's cache, made on first use; NULL without memory (then nothing is cached). */
static cache_t *thread_cache(void)
{
    pthread_once(&cache_once, make_cache_key);
    if (!cache_key_ok)
        return NULL;
    cache_t *c = pthread_getspecific(cache_key);
    if (c == NULL && (c = calloc(1, sizeof *c)) != NULL && pthread_setspecific(cache_key, c) != 0) {
        free(c);
        c = NULL;
    }
    return c;
}

static entry_t *find(cache_t *c, const char *key)
{
    for (int i = 0; i < KPI_CACHE_ENTRIES; i++)
        if (c->entries[i].key[0] != '\0' && strcmp(c->entries[i].key, key) == 0)
            return &c->entries[i];
    return NULL;
}

/* A free slot, else the one stored longest ago. */
static entry_t *slot_for_new(cache_t *c)
{
    entry_t *oldest = &c->entries[0];
    for (int i = 0; i < KPI_CACHE_ENTRIES; i++) {
        if (c->entries[i].key[0] == '\0')
            return &c->entries[i];
        if (c->entries[i].stored_ms < oldest->stored_ms)
            oldest = &c->entries[i];
    }
    return oldest;
}

const char *kpi_cache_get(const char *key, long long now_ms, int ttl_ms, size_t *len)
{
    cache_t *c = ttl_ms > 0 ? thread_cache() : NULL;
    entry_t *e = c != NULL ? find(c, key) : NULL;
    if (e == NULL)
        return NULL;
    long long age = now_ms - e->stored_ms;
    if (age < ttl_ms || (age < 2LL * ttl_ms && e->refreshing)) {
        *len = e->len;
        return e->body;
    }
    e->refreshing = 1;
    return NULL;
}

void kpi_cache_put(const char *key, const char *body, size_t len, long long now_ms)
{
    cache_t *c = strlen(key) < KPI_CACHE_KEY_BYTES ? thread_cache() : NULL;
    char *copy = c != NULL ? malloc(len + 1) : NULL;
    if (copy == NULL)
        return;
    memcpy(copy, body, len);
    copy[len] = '\0';
    entry_t *e = find(c, key);
    if (e == NULL)
        e = slot_for_new(c);
    free(e->body);
    *e = (entry_t){.body = copy, .len = len, .stored_ms = now_ms};
    memcpy(e->key, key, strlen(key) + 1);
}
