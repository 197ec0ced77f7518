/*
 * tools/payment_standin/handlers.h — the stand-in's endpoints. Each answers exactly once, through http.h.
 */
#ifndef PAY_HANDLERS_H
#define PAY_HANDLERS_H

#include "app.h"

#include <h2o.h>

/* pay_page.c: the payment page and the buyer's choice */
void pay_serve_payment_page(pay_app_t *app, h2o_req_t *req); /* GET /paymentv2/vpcpay.html */
void pay_serve_choose(pay_app_t *app, h2o_req_t *req);       /* POST /paymentv2/choose */

/* api.c: POST /merchant_webapi/api/transaction (querydr, refund) */
void pay_serve_merchant_api(pay_app_t *app, h2o_req_t *req);

/* control.c: the tests' controls, and GET /healthz */
void pay_serve_mode(pay_app_t *app, h2o_req_t *req);
void pay_serve_control_pay(pay_app_t *app, h2o_req_t *req);
void pay_serve_ipn_resend(pay_app_t *app, h2o_req_t *req);
void pay_serve_ipn_log(pay_app_t *app, h2o_req_t *req);
void pay_serve_transactions(pay_app_t *app, h2o_req_t *req);
void pay_serve_healthz(pay_app_t *app, h2o_req_t *req);

/* statement.c: GET /control/statement?date=yyyyMMdd */
void pay_serve_statement(pay_app_t *app, h2o_req_t *req);

#endif
