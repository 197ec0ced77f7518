/*
 * tests/fuzz/fuzz_vnpay_callback.c — libFuzzer target for modules/payments/vnpay.c: read_callback (the IPN's and the
 * browser return's query string, untrusted, from anyone on the network) and query_answer (the merchant API's JSON).
 *
 * Input: the whole input is given to both. Oracles beyond "no crash, no leak, no read past the input":
 *   - an input accepted (0) has a non-empty NUL-terminated txn_ref, a positive amount and a known outcome;
 *   - a callback is never "pending" (only querydr says that);
 *   - the same input gives the same answer twice.
 * The seeds are signed with the key set below, so the paths after a verified signature are reached too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modules/payments/payments.h"
#include "modules/payments/vnpay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int rc, const payments_result_t *r, int callback)
{
    if (rc != 0)
        return;
    if (memchr(r->txn_ref, '\0', sizeof r->txn_ref) == NULL || r->txn_ref[0] == '\0')
        abort();
    if (r->outcome == PAYMENTS_OUTCOME_UNKNOWN && !callback)
        return; /* querydr 91: the provider knows no such transaction, nothing else is said */
    if (r->amount_vnd <= 0 || r->outcome < PAYMENTS_OUTCOME_SUCCESS || r->outcome > PAYMENTS_OUTCOME_PENDING)
        abort();
    if (callback && r->outcome == PAYMENTS_OUTCOME_PENDING)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (payments_config.vnpay_tmn_code == NULL) {
        strcpy(payments_config.vnpay_secret, "TESTSECRET0123456789"); /* the key the seeds are signed with */
        payments_config.vnpay_tmn_code = "CONGTEST";
    }
    const payments_provider_t *vnpay = payments_provider_find("vnpay");
    char *copy = malloc(size > 0 ? size : 1); /* exactly the input, not NUL-terminated: ASan sees a read past it */
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    payments_result_t a, b;
    int rc = vnpay->read_callback(copy, size, &a);
    check(rc, &a, 1);
    if (vnpay->read_callback(copy, size, &b) != rc || (rc == 0 && memcmp(&a, &b, sizeof a) != 0))
        abort();
    rc = vnpay->query_answer(copy, size, &a);
    check(rc, &a, 0);
    if (vnpay->query_answer(copy, size, &b) != rc)
        abort();
    free(copy);
    return 0;
}
