/* The checks of `cong audit verify` (contract in verify.h). */
#include "verify.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"

#define REPORTED 20 /* problems printed */
#define REORDER_SEARCHES 20 /* a search for where a record was sealed costs O(n): done for the first few */

void audit_verify_init(audit_verify_t *v)
{
    memset(v, 0, sizeof *v);
    audit_node_set_init(&v->stored);
}

void audit_verify_free(audit_verify_t *v)
{
    for (size_t i = 0; i < v->key_count; i++)
        audit_signer_free(&v->keys[i].key);
    free(v->keys);
    free(v->heads);
    free(v->problems);
    audit_node_set_free(&v->stored);
}

__attribute__((format(printf, 3, 4))) static void problem(audit_verify_t *v, uint64_t position, const char *fmt, ...)
{
    size_t seq = v->problems_total++;
    if (v->problem_count == AUDIT_VERIFY_MAX_PROBLEMS)
        return;
    if (v->problem_count % 64 == 0) {
        audit_problem_t *p = realloc(v->problems, (v->problem_count + 64) * sizeof *p);
        if (p == NULL)
            return;
        v->problems = p;
    }
    audit_problem_t *p = &v->problems[v->problem_count++];
    p->position = position;
    p->seq = seq;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->text, sizeof p->text, fmt, ap);
    va_end(ap);
}

void audit_verify_add_key(audit_verify_t *v, const char *kid, const char *spki_hex)
{
    audit_verify_key_t *k = realloc(v->keys, (v->key_count + 1) * sizeof *k);
    if (k == NULL)
        return;
    v->keys = k;
    k = &v->keys[v->key_count++];
    memset(k, 0, sizeof *k);
    snprintf(k->kid, sizeof k->kid, "%s", kid);
    size_t len = strlen(spki_hex) / 2;
    uint8_t der[256];
    k->usable = len <= sizeof der && audit_hex_decode(spki_hex, der, len) == 0 &&
                audit_signer_from_spki(der, len, &k->key) == 0 && strcmp(k->key.kid, kid) == 0;
}

int audit_verify_add_head(audit_verify_t *v, uint64_t size, const char *root_hex, uint64_t timestamp_ms,
                          const char *kid, const char *signature_hex)
{
    audit_verify_head_t *h = realloc(v->heads, (v->head_count + 1) * sizeof *h);
    if (h == NULL)
        return -1;
    v->heads = h;
    h = &v->heads[v->head_count++];
    memset(h, 0, sizeof *h);
    h->size = size;
    h->timestamp_ms = timestamp_ms;
    snprintf(h->kid, sizeof h->kid, "%s", kid);
    h->malformed = audit_hex_decode(root_hex, h->root, sizeof h->root) != 0 ||
                   audit_hex_decode(signature_hex, h->signature, sizeof h->signature) != 0;
    v->size = size > v->size ? size : v->size;
    return 0;
}

/* Where the sealed leaf `hash` is (a linear search of the stored leaves), or -1. */
static long long sealed_position(audit_verify_t *v, const uint8_t hash[AUDIT_HASH_SIZE])
{
    audit_nodes_t src = audit_node_set_source(&v->stored);
    for (uint64_t j = 0; j < v->size; j++) {
        uint8_t h[AUDIT_HASH_SIZE];
        if (src.get(src.ctx, 0, j, h) == 0 && memcmp(h, hash, AUDIT_HASH_SIZE) == 0)
            return (long long)j;
    }
    return -1;
}

/* A record whose content does not give its sealed leaf: moved here from elsewhere, or edited. */
static void mismatch(audit_verify_t *v, const audit_record_t *r, const char *leaf_hash_hex)
{
    uint8_t column[AUDIT_HASH_SIZE], h[AUDIT_HASH_SIZE];
    long long j = -1;
    if (v->problems_total + 1 <= REORDER_SEARCHES && leaf_hash_hex != NULL &&
        audit_hex_decode(leaf_hash_hex, column, sizeof column) == 0)
        j = sealed_position(v, column);
    if (j >= 0 && (uint64_t)j != r->leaf_index) {
        audit_record_t moved = *r;
        moved.leaf_index = (uint64_t)j;
        if (audit_record_hash(&moved, h) == 0 && memcmp(h, column, AUDIT_HASH_SIZE) == 0) {
            problem(v, r->leaf_index, "record id %llu at leaf index %llu: reordered — it was sealed at leaf index %lld",
                    (unsigned long long)r->id, (unsigned long long)r->leaf_index, j);
            return;
        }
    }
    problem(v, r->leaf_index, "record id %llu at leaf index %llu: edited — its content does not give its sealed leaf "
            "hash", (unsigned long long)r->id, (unsigned long long)r->leaf_index);
}

