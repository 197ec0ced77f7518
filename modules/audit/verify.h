/*
 * modules/audit/verify.h — the checks of `cong audit verify`, without PostgreSQL (verify_command.c reads the rows and
 * feeds them here; the unit tests feed made-up logs). Problems are kept with the leaf position they concern and
 * printed first-position first.
 */
#ifndef CONG_MODULES_AUDIT_VERIFY_H
#define CONG_MODULES_AUDIT_VERIFY_H

#include <stdint.h>
#include <stdio.h>

#include "leaf.h"
#include "merkle.h"
#include "signer.h"

#define AUDIT_VERIFY_MAX_PROBLEMS 1000

typedef struct audit_verify_head {
    uint64_t size, timestamp_ms;
    uint8_t root[AUDIT_HASH_SIZE], signature[AUDIT_SIGNATURE_SIZE];
    char kid[AUDIT_KID_SIZE];
    int malformed;
} audit_verify_head_t;

typedef struct audit_verify_key {
    char kid[AUDIT_KID_SIZE];
    audit_signer_t key;
    int usable; /* the SPKI parsed as a P-256 key whose id is kid */
} audit_verify_key_t;

typedef struct audit_problem {
    uint64_t position; /* the first leaf it concerns */
    size_t seq;        /* order found, for equal positions */
    char text[320];
} audit_problem_t;

typedef struct audit_verify {
    audit_node_set_t stored;   /* audit_nodes as stored */
    audit_verify_head_t *heads; /* by size */
    size_t head_count;
    audit_verify_key_t *keys;
    size_t key_count;
    uint64_t size;             /* the latest head's size: the leaves 0 .. size-1 must all be there */
    uint64_t expected;         /* the next leaf index the record stream should give */
    uint64_t prev_id;          /* the id of the record at the previous leaf index (0: none) */
    audit_problem_t *problems;
    size_t problem_count;
    size_t problems_total;     /* also those not kept */
} audit_verify_t;

void audit_verify_init(audit_verify_t *v);
void audit_verify_free(audit_verify_t *v);
/** A key row (key_id, SPKI as hex). */
void audit_verify_add_key(audit_verify_t *v, const char *kid, const char *spki_hex);
/** A head row, in increasing size (root and signature as hex). 0 or -1 (memory). */
int audit_verify_add_head(audit_verify_t *v, uint64_t size, const char *root_hex, uint64_t timestamp_ms,
                          const char *kid, const char *signature_hex);
/** One sealed record, in increasing leaf index, with its leaf_hash column as hex (NULL when NULL). Call after the
 *  heads and the stored nodes are in. */
void audit_verify_record(audit_verify_t *v, const audit_record_t *r, const char *leaf_hash_hex);
/** The tree and head checks, then the report on `out`: the number of problems (0: intact). */
int audit_verify_finish(audit_verify_t *v, FILE *out);

#endif
