/*
 * The sealer: a job (module ABI 1.3) every modules.audit.seal_interval_ms on the gateway's job thread. One instance
 * seals at a time (a transaction-level advisory lock; the others skip their turn). In ONE transaction it takes up to
 * seal_batch unsealed records in id order, gives them the next leaf indexes and their leaf hashes (leaf.h), stores
 * the new perfect subtrees, computes the new root and signs the head with the audit key. A record committed late
 * (a smaller id than one sealed already) simply gets a later leaf index: the tree's order is the sealing order.
 *
 * It refuses to extend a log whose rows disagree with its latest head (a sealed leaf beyond it): that is tampering or
 * a bug, and sealing over it would sign it. `cong audit verify` says what is wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "b64.h"
#include "leaf.h"

#define MAX_BATCHES_PER_RUN 10

typedef struct seal_batch {
    uint64_t old_size, new_size;
    audit_node_set_t nodes; /* the new nodes (all levels), then the old ones they need */
    uint64_t *new_keys;     /* the new nodes, level 0 first, in the order they were made */
    size_t new_count;
    char *ids;              /* "{id,...}" in leaf order */
} seal_batch_t;

static int exec(cong_job_t *job, const char *sql, int n, const char *const *params, cong_pg_result_t **res)
{
    int rc = audit_api->job_pg_exec(job, sql, n, params, res);
    if (rc != 0)
        audit_api->log(CONG_LOG_WARN, AUDIT_MODULE, "sealing: PostgreSQL: %s", audit_api->strerror(rc));
    return rc;
}

/* One statement without rows; 0 or -1. */
static int run(cong_job_t *job, const char *sql, int n, const char *const *params)
{
    cong_pg_result_t *res = NULL;
    int rc = exec(job, sql, n, params, &res);
    audit_api->job_pg_clear(res);
    return rc == 0 ? 0 : -1;
}

/* Every perfect subtree above level 0 that the new leaves complete (their children: new, or old from the set). */
static int make_nodes(seal_batch_t *b, int record)
{
    audit_nodes_t src = audit_node_set_source(&b->nodes);
    for (int level = 1; (UINT64_C(1) << level) <= b->new_size; level++)
        for (uint64_t i = b->old_size >> level; i < b->new_size >> level; i++) {
            uint8_t l[AUDIT_HASH_SIZE], r[AUDIT_HASH_SIZE], h[AUDIT_HASH_SIZE];
            if (src.get(src.ctx, level - 1, 2 * i, l) != 0 || src.get(src.ctx, level - 1, 2 * i + 1, r) != 0)
                return -1;
            audit_node_hash(l, r, h);
            if (audit_node_set_put(&b->nodes, level, i, h) != 0)
                return -1;
            if (!record)
                b->new_keys[b->new_count++] = ((uint64_t)level << 56 | i) + 1;
        }
    return 0;
}

/* Leaf hashes of the rows (AUDIT_RECORD_COLUMNS), as level-0 nodes from old_size on. */
static int hash_leaves(seal_batch_t *b, const cong_pg_result_t *rows)
{
    const cong_api_t *api = audit_api;
    int n = api->pg_ntuples(rows);
    size_t room = 3 + (size_t)n * 21;
    b->ids = malloc(room);
    b->new_keys = malloc(((size_t)n * 2 + 64) * sizeof *b->new_keys);
    if (b->ids == NULL || b->new_keys == NULL)
        return -1;
    size_t len = (size_t)snprintf(b->ids, room, "{");
    for (int i = 0; i < n; i++) {
        audit_record_t r = {.leaf_index = b->old_size + (uint64_t)i,
                            .id = strtoull(api->pg_value(rows, i, 0), NULL, 10)};
        for (int f = 0; f < AUDIT_LEAF_FIELDS; f++)
            r.fields[f] = api->pg_is_null(rows, i, f + 1) ? NULL : api->pg_value(rows, i, f + 1);
        uint8_t h[AUDIT_HASH_SIZE];
        if (audit_record_hash(&r, h) != 0 || audit_node_set_put(&b->nodes, 0, r.leaf_index, h) != 0)
            return -1;
        b->new_keys[b->new_count++] = r.leaf_index + 1;
        len += (size_t)snprintf(b->ids + len, room - len, "%s%llu", i ? "," : "", (unsigned long long)r.id);
    }
    snprintf(b->ids + len, room - len, "}");
    b->new_size = b->old_size + (uint64_t)n;
    return 0;
}

