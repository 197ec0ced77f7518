/* Least outstanding requests of this worker, ties to the larger weight, then round-robin (contract in upstream.h). */
#include <stdlib.h>
#include <string.h>

#include "upstream.h"

int cong_balance_least_init(cong_balance_least_t *lo, const int *weights, size_t count)
{
    *lo = (cong_balance_least_t){.count = count};
    lo->weight = calloc(count ? count : 1, sizeof *lo->weight);
    lo->outstanding = calloc(count ? count : 1, sizeof *lo->outstanding);
    if (!lo->weight || !lo->outstanding) {
        cong_balance_least_free(lo);
        return CONG_ENOMEM;
    }
    memcpy(lo->weight, weights, count * sizeof *weights);
    return 0;
}

void cong_balance_least_free(cong_balance_least_t *lo)
{
    free(lo->weight);
    free(lo->outstanding);
    *lo = (cong_balance_least_t){0};
}

/* Whether candidate i beats the best so far: fewer outstanding, else a larger weight. Equal on both: the first met
 * from the cursor keeps it, which makes ties round-robin. */
static int better(const cong_balance_least_t *lo, size_t i, size_t best)
{
    if (lo->outstanding[i] != lo->outstanding[best])
        return lo->outstanding[i] < lo->outstanding[best];
    return lo->weight[i] > lo->weight[best];
}

int cong_balance_least_pick(cong_balance_least_t *lo, const unsigned char *usable)
{
    int best = -1;
    for (size_t k = 0; k < lo->count; k++) {
        size_t i = (lo->cursor + k) % lo->count;
        if (usable[i] && (best < 0 || better(lo, i, (size_t)best)))
            best = (int)i;
    }
    if (best >= 0) {
        lo->outstanding[best]++;
        lo->cursor = ((size_t)best + 1) % lo->count;
    }
    return best;
}

void cong_balance_least_done(cong_balance_least_t *lo, int index)
{
    if (index >= 0 && (size_t)index < lo->count && lo->outstanding[index] > 0)
        lo->outstanding[index]--;
}
