/* Consistent hashing on a ring of virtual nodes (contract in upstream.h). Built once per worker, then read only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upstream.h"

uint64_t cong_hash64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    h ^= h >> 30; /* splitmix64's finish: FNV alone leaves close keys close on the ring */
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

typedef struct point {
    uint64_t hash;
    uint32_t target;
} point_t;

static int by_hash(const void *a, const void *b)
{
    const point_t *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return x->target < y->target ? -1 : x->target > y->target; /* the same order whatever qsort does */
}

static size_t point_count(const int *weights, size_t target_count)
{
    size_t n = 0;
    for (size_t i = 0; i < target_count; i++)
        n += (size_t)weights[i] * CONG_HASH_VNODES;
    return n;
}

/* Point v of a target: the hash of "host:port#v", which depends on nothing but that target. */
static void place(point_t *points, size_t *n, const char *name, int weight, uint32_t target)
{
    char label[320];
    for (int v = 0; v < weight * CONG_HASH_VNODES; v++) {
        int len = snprintf(label, sizeof label, "%s#%d", name, v);
        points[(*n)++] = (point_t){cong_hash64(label, (size_t)len < sizeof label ? (size_t)len : sizeof label - 1),
                                   target};
    }
}

int cong_hash_ring_init(cong_hash_ring_t *ring, const char *const *names, const int *weights, size_t target_count)
{
    *ring = (cong_hash_ring_t){.target_count = target_count};
    size_t total = point_count(weights, target_count), n = 0;
    point_t *points = malloc((total ? total : 1) * sizeof *points);
    ring->points = malloc((total ? total : 1) * sizeof *ring->points);
    ring->targets = malloc((total ? total : 1) * sizeof *ring->targets);
    if (!points || !ring->points || !ring->targets) {
        free(points);
        cong_hash_ring_free(ring);
        return CONG_ENOMEM;
    }
    for (size_t i = 0; i < target_count; i++)
        place(points, &n, names[i], weights[i], (uint32_t)i);
    qsort(points, n, sizeof *points, by_hash);
    for (size_t i = 0; i < n; i++) {
        ring->points[i] = points[i].hash;
        ring->targets[i] = points[i].target;
    }
    ring->count = n;
    free(points);
    return 0;
}

void cong_hash_ring_free(cong_hash_ring_t *ring)
{
    free(ring->points);
    free(ring->targets);
    *ring = (cong_hash_ring_t){0};
}

/* The first point at or after `hash`, wrapping round. */
static size_t first_at(const cong_hash_ring_t *ring, uint64_t hash)
{
    size_t lo = 0, hi = ring->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ring->points[mid] < hash)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == ring->count ? 0 : lo;
}

/* Walks on from the key's point to the first usable target: the keys of an unusable target spread over the others
 * as its points fall between theirs, and no other key moves. */
int cong_hash_ring_pick(const cong_hash_ring_t *ring, const void *key, size_t key_len, const unsigned char *usable)
{
    if (ring->count == 0)
        return -1;
    size_t start = first_at(ring, cong_hash64(key, key_len));
    for (size_t k = 0; k < ring->count; k++) {
        uint32_t target = ring->targets[(start + k) % ring->count];
        if (usable[target])
            return (int)target;
    }
    return -1;
}
