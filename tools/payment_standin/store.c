/* tools/payment_standin/store.c — payments, refunds, request ids (see store.h). */
#include "store.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

int pay_store_init(pay_store_t *store, size_t limit)
{
    *store = (pay_store_t){.limit = limit};
    store->txns = calloc(limit, sizeof *store->txns);
    store->refunds = calloc(limit, sizeof *store->refunds);
    store->request_ids = calloc(limit, sizeof *store->request_ids);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    store->next_no = (unsigned long long)tv.tv_sec * 1000 + (unsigned long long)tv.tv_usec / 1000;
    return store->txns && store->refunds && store->request_ids ? 0 : -1;
}

pay_txn_t *pay_store_find(const pay_store_t *store, const char *txn_ref, const char *date_prefix)
{
    size_t n = strlen(date_prefix);
    for (size_t i = store->count; i-- > 0;) {
        pay_txn_t *t = store->txns[i];
        if (strcmp(t->txn_ref, txn_ref) == 0 && strncmp(t->create_date, date_prefix, n) == 0)
            return t;
    }
    return NULL;
}

pay_txn_t *pay_store_find_latest(const pay_store_t *store, const char *txn_ref)
{
    for (size_t i = store->count; i-- > 0;)
        if (strcmp(store->txns[i]->txn_ref, txn_ref) == 0)
            return store->txns[i];
    return NULL;
}

pay_txn_t *pay_store_add(pay_store_t *store)
{
    if (store->count == store->limit)
        return NULL;
    pay_txn_t *t = calloc(1, sizeof *t);
    if (t)
        store->txns[store->count++] = t;
    return t;
}

pay_refund_t *pay_store_add_refund(pay_store_t *store, const pay_txn_t *txn, const char *create_by)
{
    if (store->refund_count == store->limit)
        return NULL;
    pay_refund_t *r = calloc(1, sizeof *r);
    char *by = strdup(create_by);
    if (!r || !by) {
        free(r);
        free(by);
        return NULL;
    }
    r->txn = txn;
    r->create_by = by;
    store->refunds[store->refund_count++] = r;
    return r;
}

int pay_store_request_seen(pay_store_t *store, const char *command, const char *id)
{
    char today[VNP_DATE_LEN + 1];
    vnp_format_date((long long)time(NULL), today);
    char key[128];
    snprintf(key, sizeof key, "%.8s %s %s", today, command, id);
    for (size_t i = 0; i < store->request_count; i++)
        if (strcmp(store->request_ids[i], key) == 0)
            return 1;
    if (store->request_count == store->limit)
        return -1;
    char *copy = strdup(key);
    if (!copy)
        return -1;
    store->request_ids[store->request_count++] = copy;
    return 0;
}

void pay_store_next_no(pay_store_t *store, char out[PAY_NO_MAX + 1])
{
    snprintf(out, PAY_NO_MAX + 1, "%llu", store->next_no++);
}

int pay_random_hex(char out[PAY_TOKEN_HEX + 1])
{
    unsigned char bytes[PAY_TOKEN_HEX / 2];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        return -1;
    for (size_t i = 0; i < sizeof bytes; i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
    return 0;
}
