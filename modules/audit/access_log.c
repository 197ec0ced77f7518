/*
 * GET /v1/me/access-log?cursor=&limit=&proofs=1 — "who used my data" (Estonia's Data Tracker): the records whose
 * subject is the caller and whose actor is someone else (officials' views and actions, uses of mandates the caller
 * gave, partner modules that read their data), newest first, with a vi/en text per action (action_texts.h).
 *
 * The cursor is opaque to clients (it is the last id of the page). With proofs=1 each sealed record carries its
 * inclusion proof against the latest signed head; an unsealed one says "sealed": false. Another person's pseudonym
 * is never shown: for a citizen or an official only the kind of actor; for an API client or partner its name
 * ("client:<id>"), which is what the person needs to know. `instance`, `request_id` and `detail` stay internal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action_texts.h"
#include "audit.h"
#include "b64.h"

#define api audit_api

typedef struct access_req {
    int proofs;          /* proofs=1 */
    char *body;          /* the page as JSON text (request pool) while its proofs' nodes are fetched */
    unsigned long long tree_size;
} access_req_t;

static json_t *texts_of(const char *action, const char *actor_kind)
{
    const audit_action_text_t *t = audit_action_text(action, actor_kind);
    if (t != NULL)
        return json_pack("{s:s, s:s}", "vi", t->vi, "en", t->en);
    char vi[192], en[192];
    audit_action_generic(action, vi, sizeof vi, en, sizeof en);
    return json_pack("{s:s, s:s}", "vi", vi, "en", en);
}

static json_t *nullable(const cong_pg_result_t *res, int row, int col)
{
    return api->pg_is_null(res, row, col) ? json_null() : json_string(api->pg_value(res, row, col));
}

/* One item from row i: id, at, actor_kind, actor (shown or NULL), action, object, mandate_id, leaf_index, leaf_hash
 * (hex). Sealed means sealed within the head the page was read with. */
static json_t *item_of(const cong_pg_result_t *res, int i, unsigned long long tree_size)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:o, s:s, s:o, s:o, s:o}", "id",
                          (json_int_t)atoll(api->pg_value(res, i, 0)), "at", api->pg_value(res, i, 1), "actor_kind",
                          api->pg_value(res, i, 2), "actor", nullable(res, i, 3), "action", api->pg_value(res, i, 4),
                          "object", nullable(res, i, 5), "mandate_id", nullable(res, i, 6), "text",
                          texts_of(api->pg_value(res, i, 4), api->pg_value(res, i, 2)));
    uint8_t hash[AUDIT_HASH_SIZE];
    int sealed = !api->pg_is_null(res, i, 7) && strtoull(api->pg_value(res, i, 7), NULL, 10) < tree_size &&
                 audit_hex_decode(api->pg_value(res, i, 8), hash, sizeof hash) == 0;
    json_object_set_new(o, "sealed", json_boolean(sealed));
    if (sealed) {
        json_object_set_new(o, "leaf_index", json_integer(atoll(api->pg_value(res, i, 7))));
        json_object_set_new(o, "leaf_hash", audit_hash_json(hash));
    }
    return o;
}

static void reply_page(cong_req_t *req, json_t *body)
{
    api->reply_header(req, "cache-control", "private, no-store");
    api->reply_json(req, 200, body);
}

/* Runs every sealed item's proof on the set; 0 or -1. With a recording set it only notes the nodes. */
static int add_proofs(json_t *items, audit_node_set_t *nodes, unsigned long long tree_size, int attach)
{
    audit_nodes_t src = audit_node_set_source(nodes);
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) {
        json_t *index = json_object_get(item, "leaf_index");
        uint8_t path[AUDIT_MAX_PROOF][AUDIT_HASH_SIZE];
        size_t len;
        if (index == NULL)
            continue;
        if (audit_inclusion_proof(&src, (uint64_t)json_integer_value(index), tree_size, path, &len) != 0)
            return -1;
        if (attach)
            json_object_set_new(item, "inclusion_proof", json_pack("{s:I, s:o}", "tree_size", (json_int_t)tree_size,
                                                                   "audit_path", audit_hash_array(path, len)));
    }
    return 0;
}

