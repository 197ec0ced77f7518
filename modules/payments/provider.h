/*
 * modules/payments/provider.h — what the payment flow asks of a provider, so that another one (MoMo: HMAC-SHA256
 * over a fixed field order, IPN answered 204 within 15 s) is one more file and one more table entry, with no change
 * to intent.c, ipn.c, querydr_job.c or refunds.c. The VNPay 2.1.0 provider (vnpay.c, signing in vnpay_sign.c) is the
 * first.
 *
 * Contract for every function below: pure computation on its arguments and payments_config (no API call, no I/O), so
 * it is unit-testable and safe on any thread (a worker's loop or the job thread). Strings it returns through `char **`
 * are malloc'd: the caller frees them. Amounts cross this interface in integer VND; the provider's own units (VNPay's
 * ×100) stay inside its implementation. Signatures are compared in constant time. Return 0 or a negative CONG_E*.
 */
#ifndef CONG_MODULE_PAYMENTS_PROVIDER_H
#define CONG_MODULE_PAYMENTS_PROVIDER_H

#include <stddef.h>

/** What a provider needs to start a payment. Strings are borrowed for the call. */
typedef struct payments_start {
    const char *txn_ref;     /* unique per provider per day: cong uses the payment's own short reference */
    long long amount_vnd;    /* > 0, from the catalog */
    const char *order_info;  /* printable ASCII, no accents (VNPay's rule), e.g. "Thanh toan le phi ho so HN-..." */
    const char *client_ip;   /* the payer's address as cong sees it (vnp_IpAddr) */
    long long created_at;    /* seconds since the epoch; rendered by the provider in its own zone (GMT+7) */
    long long expires_at;
    int lang_en;             /* the payer's language for the provider's page */
} payments_start_t;

/** What a provider's callback (IPN, browser return) or status answer (querydr) says, once verified. */
enum payments_outcome {
    PAYMENTS_OUTCOME_SUCCESS = 1,   /* paid: for VNPay, vnp_ResponseCode and vnp_TransactionStatus both "00" */
    PAYMENTS_OUTCOME_FAILED = 2,    /* the provider or bank refused, or an error */
    PAYMENTS_OUTCOME_CANCELLED = 3, /* the payer cancelled (VNPay 24) */
    PAYMENTS_OUTCOME_PENDING = 4,   /* querydr: not finished yet (VNPay transaction status 01) */
    PAYMENTS_OUTCOME_UNKNOWN = 5,   /* querydr: the provider does not know the transaction (VNPay 91) */
};

typedef struct payments_result {
    char txn_ref[101];
    long long amount_vnd;       /* as the provider states it (compared with ours by the SQL, never trusted) */
    int outcome;                /* enum payments_outcome */
    char provider_txn[41];      /* the provider's transaction number, "" when none */
    char bank_code[21];
    char response_code[8];      /* the provider's own codes, recorded as they came */
    char status_code[8];
    long long paid_at;          /* seconds since the epoch, 0 when not stated */
} payments_result_t;

/** What cong answers a provider's server-to-server callback (each provider has its own format). */
enum payments_verdict {
    PAYMENTS_VERDICT_CONFIRMED = 0,  /* recorded (a failed payment too)           VNPay RspCode 00 */
    PAYMENTS_VERDICT_NOT_FOUND,      /* no such order                             01 */
    PAYMENTS_VERDICT_ALREADY,        /* already finished: nothing done            02 */
    PAYMENTS_VERDICT_BAD_AMOUNT,     /* the amount is not ours: refused, alarmed  04 */
    PAYMENTS_VERDICT_BAD_SIGNATURE,  /* checksum wrong or missing                 97 */
    PAYMENTS_VERDICT_OTHER,          /* anything else (store down: retry later)   99 */
};

/** A refund to ask for. Strings borrowed for the call. */
typedef struct payments_refund_ask {
    const char *request_id;     /* unique per provider per day (VNPay vnp_RequestId) */
    const char *txn_ref;
    const char *provider_txn;   /* the payment's transaction number at the provider */
    long long paid_created_at;  /* the payment's start (VNPay vnp_TransactionDate = its vnp_CreateDate) */
    long long amount_vnd;       /* > 0 */
    int full;                   /* 1: the whole remaining amount (VNPay type 02), 0: partial (03) */
    const char *created_by;     /* who asks (an official's pseudonym; never a citizen number) */
    const char *client_ip;
    const char *reason;         /* printable ASCII */
    long long now;
} payments_refund_ask_t;

typedef struct payments_provider {
    const char *name;  /* "vnpay": the `provider` of POST /v1/payments and of the payments table */
    /** The URL the payer's browser is sent to (malloc'd into *url). */
    int (*start_url)(const payments_start_t *start, char **url);
    /** Verifies and reads a callback's query string (raw, as received, without '?'): 0 and *out filled;
     *  CONG_EPERM when the signature is wrong or missing; CONG_EPARSE when malformed or not ours (merchant code). */
    int (*read_callback)(const char *query, size_t len, payments_result_t *out);
    /** The HTTP status, content type and body (malloc'd) that answer a server-to-server callback. */
    int (*callback_answer)(int verdict, int *status, const char **content_type, char **body);
    /** A status query (VNPay querydr): the request body to POST to the merchant API (malloc'd JSON). */
    int (*query_request)(const char *request_id, const char *txn_ref, const char *order_info, long long created_at,
                         const char *client_ip, long long now, char **body);
    /** Verifies and reads the answer to query_request: 0 and *out; CONG_EPERM bad signature; CONG_EPARSE malformed;
     *  CONG_EUNAVAILABLE when the provider answered an error of its own (VNPay 99 and the like: try again later). */
    int (*query_answer)(const char *body, size_t len, payments_result_t *out);
    /** A refund request body (malloc'd JSON), and the reading of its answer: 0 when the provider refunded,
     *  CONG_EPERM bad signature, CONG_ESTATE refused by the provider (not refundable, over the amount, already),
     *  CONG_EUNAVAILABLE try later; *provider_txn (41 bytes) gets the refund's own transaction number. */
    int (*refund_request)(const payments_refund_ask_t *ask, char **body);
    int (*refund_answer)(const char *body, size_t len, char provider_txn[41], char response_code[8]);
} payments_provider_t;

/** The providers cong knows, by name; NULL for an unknown or unconfigured one (vnpay.c for "vnpay"). */
const payments_provider_t *payments_provider_find(const char *name);

#endif
