/*
 * GET /v1/audit/records/{id}/proof?tree_size=N — the inclusion proof (RFC 9162 §2.1.3) of one record in the signed
 * tree head of size N (default: the latest). Anyone gets the hashes; the record's content (its fields and its
 * canonical leaf bytes, from which anyone can recompute leaf_hash) only its subject or its actor, authenticated.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "b64.h"
#include "leaf.h"

#define api audit_api

/* The content of a record for its parties: the fields and the leaf (base64). Columns from `col` on, as
 * AUDIT_RECORD_COLUMNS; leaf_index given. */
static json_t *record_content(const cong_pg_result_t *res, int col, uint64_t leaf_index)
{
    static const char *const names[AUDIT_LEAF_FIELDS] = {"at", "actor", "actor_kind", "subject", "action", "object",
                                                        "mandate_id", "request_id", "instance", "module", "detail"};
    audit_record_t r = {.leaf_index = leaf_index, .id = strtoull(api->pg_value(res, 0, col), NULL, 10)};
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer((json_int_t)r.id));
    for (int f = 0; f < AUDIT_LEAF_FIELDS; f++) {
        r.fields[f] = api->pg_is_null(res, 0, col + 1 + f) ? NULL : api->pg_value(res, 0, col + 1 + f);
        json_t *v = r.fields[f] == NULL ? json_null()
                    : f == AUDIT_LEAF_FIELDS - 1 ? json_loads(r.fields[f], JSON_DECODE_ANY, NULL)
                                                 : json_string(r.fields[f]);
        json_object_set_new(o, names[f], v != NULL ? v : json_null());
    }
    size_t len;
    uint8_t *leaf = audit_leaf_encode(&r, &len);
    char *b64 = leaf != NULL ? malloc(AUDIT_B64_ROOM(len)) : NULL;
    if (b64 != NULL) {
        audit_b64_encode(leaf, len, b64, 0);
        json_object_set_new(o, "leaf", json_string(b64));
    }
    free(b64);
    free(leaf);
    return o;
}

typedef struct proof_req {
    unsigned long long id, leaf_index, tree_size;
    int latest;          /* no tree_size asked: the answer changes with the next head */
    char *content;       /* the record for its parties (JSON text in the request pool: nothing to free when the
                            client leaves before the second query answers), else NULL */
    uint8_t leaf_hash[AUDIT_HASH_SIZE];
} proof_req_t;

static void nodes_done(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    proof_req_t *p = udata;
    uint8_t path[AUDIT_MAX_PROOF][AUDIT_HASH_SIZE];
    size_t len = 0;
    if (err != 0) {
        audit_reply_store_error(req, err);
        return;
    }
    audit_node_set_t nodes;
    audit_node_set_init(&nodes);
    audit_nodes_t src = audit_node_set_source(&nodes);
    int rc = audit_node_set_load(&nodes, res);
    if (rc == 0)
        rc = audit_inclusion_proof(&src, p->leaf_index, p->tree_size, path, &len);
    audit_node_set_free(&nodes);
    if (rc != 0) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    json_t *body = json_pack("{s:I, s:I, s:o, s:I, s:o}", "id", (json_int_t)p->id, "leaf_index",
                             (json_int_t)p->leaf_index, "leaf_hash", audit_hash_json(p->leaf_hash), "tree_size",
                             (json_int_t)p->tree_size, "audit_path", audit_hash_array(path, len));
    if (p->content != NULL)
        json_object_set_new(body, "record", json_loads(p->content, 0, NULL));
    api->reply_header(req, "cache-control", p->content != NULL ? "private, no-store"
                                            : p->latest        ? "public, max-age=1"
                                                               : "public, max-age=86400, immutable");
    api->reply_json(req, 200, body);
}

