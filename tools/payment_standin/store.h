/*
 * tools/payment_standin/store.h — what the stand-in remembers, in memory only (a restart forgets everything): the
 * payments (one per payment URL accepted), the refunds, and the merchant API's request ids. Bounded: at most `limit`
 * payments, `limit` refunds and `limit` request ids; beyond that the stand-in refuses new ones.
 *
 * Owned by the loop's thread; the IPN threads never see it (they get copies of what they send).
 * Lookups are linear: a test tool with at most `limit` (100000) entries, not a ledger.
 */
#ifndef PAY_STORE_H
#define PAY_STORE_H

#include "vnp_sign.h"

#include <stddef.h>

#define PAY_TXN_REF_MAX 100
#define PAY_NO_MAX 20
#define PAY_TOKEN_HEX 32

typedef enum pay_status {
    PAY_PENDING, /* the URL was accepted, no choice yet: querydr's vnp_TransactionStatus 01 */
    PAY_PAID,    /* 00 */
    PAY_FAILED,  /* cancelled: 02 */
} pay_status_t;

typedef struct pay_txn {
    char txn_ref[PAY_TXN_REF_MAX + 1];
    char create_date[VNP_DATE_LEN + 1], expire_date[VNP_DATE_LEN + 1];
    char locale[3];
    char *order_info, *return_url, *ip_addr;
    unsigned long long amount;            /* VND x 100, as vnp_Amount */
    char url_hash[VNP_HASH_HEX_LEN + 1]; /* the payment URL's signature: the same URL again is the same payment */
    char page_token[PAY_TOKEN_HEX + 1];  /* binds the payment page's form to this payment */
    pay_status_t status;
    char response_code[3];               /* after the choice: 00 paid, 24 cancelled */
    char transaction_no[PAY_NO_MAX + 1], bank_tran_no[PAY_NO_MAX + 4], pay_date[VNP_DATE_LEN + 1];
    char *return_query;                  /* after the choice: the signed return parameters (IPN, redirect) */
    unsigned long long refunded;         /* VND x 100 refunded so far */
} pay_txn_t;

typedef struct pay_refund {
    const pay_txn_t *txn;
    char transaction_no[PAY_NO_MAX + 1];
    char type[3]; /* 02 full, 03 partial */
    char date[VNP_DATE_LEN + 1];
    unsigned long long amount;
    char *create_by;
} pay_refund_t;

typedef struct pay_store {
    size_t limit;
    pay_txn_t **txns;
    size_t count;
    pay_refund_t **refunds;
    size_t refund_count;
    char **request_ids; /* "yyyyMMdd command id" */
    size_t request_count;
    unsigned long long next_no; /* the next vnp_TransactionNo */
} pay_store_t;

/** 0, or -1 when out of memory. */
int pay_store_init(pay_store_t *store, size_t limit);

/** The payment of txn_ref whose vnp_CreateDate starts with day (yyyyMMdd, or a whole yyyyMMddHHmmss), or NULL. */
pay_txn_t *pay_store_find(const pay_store_t *store, const char *txn_ref, const char *date_prefix);
/** The latest payment of txn_ref, or NULL. */
pay_txn_t *pay_store_find_latest(const pay_store_t *store, const char *txn_ref);
/** A new zeroed payment, kept (its pointer stays valid until exit); NULL when full or out of memory. */
pay_txn_t *pay_store_add(pay_store_t *store);
/** A new refund of txn, kept; NULL when full or out of memory. create_by is copied. */
pay_refund_t *pay_store_add_refund(pay_store_t *store, const pay_txn_t *txn, const char *create_by);
/** Records request id `id` of `command` for today (GMT+7): 0 when new, 1 when seen today already, -1 when full. */
int pay_store_request_seen(pay_store_t *store, const char *command, const char *id);
/** The next vnp_TransactionNo (digits; unique in this run, and across runs unless they average over 1000 a second). */
void pay_store_next_no(pay_store_t *store, char out[PAY_NO_MAX + 1]);
/** A fresh random token of PAY_TOKEN_HEX hex digits. 0, or -1 when the random generator fails. */
int pay_random_hex(char out[PAY_TOKEN_HEX + 1]);

#endif
