/*
 * modules/audit/merkle.h — the Merkle tree math of RFC 9162 §2.1 (Certificate Transparency v2), with no store and no
 * API table: leaf and node hashes, the tree hash MTH of a range, inclusion and consistency proofs and their
 * verification.
 *
 * Hashes of interior nodes come from a node source: the hash of the PERFECT subtree at (level, index), which covers
 * the leaves [index << level, (index + 1) << level) (level 0: the leaf hashes). Any range the RFC's recursion visits
 * is a perfect aligned subtree or splits into them, so a proof needs O(log n) such nodes and never the leaves. The
 * sealer stores exactly these nodes (audit_nodes); the handlers ask PostgreSQL for the few a proof needs in one query
 * by running the proof once with a recording source (audit_node_set_t, which answers zeros and notes the keys),
 * fetching those, then running it again.
 */
#ifndef CONG_MODULES_AUDIT_MERKLE_H
#define CONG_MODULES_AUDIT_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_HASH_SIZE 32
/** Longest proof: one hash per level of a tree of at most 2^63 leaves. */
#define AUDIT_MAX_PROOF 64

/** The hash of the perfect subtree at (level, index) into out; 0, or -1 when it is not known. */
typedef int (*audit_node_get_fn)(void *ctx, int level, uint64_t index, uint8_t out[AUDIT_HASH_SIZE]);

typedef struct audit_nodes {
    audit_node_get_fn get;
    void *ctx;
} audit_nodes_t;

/** SHA-256(0x00 || leaf). */
void audit_leaf_hash(const uint8_t *leaf, size_t len, uint8_t out[AUDIT_HASH_SIZE]);
/** SHA-256(0x01 || left || right). */
void audit_node_hash(const uint8_t left[AUDIT_HASH_SIZE], const uint8_t right[AUDIT_HASH_SIZE],
                     uint8_t out[AUDIT_HASH_SIZE]);
/** The largest power of two below n (n >= 2): the RFC's split point k. */
uint64_t audit_split(uint64_t n);

/** MTH(D[begin:end]) (end > begin); 0 or -1 when the source lacks a node. */
int audit_range_hash(const audit_nodes_t *src, uint64_t begin, uint64_t end, uint8_t out[AUDIT_HASH_SIZE]);
/** MTH(D[0:n]); n 0 gives SHA-256 of nothing. */
int audit_root(const audit_nodes_t *src, uint64_t n, uint8_t out[AUDIT_HASH_SIZE]);

/** PATH(m, D[0:n]) (RFC 9162 §2.1.3.1) into path (AUDIT_MAX_PROOF entries), its length in *len; -1 when m >= n or
 *  a node is missing. */
int audit_inclusion_proof(const audit_nodes_t *src, uint64_t m, uint64_t n, uint8_t path[][AUDIT_HASH_SIZE],
                          size_t *len);
/** PROOF(m, D[0:n]) (RFC 9162 §2.1.4.1); empty when m == n or m == 0. -1 when m > n or a node is missing. */
int audit_consistency_proof(const audit_nodes_t *src, uint64_t m, uint64_t n, uint8_t path[][AUDIT_HASH_SIZE],
                            size_t *len);

/** RFC 9162 §2.1.3.2: 1 when `path` proves leaf `leaf_hash` at index m in the tree of size n with root `root`. */
int audit_verify_inclusion(const uint8_t leaf_hash[AUDIT_HASH_SIZE], uint64_t m, uint64_t n,
                           const uint8_t path[][AUDIT_HASH_SIZE], size_t len, const uint8_t root[AUDIT_HASH_SIZE]);
/** RFC 9162 §2.1.4.2: 1 when `path` proves the tree of size m (root1) is a prefix of the one of size n (root2). The
 *  degenerate cases: m == n needs an empty proof and equal roots; m == 0 an empty proof. */
int audit_verify_consistency(uint64_t m, uint64_t n, const uint8_t root1[AUDIT_HASH_SIZE],
                             const uint8_t root2[AUDIT_HASH_SIZE], const uint8_t path[][AUDIT_HASH_SIZE], size_t len);

/* ---- a set of nodes in memory (open addressing on (level, index)) ---- */

typedef struct audit_node_entry {
    uint64_t key; /* level << 56 | index, +1 so that 0 marks a free slot */
    uint8_t hash[AUDIT_HASH_SIZE];
} audit_node_entry_t;

typedef struct audit_node_set {
    audit_node_entry_t *slots;
    size_t cap, count;
    /* Recording: a lookup of an absent node answers zeros and adds the key to `missing` (the fetch list). */
    int recording;
    uint64_t *missing;
    size_t missing_count, missing_cap;
} audit_node_set_t;

void audit_node_set_init(audit_node_set_t *s);
void audit_node_set_free(audit_node_set_t *s);
/** Adds or replaces; 0 or -1 (memory). */
int audit_node_set_put(audit_node_set_t *s, int level, uint64_t index, const uint8_t hash[AUDIT_HASH_SIZE]);
/** A node source over the set (its get answers from the set, recording what it lacks when `recording`). */
audit_nodes_t audit_node_set_source(audit_node_set_t *s);
/** The level and index of missing entry i. */
void audit_node_key_split(uint64_t key, int *level, uint64_t *index);

#endif
