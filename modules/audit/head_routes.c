/*
 * The public face of the log, for anyone and any monitor (no token needed):
 *   GET /v1/audit/tree-head[?tree_size=N]      the latest signed tree head (or the one of size N)
 *   GET /v1/audit/keys                         every audit key that signed a head, as a JWKS
 *   GET /v1/audit/consistency?first=M&second=N RFC 9162 §2.1.4 proof that head N extends head M
 * Hashes and signatures are base64 (as CT's JSON API); the signed bytes are described in signer.h and the README.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "b64.h"

#define api audit_api

static void head_done(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    const char *asked = udata; /* tree_size asked, or NULL for the latest */
    if (err != 0) {
        audit_reply_store_error(req, err);
        return;
    }
    if (api->pg_ntuples(res) != 1) {
        api->reply_problem(req, 404, "not-found", "Không có gốc cây đã ký (với kích thước này).",
                           "No tree head (of that size) has been signed.");
        return;
    }
    uint8_t root[AUDIT_HASH_SIZE], sig[AUDIT_SIGNATURE_SIZE];
    char sig_b64[AUDIT_B64_ROOM(AUDIT_SIGNATURE_SIZE)];
    if (audit_hex_decode(api->pg_value(res, 0, 1), root, sizeof root) != 0 ||
        audit_hex_decode(api->pg_value(res, 0, 4), sig, sizeof sig) != 0) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    audit_b64_encode(sig, sizeof sig, sig_b64, 0);
    json_t *body = json_pack("{s:I, s:o, s:I, s:s, s:s}", "tree_size", (json_int_t)atoll(api->pg_value(res, 0, 0)),
                             "root_hash", audit_hash_json(root), "timestamp",
                             (json_int_t)atoll(api->pg_value(res, 0, 2)),
                             "key_id", api->pg_value(res, 0, 3), "signature", sig_b64);
    api->reply_header(req, "cache-control", asked != NULL ? "public, max-age=86400, immutable" : "public, max-age=1");
    api->reply_json(req, 200, body);
}

static void tree_head(cong_req_t *req, void *udata)
{
    (void)udata;
    const char *size = api->req_query_param(req, "tree_size", NULL);
    unsigned long long n;
    if (size != NULL && audit_param_u64(size, INT64_MAX, &n) != 0) {
        audit_reply_bad_request(req, "tree_size không hợp lệ.", "Invalid tree_size.");
        return;
    }
    const char *params[] = {size};
    int rc = api->pg_query(req,
                           "SELECT tree_size, encode(root_hash, 'hex'), signed_at_ms, key_id, encode(signature, 'hex') "
                           "FROM audit_tree_heads WHERE $1::bigint IS NULL OR tree_size = $1::bigint "
                           "ORDER BY tree_size DESC LIMIT 1",
                           1, params, head_done, (void *)size);
    if (rc != 0)
        audit_reply_store_error(req, rc);
}