void audit_verify_record(audit_verify_t *v, const audit_record_t *r, const char *leaf_hash_hex)
{
    uint64_t i = r->leaf_index;
    if (i > v->expected && v->expected < v->size) {
        uint64_t last = (i < v->size ? i : v->size) - 1;
        problem(v, v->expected, "leaf index %llu..%llu: missing — record(s) deleted (between record ids %llu and %llu)",
                (unsigned long long)v->expected, (unsigned long long)last, (unsigned long long)v->prev_id,
                (unsigned long long)r->id);
    }
    v->expected = i + 1;
    v->prev_id = r->id;
    if (i >= v->size) {
        problem(v, i, "record id %llu at leaf index %llu: inserted — beyond the latest signed tree head (size %llu)",
                (unsigned long long)r->id, (unsigned long long)i, (unsigned long long)v->size);
        return;
    }
    uint8_t h[AUDIT_HASH_SIZE], sealed[AUDIT_HASH_SIZE];
    audit_nodes_t src = audit_node_set_source(&v->stored);
    if (src.get(src.ctx, 0, i, sealed) != 0) {
        problem(v, i, "record id %llu at leaf index %llu: its sealed leaf node is missing from audit_nodes",
                (unsigned long long)r->id, (unsigned long long)i);
        return;
    }
    if (audit_record_hash(r, h) != 0 || memcmp(h, sealed, AUDIT_HASH_SIZE) != 0)
        mismatch(v, r, leaf_hash_hex);
}

/* Recomputes every perfect node above the stored leaves into `computed` and compares it with the stored one. */
static void check_tree(audit_verify_t *v, audit_node_set_t *computed)
{
    audit_nodes_t stored = audit_node_set_source(&v->stored), mine = audit_node_set_source(computed);
    uint8_t zero[AUDIT_HASH_SIZE] = {0};
    for (uint64_t i = 0; i < v->size; i++) {
        uint8_t h[AUDIT_HASH_SIZE];
        audit_node_set_put(computed, 0, i, stored.get(stored.ctx, 0, i, h) == 0 ? h : zero);
    }
    for (int level = 1; (UINT64_C(1) << level) <= v->size; level++)
        for (uint64_t i = 0; (i + 1) << level <= v->size; i++) {
            uint8_t l[AUDIT_HASH_SIZE], r[AUDIT_HASH_SIZE], h[AUDIT_HASH_SIZE], s[AUDIT_HASH_SIZE];
            mine.get(mine.ctx, level - 1, 2 * i, l);
            mine.get(mine.ctx, level - 1, 2 * i + 1, r);
            audit_node_hash(l, r, h);
            audit_node_set_put(computed, level, i, h);
            if (stored.get(stored.ctx, level, i, s) != 0 || memcmp(s, h, AUDIT_HASH_SIZE) != 0)
                problem(v, i << level, "tree node (level %d, index %llu) over leaves %llu..%llu: missing or not the "
                        "hash of its children", level, (unsigned long long)i, (unsigned long long)(i << level),
                        (unsigned long long)(((i + 1) << level) - 1));
        }
}

static const audit_verify_key_t *key_of(const audit_verify_t *v, const char *kid)
{
    for (size_t i = 0; i < v->key_count; i++)
        if (strcmp(v->keys[i].kid, kid) == 0)
            return v->keys[i].usable ? &v->keys[i] : NULL;
    return NULL;
}

static void check_heads(audit_verify_t *v, audit_node_set_t *computed)
{
    audit_nodes_t mine = audit_node_set_source(computed);
    uint64_t previous = 0;
    for (size_t i = 0; i < v->head_count; i++) {
        const audit_verify_head_t *h = &v->heads[i];
        const audit_verify_key_t *k = key_of(v, h->kid);
        uint8_t root[AUDIT_HASH_SIZE];
        if (h->malformed || k == NULL ||
            !audit_verify_head(&k->key, h->size, h->timestamp_ms, h->root, h->signature))
            problem(v, previous, "signed tree head of size %llu: its signature does not verify with audit key %s",
                    (unsigned long long)h->size, h->kid);
        else if (audit_root(&mine, h->size, root) != 0 || memcmp(root, h->root, AUDIT_HASH_SIZE) != 0)
            problem(v, previous, "signed tree head of size %llu: its root is not the tree's — a leaf between index "
                    "%llu and %llu was rewritten with its hashes", (unsigned long long)h->size,
                    (unsigned long long)previous, (unsigned long long)(h->size - 1));
        previous = h->size;
    }
}

static int by_position(const void *a, const void *b)
{
    const audit_problem_t *x = a, *y = b;
    if (x->position != y->position)
        return x->position < y->position ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int audit_verify_finish(audit_verify_t *v, FILE *out)
{
    if (v->expected < v->size)
        problem(v, v->expected, "leaf index %llu..%llu: missing — record(s) deleted (after record id %llu)",
                (unsigned long long)v->expected, (unsigned long long)(v->size - 1), (unsigned long long)v->prev_id);
    audit_node_set_t computed;
    audit_node_set_init(&computed);
    check_tree(v, &computed);
    check_heads(v, &computed);
    audit_node_set_free(&computed);
    if (v->problem_count > 0)
        qsort(v->problems, v->problem_count, sizeof *v->problems, by_position);
    for (size_t i = 0; i < v->problem_count && i < REPORTED; i++)
        fprintf(out, "%s%s\n", i == 0 ? "FIRST: " : "also: ", v->problems[i].text);
    if (v->problems_total > REPORTED)
        fprintf(out, "... %zu problems in all\n", v->problems_total);
    return (int)(v->problems_total > 0 ? (v->problems_total > 1000000 ? 1000000 : v->problems_total) : 0);
}