static void nodes_done(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    access_req_t *a = udata;
    if (err != 0) {
        audit_reply_store_error(req, err);
        return;
    }
    json_t *body = json_loads(a->body, 0, NULL);
    audit_node_set_t nodes;
    audit_node_set_init(&nodes);
    int rc = body != NULL && audit_node_set_load(&nodes, res) == 0
                 ? add_proofs(json_object_get(body, "items"), &nodes, a->tree_size, 1) : -1;
    audit_node_set_free(&nodes);
    if (rc != 0) {
        json_decref(body);
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    reply_page(req, body);
}

/* Asks for the nodes the page's proofs need; the page waits in the request pool as text. */
static int fetch_proofs(cong_req_t *req, access_req_t *a, json_t *body)
{
    audit_node_set_t nodes;
    audit_node_set_init(&nodes);
    nodes.recording = 1;
    char *levels = NULL, *indexes = NULL, *text = NULL;
    int rc = add_proofs(json_object_get(body, "items"), &nodes, a->tree_size, 0) == 0 &&
                     audit_missing_params(&nodes, &levels, &indexes) == 0 &&
                     (text = json_dumps(body, JSON_COMPACT)) != NULL &&
                     (a->body = api->req_alloc(req, strlen(text) + 1)) != NULL ? 0 : CONG_ENOMEM;
    audit_node_set_free(&nodes);
    if (rc == 0) {
        memcpy(a->body, text, strlen(text) + 1);
        const char *params[] = {levels, indexes};
        rc = api->pg_query(req, AUDIT_NODES_SQL, 2, params, nodes_done, a);
    }
    free(text);
    free(levels);
    free(indexes);
    return rc;
}

static void page_done(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    access_req_t *a = udata;
    if (err != 0) {
        audit_reply_store_error(req, err);
        return;
    }
    int rows = api->pg_ntuples(res);
    int limit = rows > 0 ? atoi(api->pg_value(res, 0, 10)) : 0;
    a->tree_size = rows > 0 && !api->pg_is_null(res, 0, 9) ? strtoull(api->pg_value(res, 0, 9), NULL, 10) : 0;
    json_t *items = json_array();
    for (int i = 0; i < rows && i < limit; i++)
        json_array_append_new(items, item_of(res, i, a->tree_size));
    json_t *body = json_pack("{s:o, s:o}", "items", items, "next_cursor",
                             rows > limit ? json_string(api->pg_value(res, limit - 1, 0)) : json_null());
    if (!a->proofs || a->tree_size == 0) { /* no proofs asked, or no head yet (then nothing is sealed) */
        reply_page(req, body);
        return;
    }
    json_object_set_new(body, "tree_size", json_integer((json_int_t)a->tree_size));
    int rc = fetch_proofs(req, a, body);
    json_decref(body);
    if (rc != 0)
        audit_reply_store_error(req, rc);
}

static void access_log(cong_req_t *req, void *udata)
{
    (void)udata;
    const char *cursor = api->req_query_param(req, "cursor", NULL), *limit = api->req_query_param(req, "limit", NULL),
               *proofs = api->req_query_param(req, "proofs", NULL);
    unsigned long long c = 0, l = (unsigned long long)audit_config.page_size;
    if ((cursor != NULL && audit_param_u64(cursor, INT64_MAX, &c) != 0) ||
        (limit != NULL && (audit_param_u64(limit, AUDIT_MAX_PAGE, &l) != 0 || l < 1)) ||
        (proofs != NULL && strcmp(proofs, "0") != 0 && strcmp(proofs, "1") != 0)) {
        audit_reply_bad_request(req, "cursor, limit (1..100) hoặc proofs (0, 1) không hợp lệ.",
                                "Invalid cursor, limit (1..100) or proofs (0, 1).");
        return;
    }
    access_req_t *a = api->req_alloc(req, sizeof *a);
    if (a == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    a->proofs = proofs != NULL && strcmp(proofs, "1") == 0;
    char lim[8];
    snprintf(lim, sizeof lim, "%llu", l);
    const char *params[] = {api->req_principal(req)->subject, cursor, lim};
    int rc = api->pg_query(req,
                           "SELECT r.id, to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
                           "r.actor_kind, CASE WHEN r.actor_kind IN ('client', 'partner', 'admin', 'system') "
                           "THEN r.actor END, r.action, r.object, r.mandate_id::text, r.leaf_index, "
                           "encode(r.leaf_hash, 'hex'), (SELECT max(tree_size) FROM audit_tree_heads), $3::int "
                           "FROM audit_records r WHERE r.subject = $1 AND r.actor <> $1 "
                           "AND ($2::bigint IS NULL OR r.id < $2::bigint) ORDER BY r.id DESC LIMIT $3::int + 1",
                           3, params, page_done, a);
    if (rc != 0)
        audit_reply_store_error(req, rc);
}

int audit_access_log_register(cong_module_ctx_t *ctx)
{
    cong_route_def_t r = {.size = sizeof r, .method = "GET", .path = "/v1/me/access-log", .handler = access_log,
                          .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "getMyAccessLog",
                          .mandate_action = NULL};
    return api->register_route(ctx, &r);
}