static void keys_done(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    if (err != 0) {
        audit_reply_store_error(req, err);
        return;
    }
    json_t *body = api->pg_ntuples(res) == 1 ? json_loads(api->pg_value(res, 0, 0), 0, NULL) : NULL;
    if (body == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    api->reply_header(req, "cache-control", "public, max-age=300");
    api->reply_json(req, 200, body);
}

static void keys(cong_req_t *req, void *udata)
{
    (void)udata;
    int rc = api->pg_query(req,
                           "SELECT json_build_object('keys', coalesce(json_agg(jwk ORDER BY first_used), '[]'))::text "
                           "FROM audit_keys",
                           0, NULL, keys_done, NULL);
    if (rc != 0)
        audit_reply_store_error(req, rc);
}

/* ---- consistency ---- */

/* Per request (its pool): the sizes. Node sets are malloc'd, so each lives within one callback: a callback is never
 * called once the client has gone, and a set kept across the query would leak then. */
typedef struct consistency {
    unsigned long long first, second;
} consistency_t;

static void consistency_done(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    consistency_t *c = udata;
    uint8_t path[AUDIT_MAX_PROOF][AUDIT_HASH_SIZE];
    size_t len = 0;
    if (err != 0) {
        audit_reply_store_error(req, err);
        return;
    }
    long heads = api->pg_ntuples(res) > 0 ? atol(api->pg_value(res, 0, 1)) : 0;
    audit_node_set_t nodes;
    audit_node_set_init(&nodes);
    audit_nodes_t src = audit_node_set_source(&nodes);
    int rc = 0;
    for (int i = 1; rc == 0 && i < api->pg_ntuples(res); i++) /* row 0 counts the heads */
        rc = audit_node_set_put_text(&nodes, res, i);
    if (rc == 0 && heads == (c->first == c->second ? 1 : 2))
        rc = audit_consistency_proof(&src, c->first, c->second, path, &len);
    audit_node_set_free(&nodes);
    if (heads != (c->first == c->second ? 1 : 2)) {
        api->reply_problem(req, 404, "not-found", "Không có gốc cây đã ký với kích thước này.",
                           "There is no signed tree head of that size.");
        return;
    }
    if (rc != 0) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    json_t *body = json_pack("{s:I, s:I, s:o}", "first", (json_int_t)c->first, "second", (json_int_t)c->second,
                             "consistency_path", audit_hash_array(path, len));
    api->reply_header(req, "cache-control", "public, max-age=86400, immutable"); /* both heads are signed, fixed */
    api->reply_json(req, 200, body);
}

static void consistency(cong_req_t *req, void *udata)
{
    (void)udata;
    consistency_t *c = api->req_alloc(req, sizeof *c);
    if (c == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    if (audit_param_u64(api->req_query_param(req, "first", NULL), INT64_MAX, &c->first) != 0 ||
        audit_param_u64(api->req_query_param(req, "second", NULL), INT64_MAX, &c->second) != 0 || c->first < 1 ||
        c->first > c->second) {
        audit_reply_bad_request(req, "Cần first và second là kích thước của hai gốc cây đã ký, 1 ≤ first ≤ second.",
                                "first and second must be sizes of two signed tree heads, 1 <= first <= second.");
        return;
    }
    audit_node_set_t nodes;
    audit_node_set_init(&nodes);
    nodes.recording = 1;
    uint8_t path[AUDIT_MAX_PROOF][AUDIT_HASH_SIZE];
    size_t len;
    audit_nodes_t src = audit_node_set_source(&nodes);
    char *levels = NULL, *indexes = NULL, first[24], second[24];
    int rc = audit_consistency_proof(&src, c->first, c->second, path, &len) == 0 &&
                     audit_missing_params(&nodes, &levels, &indexes) == 0 ? 0 : CONG_ENOMEM;
    audit_node_set_free(&nodes);
    snprintf(first, sizeof first, "%llu", c->first);
    snprintf(second, sizeof second, "%llu", c->second);
    const char *params[] = {levels, indexes, first, second};
    if (rc == 0)
        rc = api->pg_query(req,
                           "SELECT -1, count(*), '' FROM audit_tree_heads WHERE tree_size IN ($3::bigint, $4::bigint) "
                           "UNION ALL " AUDIT_NODES_SQL,
                           4, params, consistency_done, c);
    free(levels);
    free(indexes);
    if (rc != 0)
        audit_reply_store_error(req, rc);
}

int audit_head_routes_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t routes[] = {
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/audit/tree-head", .handler = tree_head,
         .auth = CONG_AUTH_NONE, .operation_id = "getAuditTreeHead"},
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/audit/keys", .handler = keys,
         .auth = CONG_AUTH_NONE, .operation_id = "getAuditKeys"},
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/audit/consistency", .handler = consistency,
         .auth = CONG_AUTH_NONE, .operation_id = "getAuditConsistency"},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        int rc = api->register_route(ctx, &routes[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}
