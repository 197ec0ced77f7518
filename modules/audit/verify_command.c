/*
 * `cong audit verify` — recomputes the whole log and says whether it is intact (module ABI 1.4 register_command;
 * blocking, on the command's own PostgreSQL connection, in one REPEATABLE READ snapshot so a sealer running meanwhile
 * is not seen half-way).
 *
 * It checks, from the rows alone: every sealed record's leaf hash recomputed from its content equals the sealed leaf
 * (edited; or reordered, when the record's own leaf_hash column names another sealed position); leaf indexes are
 * dense 0..n-1 with n the latest head's size (a gap is a deleted record, a leaf at or beyond n an inserted one); every
 * stored node is the hash of its children; every signed head's root is the tree's root at its size and its signature
 * verifies with the key it names. Exit 0 when all holds; 1 naming the FIRST problem by leaf position (record id and
 * leaf index), then the others (at most 20); 1 also when PostgreSQL cannot be read. Prints hashes, ids and indexes,
 * never a record's content.
 *
 * It holds the tree in memory (about 200 bytes per record): a log of tens of millions of records needs a streamed
 * version (a compact range per head) — not written yet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "b64.h"
#include "leaf.h"
#include "verify.h"

static const char usage[] = "cong audit verify      recompute every leaf, node and signed tree head; exit 1 naming "
                            "the first edited, deleted, reordered or inserted record\n";

#define BATCH "5000"

/* Reads every stored node into v->stored (paged). 0 or -1. */
static int load_nodes(cong_job_t *job, audit_verify_t *v)
{
    const cong_api_t *api = audit_api;
    char level[8] = "-1", idx[24] = "0";
    for (;;) {
        const char *params[] = {level, idx};
        cong_pg_result_t *res = NULL;
        if (api->job_pg_exec(job,
                             "SELECT level, idx, encode(hash, 'hex') FROM audit_nodes WHERE (level, idx) > "
                             "($1::smallint, $2::bigint) ORDER BY level, idx LIMIT " BATCH,
                             2, params, &res) != 0)
            return -1;
        int n = api->pg_ntuples(res);
        int rc = audit_node_set_load(&v->stored, res);
        if (n > 0) {
            snprintf(level, sizeof level, "%s", api->pg_value(res, n - 1, 0));
            snprintf(idx, sizeof idx, "%s", api->pg_value(res, n - 1, 1));
        }
        api->job_pg_clear(res);
        if (rc != 0)
            return -1;
        if (n < atoi(BATCH))
            return 0;
    }
}

static int load_keys_and_heads(cong_job_t *job, audit_verify_t *v)
{
    const cong_api_t *api = audit_api;
    cong_pg_result_t *res = NULL;
    if (api->job_pg_exec(job, "SELECT key_id, encode(spki, 'hex') FROM audit_keys", 0, NULL, &res) != 0)
        return -1;
    for (int i = 0; i < api->pg_ntuples(res); i++)
        audit_verify_add_key(v, api->pg_value(res, i, 0), api->pg_value(res, i, 1));
    api->job_pg_clear(res);
    res = NULL;
    if (api->job_pg_exec(job,
                         "SELECT tree_size, encode(root_hash, 'hex'), signed_at_ms, key_id, encode(signature, 'hex') "
                         "FROM audit_tree_heads ORDER BY tree_size",
                         0, NULL, &res) != 0)
        return -1;
    int rc = 0;
    for (int i = 0; rc == 0 && i < api->pg_ntuples(res); i++)
        rc = audit_verify_add_head(v, strtoull(api->pg_value(res, i, 0), NULL, 10), api->pg_value(res, i, 1),
                                   strtoull(api->pg_value(res, i, 2), NULL, 10), api->pg_value(res, i, 3),
                                   api->pg_value(res, i, 4));
    api->job_pg_clear(res);
    return rc;
}

/* Streams the sealed records in leaf order into the checker. 0 or -1. */
static int check_records(cong_job_t *job, audit_verify_t *v)
{
    const cong_api_t *api = audit_api;
    char from[24] = "0";
    for (;;) {
        const char *params[] = {from};
        cong_pg_result_t *res = NULL;
        if (api->job_pg_exec(job,
                             "SELECT leaf_index, encode(leaf_hash, 'hex'), " AUDIT_RECORD_COLUMNS
                             " FROM audit_records WHERE leaf_index >= $1::bigint ORDER BY leaf_index LIMIT " BATCH,
                             1, params, &res) != 0)
            return -1;
        int n = api->pg_ntuples(res);
        for (int i = 0; i < n; i++) {
            audit_record_t r = {.leaf_index = strtoull(api->pg_value(res, i, 0), NULL, 10),
                                .id = strtoull(api->pg_value(res, i, 2), NULL, 10)};
            for (int f = 0; f < AUDIT_LEAF_FIELDS; f++)
                r.fields[f] = api->pg_is_null(res, i, 3 + f) ? NULL : api->pg_value(res, i, 3 + f);
            audit_verify_record(v, &r, api->pg_is_null(res, i, 1) ? NULL : api->pg_value(res, i, 1));
        }
        if (n > 0)
            snprintf(from, sizeof from, "%llu", strtoull(api->pg_value(res, n - 1, 0), NULL, 10) + 1);
        api->job_pg_clear(res);
        if (n < atoi(BATCH))
            return 0;
    }
}

static long long unsealed_count(cong_job_t *job)
{
    cong_pg_result_t *res = NULL;
    if (audit_api->job_pg_exec(job, "SELECT count(*) FROM audit_records WHERE leaf_index IS NULL", 0, NULL, &res) != 0)
        return -1;
    long long n = atoll(audit_api->pg_value(res, 0, 0));
    audit_api->job_pg_clear(res);
    return n;
}

static int verify(cong_job_t *job, int argc, char **argv, void *udata)
{
    (void)udata;
    (void)argv;
    if (argc != 1 || strcmp(argv[0], "verify") != 0)
        return CONG_COMMAND_USAGE;
    audit_verify_t v;
    audit_verify_init(&v);
    long long unsealed = -1;
    int rc = audit_api->job_pg_exec(job, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL);
    if (rc == 0 && (load_keys_and_heads(job, &v) != 0 || load_nodes(job, &v) != 0 || check_records(job, &v) != 0 ||
                    (unsealed = unsealed_count(job)) < 0))
        rc = -1;
    audit_api->job_pg_exec(job, "ROLLBACK", 0, NULL, NULL);
    if (rc != 0) {
        fprintf(stderr, "cong audit: cannot read the audit log from PostgreSQL\n");
        audit_verify_free(&v);
        return CONG_COMMAND_FAILURE;
    }
    int problems = audit_verify_finish(&v, stdout);
    if (problems == 0)
        printf("audit log intact: %llu sealed records, %zu signed heads, %lld records waiting to be sealed\n",
               (unsigned long long)v.size, v.head_count, unsealed);
    audit_verify_free(&v);
    return problems == 0 ? CONG_COMMAND_OK : CONG_COMMAND_FAILURE;
}

int audit_verify_command_register(cong_module_ctx_t *ctx)
{
    return audit_api->register_command(ctx, "audit", usage, verify, NULL);
}
