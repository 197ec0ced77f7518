/*
 * modules/mandates — digital authorization (issue 12): a citizen lets another act for them under a mandate, and the
 * grantee exchanges their own access token for an acting-for one (RFC 8693). Built on include/cong/module.h (1.5).
 *
 * The files: mandates.c (entry point, configuration, routes, shared replies), request.c (the create request's shape,
 * no API calls: unit-tested), code.c (acceptance codes), create.c, change.c (accept, decline, withdraw, and the
 * revocation of what they ended), read.c (list, one), exchange.c (the token exchange), jobs.c (publishing endings,
 * expiry). The rules that need the catalog, the clock and the parent are SQL (migrations/0001_mandates.sql).
 *
 * An organization as grantor (issue 18, migrations/0002_org_mandates.sql): POST /v1/mandates with grantor_org (a tax
 * code) makes the organization "org:<id>" grantor and delegated_by, when the caller is its current legal
 * representative (organizations.representative, modules/orgs) and it is active; the current representative also
 * withdraws, reads, lists (?org=CODE) and watches the uses (GET /v1/mandates/{id}/uses) of its mandates. The token
 * exchange gives the employee a token whose "sub" is the organization; nothing is exchanged under a suspended one.
 */
#ifndef CONG_MODULE_MANDATES_H
#define CONG_MODULE_MANDATES_H

#include <cong/module.h>
#include <stddef.h>

struct json_t;

#define MANDATES_MODULE "mandates"
#define MANDATES_VERSION "1.0.0"
#define MANDATES_MAX_PROCEDURES 32
#define MANDATES_MAX_DOMAINS 16
#define MANDATES_CODE_LEN 12 /* characters of an acceptance code, without the dashes shown to people */

typedef struct mandates_config {
    int max_days;      /* longest validity of a mandate that ends (modules.mandates.max_days) */
    int token_ttl_s;   /* longest life of an acting-for token (modules.mandates.token_ttl_s) */
    int job_interval_ms;
} mandates_config_t;

extern const cong_api_t *mandates_api;
extern mandates_config_t mandates_config;

/* ---- request.c (pure: jansson only) ---- */
/** The field errors of a create request's shape ([{field, code}], new reference; empty when it is well formed):
 *  types, bounded lists, known action names without repeats, formats of codes, the parent's UUID, lengths. The rules
 *  that need the catalog, the clock or the parent are the SQL's. */
struct json_t *mandates_request_errors(const struct json_t *body);
/** 1 when code is an enterprise/tax code as modules/orgs accepts it (10 digits, or 10 digits "-" 3 digits other than
 *  "000"): the syntax of grantor_org and of ?org= (the registry is the SQL's). */
int mandates_tax_code_valid(const char *code);
/** 1 when s is a UUID in its canonical text form (8-4-4-4-12 hex digits). */
int mandates_is_uuid(const char *s);

/* ---- code.c ---- */
/** A fresh acceptance code (CSPRNG, MANDATES_CODE_LEN characters of an alphabet without 0/O, 1/I/L, shown as
 *  XXXX-XXXX-XXXX), NUL-terminated in out (at least MANDATES_CODE_LEN + 3 bytes). 0, or -1 when the CSPRNG failed. */
int mandates_code_new(char *out, size_t size);
/** The SHA-256 of a code as people type it (dashes and spaces dropped, lower case raised) in hex (65 bytes). 0, or
 *  -1 when it is not a code of the alphabet and length. */
int mandates_code_hash(const char *typed, char out_hex[65]);
/** SHA-256 of len bytes in lowercase hex (65 bytes with the NUL). 0, or -1. */
int mandates_sha256_hex(const void *data, size_t len, char out[65]);

/* ---- mandates.c ---- */
void mandates_reply_store_error(cong_req_t *req, int err);
/** Replies with an (http_status, body) answer of the SQL layer: a body with "problem" becomes problem+json. */
void mandates_reply_outcome(cong_req_t *req, const char *status_text, const char *body_json);
void mandates_query(cong_req_t *req, const char *sql, int nparams, const char *const *params, cong_pg_cb cb,
                    void *udata);
/** A copy of s in the request's pool (NULL when out of memory). */
char *mandates_strdup(cong_req_t *req, const char *s);

/* ---- routes and jobs, each file's ---- */
int mandates_create_register(cong_module_ctx_t *ctx);
int mandates_change_register(cong_module_ctx_t *ctx);
int mandates_read_register(cong_module_ctx_t *ctx);
int mandates_exchange_register(cong_module_ctx_t *ctx);
int mandates_jobs_register(cong_module_ctx_t *ctx);

#endif
