/*
 * tools/payment_standin/settle.h — what follows the buyer's choice (the page's buttons or POST /control/pay): the
 * payment recorded as paid or cancelled, the return parameters signed, the IPN sent as the current IPN mode says, and
 * the URL the browser goes back to.
 */
#ifndef PAY_SETTLE_H
#define PAY_SETTLE_H

#include "app.h"

/** The IPN modes' names, in pay_ipn_mode_t's order (POST /control/mode, the IPN log). */
extern const char *const pay_ipn_mode_names[6];

/** Records the choice on a pending payment (pay: 00/00, else cancelled: 24/02), signs the return parameters, sends
 *  the IPN. The return URL with the signed parameters (malloc'd), or NULL when out of memory (nothing recorded). */
char *pay_settle(pay_app_t *app, pay_txn_t *txn, int pay);
/** Sends txn's IPN again as the current mode says (a replay). 0, or -1 when it has no choice yet or no memory. */
int pay_send_ipn(pay_app_t *app, const pay_txn_t *txn);
/** The vnp_TransactionStatus of a payment: 01 pending, 00 paid, 02 failed. */
const char *pay_status_code(pay_status_t status);

#endif
