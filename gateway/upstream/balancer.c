/* One worker's balancer of one upstream: the policy its configuration names, over its targets (contract in
 * upstream.h). */
#include <stdio.h>
#include <stdlib.h>

#include "upstream.h"

struct cong_balancer {
    int policy; /* enum cong_upstream_balance */
    cong_balance_rr_t rr; /* round_robin, and consistent_hash's requests without a key */
    cong_balance_least_t least;
    cong_hash_ring_t ring;
};

static int build_ring(cong_balancer_t *b, const cong_upstream_config_t *u, const int *weights)
{
    char **names = calloc(u->target_count ? u->target_count : 1, sizeof *names);
    int rc = names ? 0 : CONG_ENOMEM;
    for (size_t i = 0; rc == 0 && i < u->target_count; i++)
        if (asprintf(&names[i], "%s:%d", u->targets[i].host, u->targets[i].port) < 0)
            names[i] = NULL, rc = CONG_ENOMEM;
    if (rc == 0)
        rc = cong_hash_ring_init(&b->ring, (const char *const *)names, weights, u->target_count);
    for (size_t i = 0; names && i < u->target_count; i++)
        free(names[i]);
    free(names);
    return rc;
}

cong_balancer_t *cong_balancer_new(const cong_upstream_config_t *u)
{
    cong_balancer_t *b = calloc(1, sizeof *b);
    int *weights = calloc(u->target_count ? u->target_count : 1, sizeof *weights);
    if (!b || !weights) {
        free(b);
        free(weights);
        return NULL;
    }
    for (size_t i = 0; i < u->target_count; i++)
        weights[i] = u->targets[i].weight;
    b->policy = u->balance.policy;
    int rc = cong_balance_rr_init(&b->rr, weights, u->target_count);
    if (rc == 0 && b->policy == CONG_BALANCE_LEAST_OUTSTANDING)
        rc = cong_balance_least_init(&b->least, weights, u->target_count);
    if (rc == 0 && b->policy == CONG_BALANCE_CONSISTENT_HASH)
        rc = build_ring(b, u, weights);
    free(weights);
    if (rc != 0) {
        cong_balancer_free(b);
        return NULL;
    }
    return b;
}

void cong_balancer_free(cong_balancer_t *b)
{
    if (!b)
        return;
    cong_balance_rr_free(&b->rr);
    cong_balance_least_free(&b->least);
    cong_hash_ring_free(&b->ring);
    free(b);
}

int cong_balancer_pick(cong_balancer_t *b, const unsigned char *usable, const void *key, size_t key_len)
{
    switch (b->policy) {
    case CONG_BALANCE_LEAST_OUTSTANDING: return cong_balance_least_pick(&b->least, usable);
    case CONG_BALANCE_CONSISTENT_HASH:
        if (key != NULL && key_len > 0)
            return cong_hash_ring_pick(&b->ring, key, key_len, usable);
        return cong_balance_rr_pick(&b->rr, usable);
    default: return cong_balance_rr_pick(&b->rr, usable);
    }
}

void cong_balancer_done(cong_balancer_t *b, int index)
{
    if (b->policy == CONG_BALANCE_LEAST_OUTSTANDING)
        cong_balance_least_done(&b->least, index);
}
