/* The per-address admission table (contract in admission.h): sharded hash tables of fixed size, each entry an
 * address's open connections and its token bucket of new connections; idle entries on an LRU list to evict. */
#include "admission.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define SHARDS 16
#define NONE UINT32_MAX

typedef struct entry {
    cong_admission_key_t key;
    uint32_t next;                 /* hash chain, or the free list */
    uint32_t idle_prev, idle_next; /* the LRU of entries without an open connection */
    uint32_t connections;
    int64_t tokens_milli;          /* the bucket, in thousandths of a connection */
    uint64_t refilled_ms;
    uint64_t logged_ms;            /* last log line for this address; 0: never */
} entry_t;

typedef struct shard {
    pthread_mutex_t lock;
    entry_t *entries;
    uint32_t *heads; /* [buckets] */
    uint32_t capacity, buckets, used, free_head;
    uint32_t idle_head, idle_tail; /* head: idle the longest */
} shard_t;

struct cong_admission {
    cong_admission_limits_t limits;
    uint64_t seed;
    shard_t shards[SHARDS];
    pthread_mutex_t log_lock; /* the process-wide bound on log lines */
    uint64_t log_second;
    unsigned log_lines;
    unsigned long log_suppressed;
};

static uint64_t hash_key(const cong_admission_t *a, const cong_admission_key_t *key)
{
    uint64_t h = 1469598103934665603ull ^ a->seed; /* FNV-1a, seeded so that no one can aim at one chain */
    for (int i = 0; i < 16; i++)
        h = (h ^ key->bytes[i]) * 1099511628211ull;
    h = (h ^ (h >> 33)) * 0xff51afd7ed558ccdull; /* a finalizer: the shard is taken from the top bits */
    h = (h ^ (h >> 33)) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

static int shard_init(shard_t *s, uint32_t capacity)
{
    s->capacity = capacity;
    s->buckets = capacity * 2;
    s->entries = calloc(capacity, sizeof *s->entries);
    s->heads = malloc(s->buckets * sizeof *s->heads);
    if (s->entries == NULL || s->heads == NULL || pthread_mutex_init(&s->lock, NULL) != 0)
        return -1;
    memset(s->heads, 0xff, s->buckets * sizeof *s->heads);
    for (uint32_t i = 0; i < capacity; i++)
        s->entries[i].next = i + 1 < capacity ? i + 1 : NONE;
    s->free_head = 0;
    s->idle_head = s->idle_tail = NONE;
    return 0;
}

cong_admission_t *cong_admission_new(const cong_admission_limits_t *limits)
{
    cong_admission_t *a = calloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    a->limits = *limits;
    if (a->limits.burst <= 0)
        a->limits.burst = a->limits.per_second;
    if (getrandom(&a->seed, sizeof a->seed, 0) != sizeof a->seed)
        a->seed = (uint64_t)(uintptr_t)a;
    uint32_t per_shard = (uint32_t)((limits->capacity + SHARDS - 1) / SHARDS);
    if (per_shard == 0)
        per_shard = 1;
    int failed = pthread_mutex_init(&a->log_lock, NULL) != 0;
    for (int i = 0; i < SHARDS; i++)
        failed |= shard_init(&a->shards[i], per_shard) != 0;
    if (failed) {
        cong_admission_free(a);
        return NULL;
    }
    return a;
}

void cong_admission_free(cong_admission_t *a)
{
    if (a == NULL)
        return;
    for (int i = 0; i < SHARDS; i++) {
        free(a->shards[i].entries);
        free(a->shards[i].heads);
        if (a->shards[i].entries != NULL)
            pthread_mutex_destroy(&a->shards[i].lock);
    }
    pthread_mutex_destroy(&a->log_lock);
    free(a);
}

/* ---- the idle LRU ------------------------------------------------------------------------------------------------ */

static void idle_unlink(shard_t *s, uint32_t i)
{
    entry_t *e = &s->entries[i];
    if (e->idle_prev != NONE)
        s->entries[e->idle_prev].idle_next = e->idle_next;
    else
        s->idle_head = e->idle_next;
    if (e->idle_next != NONE)
        s->entries[e->idle_next].idle_prev = e->idle_prev;
    else
        s->idle_tail = e->idle_prev;
    e->idle_prev = e->idle_next = NONE;
}

static void idle_append(shard_t *s, uint32_t i)
{
    entry_t *e = &s->entries[i];
    e->idle_prev = s->idle_tail;
    e->idle_next = NONE;
    if (s->idle_tail != NONE)
        s->entries[s->idle_tail].idle_next = i;
    else
        s->idle_head = i;
    s->idle_tail = i;
}

/* ---- lookup, insertion, eviction --------------------------------------------------------------------------------- */

static uint32_t find(const shard_t *s, uint32_t bucket, const cong_admission_key_t *key)
{
    for (uint32_t i = s->heads[bucket]; i != NONE; i = s->entries[i].next)
        if (memcmp(&s->entries[i].key, key, sizeof *key) == 0)
            return i;
    return NONE;
}

static void unchain(shard_t *s, uint32_t bucket, uint32_t i)
{
    uint32_t *link = &s->heads[bucket];
    while (*link != i)
        link = &s->entries[*link].next;
    *link = s->entries[i].next;
}

/* Forgets the address idle the longest; its slot goes to the free list. 0 when every entry holds a connection. */
static int evict_idle(cong_admission_t *a, shard_t *s)
{
    uint32_t i = s->idle_head;
    if (i == NONE)
        return 0;
    idle_unlink(s, i);
    unchain(s, (uint32_t)(hash_key(a, &s->entries[i].key) % s->buckets), i);
    s->entries[i].next = s->free_head;
    s->free_head = i;
    s->used--;
    return 1;
}

/* A new idle entry with a full bucket, or NONE when the shard is full of open connections. */
static uint32_t insert(cong_admission_t *a, shard_t *s, uint32_t bucket, const cong_admission_key_t *key,
                       uint64_t now_ms)
{
    if (s->free_head == NONE && !evict_idle(a, s))
        return NONE;
    uint32_t i = s->free_head;
    entry_t *e = &s->entries[i];
    s->free_head = e->next;
    *e = (entry_t){.key = *key, .next = s->heads[bucket], .idle_prev = NONE, .idle_next = NONE,
                   .tokens_milli = (int64_t)a->limits.burst * 1000, .refilled_ms = now_ms};
    s->heads[bucket] = i;
    s->used++;
    idle_append(s, i);
    return i;
}

/* ---- decisions --------------------------------------------------------------------------------------------------- */

static int take_token(const cong_admission_limits_t *limits, entry_t *e, uint64_t now_ms)
{
    if (limits->per_second <= 0)
        return 1;
    int64_t cap = (int64_t)limits->burst * 1000;
    if (now_ms > e->refilled_ms) {
        uint64_t elapsed = now_ms - e->refilled_ms;
        int64_t gained = elapsed > (uint64_t)cap ? cap : (int64_t)elapsed * limits->per_second; /* ms × 1/s = milli */
        e->tokens_milli = e->tokens_milli + gained > cap ? cap : e->tokens_milli + gained;
        e->refilled_ms = now_ms;
    }
    if (e->tokens_milli < 1000)
        return 0;
    e->tokens_milli -= 1000;
    return 1;
}

/* The process-wide bound: CONG_ADMISSION_LOG_LINES_PER_S lines in each second. */
static int log_line_allowed(cong_admission_t *a, uint64_t now_ms, unsigned long *suppressed)
{
    pthread_mutex_lock(&a->log_lock);
    if (now_ms / 1000 != a->log_second) {
        a->log_second = now_ms / 1000;
        a->log_lines = 0;
    }
    int allowed = a->log_lines < CONG_ADMISSION_LOG_LINES_PER_S;
    if (allowed) {
        a->log_lines++;
        *suppressed = a->log_suppressed;
        a->log_suppressed = 0;
    } else {
        a->log_suppressed++;
    }
    pthread_mutex_unlock(&a->log_lock);
    return allowed;
}

cong_admission_outcome_t cong_admission_enter(cong_admission_t *a, const cong_admission_key_t *key, uint64_t now_ms)
{
    cong_admission_outcome_t out = {CONG_ADMISSION_ADMITTED, 0, 0};
    uint64_t h = hash_key(a, key);
    shard_t *s = &a->shards[(h >> 56) % SHARDS];
    pthread_mutex_lock(&s->lock);
    uint32_t bucket = (uint32_t)(h % s->buckets), i = find(s, bucket, key);
    if (i == NONE)
        i = insert(a, s, bucket, key, now_ms);
    if (i == NONE) {
        pthread_mutex_unlock(&s->lock);
        out.verdict = CONG_ADMISSION_UNTRACKED;
        return out;
    }
    entry_t *e = &s->entries[i];
    if (a->limits.max_connections > 0 && e->connections >= (uint32_t)a->limits.max_connections)
        out.verdict = CONG_ADMISSION_SHED_CONCURRENT;
    else if (!take_token(&a->limits, e, now_ms))
        out.verdict = CONG_ADMISSION_SHED_RATE;
    else if (e->connections++ == 0)
        idle_unlink(s, i);
    int due = out.verdict != CONG_ADMISSION_ADMITTED &&
              (e->logged_ms == 0 || now_ms >= e->logged_ms + CONG_ADMISSION_LOG_INTERVAL_MS);
    if (due)
        e->logged_ms = now_ms ? now_ms : 1;
    pthread_mutex_unlock(&s->lock);
    out.log = due && log_line_allowed(a, now_ms, &out.suppressed);
    return out;
}

void cong_admission_leave(cong_admission_t *a, const cong_admission_key_t *key)
{
    uint64_t h = hash_key(a, key);
    shard_t *s = &a->shards[(h >> 56) % SHARDS];
    pthread_mutex_lock(&s->lock);
    uint32_t i = find(s, (uint32_t)(h % s->buckets), key);
    if (i != NONE && s->entries[i].connections > 0 && --s->entries[i].connections == 0)
        idle_append(s, i);
    pthread_mutex_unlock(&s->lock);
}

size_t cong_admission_tracked(cong_admission_t *a)
{
    size_t n = 0;
    for (int i = 0; i < SHARDS; i++) {
        pthread_mutex_lock(&a->shards[i].lock);
        n += a->shards[i].used;
        pthread_mutex_unlock(&a->shards[i].lock);
    }
    return n;
}

/* ---- keys -------------------------------------------------------------------------------------------------------- */

static void key_of_v4(const void *addr4, cong_admission_key_t *key)
{
    memset(key->bytes, 0, 10);
    key->bytes[10] = key->bytes[11] = 0xff;
    memcpy(key->bytes + 12, addr4, 4);
}

static void key_of_v6(const struct in6_addr *addr6, cong_admission_key_t *key)
{
    if (IN6_IS_ADDR_V4MAPPED(addr6)) {
        key_of_v4(addr6->s6_addr + 12, key);
        return;
    }
    memcpy(key->bytes, addr6->s6_addr, 8);
    memset(key->bytes + 8, 0, 8);
}

int cong_admission_key_of_sockaddr(const struct sockaddr *sa, cong_admission_key_t *key)
{
    if (sa->sa_family == AF_INET)
        key_of_v4(&((const struct sockaddr_in *)sa)->sin_addr, key);
    else if (sa->sa_family == AF_INET6)
        key_of_v6(&((const struct sockaddr_in6 *)sa)->sin6_addr, key);
    else
        return 0;
    return 1;
}

int cong_admission_key_of_text(const char *text, cong_admission_key_t *key)
{
    struct in_addr v4;
    struct in6_addr v6;
    if (inet_pton(AF_INET, text, &v4) == 1)
        key_of_v4(&v4, key);
    else if (inet_pton(AF_INET6, text, &v6) == 1)
        key_of_v6(&v6, key);
    else
        return 0;
    return 1;
}

void cong_admission_key_text(const cong_admission_key_t *key, char out[64])
{
    static const unsigned char v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(key->bytes, v4_prefix, 12) == 0) {
        inet_ntop(AF_INET, key->bytes + 12, out, 64);
        return;
    }
    char text[INET6_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET6, key->bytes, text, sizeof text);
    snprintf(out, 64, "%s/64", text);
}
