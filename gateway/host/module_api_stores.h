/*
 * gateway/host/module_api_stores.h — (internal to gateway/host/) the module ABI's store members (pg_*, redis_*,
 * event_publish), for the table in
 * module_api.c. Contracts: include/cong/module.h. Request's worker thread only.
 */
#ifndef CONG_HOST_MODULE_API_STORES_H
#define CONG_HOST_MODULE_API_STORES_H

#include <jansson.h>
#include <stddef.h>

#include "cong/module.h"

int cong_api_event_publish(cong_req_t *r, const char *topic, json_t *payload, cong_event_cb cb, void *udata);
const char *cong_api_pg_field_name(const cong_pg_result_t *res, int col);
int cong_api_pg_is_null(const cong_pg_result_t *res, int row, int col);
int cong_api_pg_nfields(const cong_pg_result_t *res);
int cong_api_pg_ntuples(const cong_pg_result_t *res);
int cong_api_pg_query(cong_req_t *r, const char *sql, int nparams, const char *const *params, cong_pg_cb cb,
                      void *udata);
const char *cong_api_pg_value(const cong_pg_result_t *res, int row, int col);
int cong_api_redis_command(cong_req_t *r, int argc, const char *const *argv, const size_t *argvlen,
                           cong_redis_cb cb, void *udata);
const cong_redis_reply_t *cong_api_redis_element(const cong_redis_reply_t *reply, size_t i);
size_t cong_api_redis_elements(const cong_redis_reply_t *reply);
long long cong_api_redis_integer(const cong_redis_reply_t *reply);
const char *cong_api_redis_string(const cong_redis_reply_t *reply, size_t *len);
int cong_api_redis_type(const cong_redis_reply_t *reply);

#endif