/* Checks what the first query found; 0 when the proof can be made, else it has replied. */
static int check_record(cong_req_t *req, const cong_pg_result_t *res, proof_req_t *p)
{
    if (api->pg_ntuples(res) != 1) {
        api->reply_problem(req, 404, "not-found", "Không có bản ghi nhật ký này.", "There is no such audit record.");
        return -1;
    }
    if (api->pg_is_null(res, 0, 3)) {
        api->reply_problem(req, 404, "not-found", "Không có gốc cây đã ký với kích thước này.",
                           "There is no signed tree head of that size.");
        return -1;
    }
    p->tree_size = strtoull(api->pg_value(res, 0, 3), NULL, 10);
    if (api->pg_is_null(res, 0, 0) || strtoull(api->pg_value(res, 0, 0), NULL, 10) >= p->tree_size) {
        api->reply_header(req, "retry-after", "2");
        api->reply_problem(req, 409, "conflict", "Bản ghi chưa được niêm phong trong gốc cây này; hãy thử lại sau.",
                           "The record is not sealed in that tree head yet; retry shortly.");
        return -1;
    }
    p->leaf_index = strtoull(api->pg_value(res, 0, 0), NULL, 10);
    if (audit_hex_decode(api->pg_value(res, 0, 1), p->leaf_hash, AUDIT_HASH_SIZE) != 0) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return -1;
    }
    return 0;
}

static void record_done(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    proof_req_t *p = udata;
    if (err != 0) {
        audit_reply_store_error(req, err);
        return;
    }
    if (check_record(req, res, p) != 0)
        return;
    if (strcmp(api->pg_value(res, 0, 2), "t") == 0) {
        json_t *content = record_content(res, 4, p->leaf_index);
        char *text = json_dumps(content, JSON_COMPACT);
        if (text != NULL && (p->content = api->req_alloc(req, strlen(text) + 1)) != NULL)
            memcpy(p->content, text, strlen(text) + 1);
        free(text);
        json_decref(content);
    }
    audit_node_set_t nodes;
    audit_node_set_init(&nodes);
    nodes.recording = 1;
    audit_nodes_t src = audit_node_set_source(&nodes);
    uint8_t path[AUDIT_MAX_PROOF][AUDIT_HASH_SIZE];
    size_t len;
    char *levels = NULL, *indexes = NULL;
    int rc = audit_inclusion_proof(&src, p->leaf_index, p->tree_size, path, &len) == 0 &&
                     audit_missing_params(&nodes, &levels, &indexes) == 0 ? 0 : CONG_ENOMEM;
    audit_node_set_free(&nodes);
    const char *params[] = {levels, indexes};
    if (rc == 0)
        rc = api->pg_query(req, AUDIT_NODES_SQL, 2, params, nodes_done, p);
    free(levels);
    free(indexes);
    if (rc != 0)
        audit_reply_store_error(req, rc);
}

static void record_proof(cong_req_t *req, void *udata)
{
    (void)udata;
    proof_req_t *p = api->req_alloc(req, sizeof *p);
    const char *size = api->req_query_param(req, "tree_size", NULL);
    if (p == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    if (audit_param_u64(api->req_path_param(req, "id", NULL), INT64_MAX, &p->id) != 0 ||
        (size != NULL && audit_param_u64(size, INT64_MAX, &p->tree_size) != 0)) {
        audit_reply_bad_request(req, "Mã bản ghi hoặc tree_size không hợp lệ.", "Invalid record id or tree_size.");
        return;
    }
    p->latest = size == NULL;
    const cong_principal_t *who = api->req_principal(req);
    const char *caller = who != NULL && who->authenticated && who->subject[0] != '\0' ? who->subject : NULL;
    char id[24];
    snprintf(id, sizeof id, "%llu", p->id);
    const char *params[] = {id, caller, size};
    int rc = api->pg_query(req,
                           "SELECT r.leaf_index, encode(r.leaf_hash, 'hex'), "
                           "coalesce($2::text IN (r.subject, r.actor), false), h.tree_size, "
                           AUDIT_RECORD_COLUMNS " FROM audit_records r "
                           "LEFT JOIN LATERAL (SELECT tree_size FROM audit_tree_heads "
                           "WHERE $3::bigint IS NULL OR tree_size = $3::bigint ORDER BY tree_size DESC LIMIT 1) h "
                           "ON true WHERE r.id = $1::bigint",
                           3, params, record_done, p);
    if (rc != 0)
        audit_reply_store_error(req, rc);
}

int audit_proof_routes_register(cong_module_ctx_t *ctx)
{
    cong_route_def_t r = {.size = sizeof r, .method = "GET", .path = "/v1/audit/records/{id}/proof",
                          .handler = record_proof, .auth = CONG_AUTH_NONE, .operation_id = "getAuditRecordProof"};
    return api->register_route(ctx, &r);
}