/* Fetches the old nodes the new ones and the root need: a recording pass, one query, then the real pass. */
static int complete_tree(cong_job_t *job, seal_batch_t *b, uint8_t root[AUDIT_HASH_SIZE])
{
    audit_nodes_t src = audit_node_set_source(&b->nodes);
    b->nodes.recording = 1;
    if (make_nodes(b, 1) != 0 || audit_root(&src, b->new_size, root) != 0)
        return -1;
    b->nodes.recording = 0;
    if (b->nodes.missing_count > 0) {
        char *levels, *indexes;
        cong_pg_result_t *res = NULL;
        if (audit_missing_params(&b->nodes, &levels, &indexes) != 0)
            return -1;
        const char *params[] = {levels, indexes};
        int rc = exec(job, AUDIT_NODES_SQL, 2, params, &res);
        free(levels);
        free(indexes);
        rc = rc == 0 ? audit_node_set_load(&b->nodes, res) : -1;
        audit_api->job_pg_clear(res);
        if (rc != 0)
            return -1;
    }
    return make_nodes(b, 0) == 0 && audit_root(&src, b->new_size, root) == 0 ? 0 : -1;
}

/* The new nodes as three array texts: levels, indexes, hex hashes (malloc'd into out[3]). */
static int node_params(const seal_batch_t *b, char *out[3])
{
    size_t room = 3 + b->new_count * 68;
    for (int i = 0; i < 3; i++)
        out[i] = malloc(room);
    if (out[0] == NULL || out[1] == NULL || out[2] == NULL)
        return -1;
    size_t n[3] = {1, 1, 1};
    out[0][0] = out[1][0] = out[2][0] = '{';
    audit_nodes_t src = audit_node_set_source((audit_node_set_t *)&b->nodes);
    for (size_t i = 0; i < b->new_count; i++) {
        int level;
        uint64_t index;
        uint8_t h[AUDIT_HASH_SIZE];
        char hex[2 * AUDIT_HASH_SIZE + 1];
        audit_node_key_split(b->new_keys[i], &level, &index);
        if (src.get(src.ctx, level, index, h) != 0)
            return -1;
        audit_hex_encode(h, sizeof h, hex);
        const char *sep = i ? "," : "";
        n[0] += (size_t)snprintf(out[0] + n[0], room - n[0], "%s%d", sep, level);
        n[1] += (size_t)snprintf(out[1] + n[1], room - n[1], "%s%llu", sep, (unsigned long long)index);
        n[2] += (size_t)snprintf(out[2] + n[2], room - n[2], "%s%s", sep, hex);
    }
    for (int i = 0; i < 3; i++)
        snprintf(out[i] + n[i], room - n[i], "}");
    return 0;
}

/* Writes leaf indexes and hashes, nodes, the key and the signed head (inside the transaction). */
static int write_batch(cong_job_t *job, seal_batch_t *b, const uint8_t root[AUDIT_HASH_SIZE])
{
    char *nodes[3] = {NULL, NULL, NULL};
    char first[24], size[24], ts[24], root_hex[65], sig_hex[129], spki_hex[2 * sizeof audit_config.signer.spki + 1];
    uint8_t sig[AUDIT_SIGNATURE_SIZE];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
    int rc = node_params(b, nodes) == 0 && audit_sign_head(&audit_config.signer, b->new_size, ms, root, sig) == 0
                 ? 0 : -1;
    snprintf(first, sizeof first, "%llu", (unsigned long long)b->old_size);
    snprintf(size, sizeof size, "%llu", (unsigned long long)b->new_size);
    snprintf(ts, sizeof ts, "%llu", (unsigned long long)ms);
    audit_hex_encode(root, AUDIT_HASH_SIZE, root_hex);
    audit_hex_encode(sig, sizeof sig, sig_hex);
    audit_hex_encode(audit_config.signer.spki, audit_config.signer.spki_len, spki_hex);
    const char *leaves[] = {b->ids, first, nodes[2]};
    const char *node_rows[] = {nodes[0], nodes[1], nodes[2]};
    const char *key[] = {audit_config.signer.kid, spki_hex, audit_config.signer.jwk};
    const char *head[] = {size, root_hex, ts, audit_config.signer.kid, sig_hex};
    /* the level-0 hashes come first in nodes[2], in leaf order: the records take them by position */
    if (rc == 0)
        rc = run(job,
                 "UPDATE audit_records r SET leaf_index = $2::bigint + u.pos - 1, "
                 "leaf_hash = decode((($3::text[])[u.pos]), 'hex') "
                 "FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, pos) WHERE r.id = u.id",
                 3, leaves);
    if (rc == 0)
        rc = run(job,
                 "INSERT INTO audit_nodes (level, idx, hash) SELECT l, i, decode(h, 'hex') "
                 "FROM unnest($1::smallint[], $2::bigint[], $3::text[]) AS u(l, i, h)",
                 3, node_rows);
    if (rc == 0)
        rc = run(job,
                 "INSERT INTO audit_keys (key_id, spki, jwk) VALUES ($1, decode($2, 'hex'), $3::jsonb) "
                 "ON CONFLICT (key_id) DO NOTHING",
                 3, key);
    if (rc == 0)
        rc = run(job,
                 "INSERT INTO audit_tree_heads (tree_size, root_hash, signed_at_ms, key_id, signature) "
                 "VALUES ($1::bigint, decode($2, 'hex'), $3::bigint, $4, decode($5, 'hex'))",
                 5, head);
    for (int i = 0; i < 3; i++)
        free(nodes[i]);
    return rc;
}

