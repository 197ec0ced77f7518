/* Smooth weighted round-robin, as nginx does it (contract in upstream.h). Per worker: no atomics. */
#include <stdlib.h>
#include <string.h>

#include "upstream.h"

int cong_balance_rr_init(cong_balance_rr_t *rr, const int *weights, size_t count)
{
    *rr = (cong_balance_rr_t){.count = count};
    rr->weight = calloc(count ? count : 1, sizeof *rr->weight);
    rr->current = calloc(count ? count : 1, sizeof *rr->current);
    if (!rr->weight || !rr->current) {
        cong_balance_rr_free(rr);
        return CONG_ENOMEM;
    }
    memcpy(rr->weight, weights, count * sizeof *weights);
    return 0;
}

void cong_balance_rr_free(cong_balance_rr_t *rr)
{
    free(rr->weight);
    free(rr->current);
    *rr = (cong_balance_rr_t){0};
}

/* Only usable targets take part: an unusable one neither gains running weight nor is picked, so when it comes back
 * it joins the sequence where it would have been, without a burst of catching up. */
int cong_balance_rr_pick(cong_balance_rr_t *rr, const unsigned char *usable)
{
    long total = 0;
    int best = -1;
    for (size_t i = 0; i < rr->count; i++) {
        if (!usable[i])
            continue;
        rr->current[i] += rr->weight[i];
        total += rr->weight[i];
        if (best < 0 || rr->current[i] > rr->current[best])
            best = (int)i;
    }
    if (best >= 0)
        rr->current[best] -= total;
    return best;
}
