/*
 * modules/audit/audit.h — (internal to modules/audit/) what the audit module's files share: the API table, the
 * configuration, the audit key, and the small helpers around PostgreSQL. Built on include/cong/module.h alone.
 *
 * Who owns what: every module writes audit_records through cong_audit() (gateway migration 0005) in its own
 * transaction; this module alone sets leaf_index/leaf_hash (sealer.c) and owns audit_nodes, audit_tree_heads and
 * audit_keys (its migrations).
 */
#ifndef CONG_MODULES_AUDIT_AUDIT_H
#define CONG_MODULES_AUDIT_AUDIT_H

#include <jansson.h>

#include "cong/module.h"
#include "merkle.h"
#include "signer.h"

#define AUDIT_MODULE "audit"
#define AUDIT_VERSION "1.0.0"
#define AUDIT_MAX_PAGE 100

typedef struct audit_config {
    long long seal_interval_ms;
    int seal_batch;
    int page_size;
    audit_signer_t signer; /* the audit key: loaded at start when serving (the module refuses to serve without) */
} audit_config_t;

extern const cong_api_t *audit_api;
extern audit_config_t audit_config;

/* Each file registers what it owns. */
int audit_sealer_register(cong_module_ctx_t *ctx);
int audit_head_routes_register(cong_module_ctx_t *ctx);
int audit_proof_routes_register(cong_module_ctx_t *ctx);
int audit_access_log_register(cong_module_ctx_t *ctx);
int audit_verify_command_register(cong_module_ctx_t *ctx);

/** The statement that fetches stored nodes: $1 levels, $2 indexes (the two arrays of audit_missing_params). */
#define AUDIT_NODES_SQL                                                                                               \
    "SELECT n.level, n.idx, encode(n.hash, 'hex') FROM audit_nodes n "                                                \
    "JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx"

/** The nodes a recording pass found missing, as two PostgreSQL array texts (malloc'd; free both). 0 or -1. */
int audit_missing_params(const audit_node_set_t *s, char **levels, char **indexes);
/** Puts row `row` (level, idx, hex hash) of `res` into the set; 0 or -1. */
int audit_node_set_put_text(audit_node_set_t *s, const cong_pg_result_t *res, int row);
/** Puts rows (level, idx, hex hash) of `res` into the set; 0 or -1 (a malformed row, memory). */
int audit_node_set_load(audit_node_set_t *s, const cong_pg_result_t *res);

/* Replies (request's thread). */
void audit_reply_store_error(cong_req_t *req, int err);
void audit_reply_bad_request(cong_req_t *req, const char *vi, const char *en);
/** A JSON array of base64 hashes. */
json_t *audit_hash_array(const uint8_t path[][AUDIT_HASH_SIZE], size_t len);
/** base64 of one hash as a JSON string. */
json_t *audit_hash_json(const uint8_t hash[AUDIT_HASH_SIZE]);
/** A decimal query or path parameter in 0..max: 0 and *out, or -1 (absent: *present 0). */
int audit_param_u64(const char *text, unsigned long long max, unsigned long long *out);

#endif