/* The latest head's size, after checking no sealed leaf lies beyond it; -1 when the log is inconsistent or a store
 * error happened. */
static long long current_size(cong_job_t *job)
{
    cong_pg_result_t *res = NULL;
    if (exec(job,
             "SELECT coalesce((SELECT max(tree_size) FROM audit_tree_heads), 0), "
             "coalesce((SELECT max(leaf_index) + 1 FROM audit_records), 0)",
             0, NULL, &res) != 0)
        return -1;
    long long size = atoll(audit_api->pg_value(res, 0, 0)), sealed = atoll(audit_api->pg_value(res, 0, 1));
    audit_api->job_pg_clear(res);
    if (sealed != size) {
        audit_api->log(CONG_LOG_ERROR, AUDIT_MODULE, "sealing stopped: records are sealed up to leaf %lld but the "
                       "latest signed head has %lld leaves (run `cong audit verify`)", sealed, size);
        return -1;
    }
    return size;
}

/* Takes the lock and the batch in an open transaction: the number of rows in *rows (0: nothing to do, or another
 * instance seals now; then the transaction is rolled back), -1 on an error (rolled back too). */
static int begin_batch(cong_job_t *job, long long *size, cong_pg_result_t **rows)
{
    const cong_api_t *api = audit_api;
    cong_pg_result_t *res = NULL;
    if (run(job, "BEGIN", 0, NULL) != 0)
        return -1;
    int rc = exec(job, "SELECT pg_try_advisory_xact_lock(hashtext('cong.audit.seal'))", 0, NULL, &res);
    int locked = rc == 0 && strcmp(api->pg_value(res, 0, 0), "t") == 0;
    api->job_pg_clear(res);
    if (rc == 0 && locked && (*size = current_size(job)) < 0)
        rc = -1;
    char batch[16];
    snprintf(batch, sizeof batch, "%d", audit_config.seal_batch);
    const char *params[] = {batch};
    if (rc == 0 && locked)
        rc = exec(job,
                  "SELECT " AUDIT_RECORD_COLUMNS " FROM audit_records WHERE leaf_index IS NULL ORDER BY id "
                  "LIMIT $1::int",
                  1, params, rows);
    int n = rc == 0 && locked ? api->pg_ntuples(*rows) : 0;
    if (n == 0) {
        api->job_pg_clear(*rows);
        *rows = NULL;
        run(job, "ROLLBACK", 0, NULL);
    }
    return rc == 0 ? n : -1;
}

/* One sealing transaction: the number of records sealed, 0 when none or another instance holds the lock, -1. */
static int seal_once(cong_job_t *job)
{
    const cong_api_t *api = audit_api;
    cong_pg_result_t *rows = NULL;
    long long size = 0;
    int n = begin_batch(job, &size, &rows);
    if (n <= 0)
        return n;
    seal_batch_t b = {.old_size = (uint64_t)size};
    audit_node_set_init(&b.nodes);
    uint8_t root[AUDIT_HASH_SIZE];
    int rc = hash_leaves(&b, rows);
    api->job_pg_clear(rows);
    if (rc == 0)
        rc = complete_tree(job, &b, root);
    if (rc == 0)
        rc = write_batch(job, &b, root);
    if (rc == 0)
        rc = run(job, "COMMIT", 0, NULL);
    else
        run(job, "ROLLBACK", 0, NULL);
    audit_node_set_free(&b.nodes);
    free(b.new_keys);
    free(b.ids);
    return rc == 0 ? n : -1;
}

static void seal(cong_job_t *job, void *udata)
{
    (void)udata;
    int batches = 0, n;
    do
        n = seal_once(job);
    while (n == audit_config.seal_batch && ++batches < MAX_BATCHES_PER_RUN && !audit_api->job_stopping(job));
}

int audit_sealer_register(cong_module_ctx_t *ctx)
{
    return audit_api->register_job(ctx, "audit_seal", audit_config.seal_interval_ms, seal, NULL);
}
