/* RFC 9162 §2.1 over a node source (contract in merkle.h). */
#include "merkle.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

void audit_leaf_hash(const uint8_t *leaf, size_t len, uint8_t out[AUDIT_HASH_SIZE])
{
    const uint8_t prefix = 0x00;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    /* SHA-256 of this size cannot fail but for memory; then the leaf hash is zeros and matches nothing */
    if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(c, &prefix, 1) != 1 ||
        EVP_DigestUpdate(c, leaf, len) != 1 || EVP_DigestFinal_ex(c, out, NULL) != 1)
        memset(out, 0, AUDIT_HASH_SIZE);
    EVP_MD_CTX_free(c);
}

void audit_node_hash(const uint8_t left[AUDIT_HASH_SIZE], const uint8_t right[AUDIT_HASH_SIZE],
                     uint8_t out[AUDIT_HASH_SIZE])
{
    uint8_t buf[1 + 2 * AUDIT_HASH_SIZE];
    buf[0] = 0x01;
    memcpy(buf + 1, left, AUDIT_HASH_SIZE);
    memcpy(buf + 1 + AUDIT_HASH_SIZE, right, AUDIT_HASH_SIZE);
    SHA256(buf, sizeof buf, out);
}

uint64_t audit_split(uint64_t n)
{
    uint64_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    return k;
}

static int log2_exact(uint64_t n)
{
    if (n == 0 || (n & (n - 1)) != 0)
        return -1;
    int level = 0;
    while ((n >> level) != 1)
        level++;
    return level;
}

int audit_range_hash(const audit_nodes_t *src, uint64_t begin, uint64_t end, uint8_t out[AUDIT_HASH_SIZE])
{
    uint64_t n = end - begin;
    int level = log2_exact(n);
    if (level >= 0 && begin % n == 0)
        return src->get(src->ctx, level, begin >> level, out);
    uint64_t k = audit_split(n);
    uint8_t left[AUDIT_HASH_SIZE], right[AUDIT_HASH_SIZE];
    if (audit_range_hash(src, begin, begin + k, left) != 0 || audit_range_hash(src, begin + k, end, right) != 0)
        return -1;
    audit_node_hash(left, right, out);
    return 0;
}

int audit_root(const audit_nodes_t *src, uint64_t n, uint8_t out[AUDIT_HASH_SIZE])
{
    if (n == 0) {
        SHA256((const uint8_t *)"", 0, out);
        return 0;
    }
    return audit_range_hash(src, 0, n, out);
}

/* PATH(m, D[begin:end]), appended to path (innermost first). */
static int path_of(const audit_nodes_t *src, uint64_t m, uint64_t begin, uint64_t end,
                   uint8_t path[][AUDIT_HASH_SIZE], size_t *len)
{
    uint64_t n = end - begin;
    if (n == 1)
        return 0;
    uint64_t k = audit_split(n);
    int rc = m < k ? path_of(src, m, begin, begin + k, path, len) : path_of(src, m - k, begin + k, end, path, len);
    if (rc != 0 || *len >= AUDIT_MAX_PROOF)
        return -1;
    rc = m < k ? audit_range_hash(src, begin + k, end, path[*len])
               : audit_range_hash(src, begin, begin + k, path[*len]);
    *len += rc == 0;
    return rc;
}

int audit_inclusion_proof(const audit_nodes_t *src, uint64_t m, uint64_t n, uint8_t path[][AUDIT_HASH_SIZE],
                          size_t *len)
{
    *len = 0;
    return m < n ? path_of(src, m, 0, n, path, len) : -1;
}

/* SUBPROOF(m, D[begin:end], b). */
static int subproof(const audit_nodes_t *src, uint64_t m, uint64_t begin, uint64_t end, int b,
                    uint8_t path[][AUDIT_HASH_SIZE], size_t *len)
{
    uint64_t n = end - begin;
    int rc;
    if (m == n) {
        if (b)
            return 0;
        if (*len >= AUDIT_MAX_PROOF)
            return -1;
        rc = audit_range_hash(src, begin, end, path[*len]);
        *len += rc == 0;
        return rc;
    }
    uint64_t k = audit_split(n);
    rc = m <= k ? subproof(src, m, begin, begin + k, b, path, len) : subproof(src, m - k, begin + k, end, 0, path, len);
    if (rc != 0 || *len >= AUDIT_MAX_PROOF)
        return -1;
    rc = m <= k ? audit_range_hash(src, begin + k, end, path[*len])
                : audit_range_hash(src, begin, begin + k, path[*len]);
    *len += rc == 0;
    return rc;
}

int audit_consistency_proof(const audit_nodes_t *src, uint64_t m, uint64_t n, uint8_t path[][AUDIT_HASH_SIZE],
                            size_t *len)
{
    *len = 0;
    if (m > n)
        return -1;
    if (m == 0 || m == n)
        return 0;
    return subproof(src, m, 0, n, 1, path, len);
}

int audit_verify_inclusion(const uint8_t leaf_hash[AUDIT_HASH_SIZE], uint64_t m, uint64_t n,
                           const uint8_t path[][AUDIT_HASH_SIZE], size_t len, const uint8_t root[AUDIT_HASH_SIZE])
{
    if (m >= n)
        return 0;
    uint64_t fn = m, sn = n - 1;
    uint8_t r[AUDIT_HASH_SIZE];
    memcpy(r, leaf_hash, AUDIT_HASH_SIZE);
    for (size_t i = 0; i < len; i++) {
        if (sn == 0)
            return 0;
        if ((fn & 1) || fn == sn) {
            audit_node_hash(path[i], r, r);
            if (!(fn & 1))
                while (!((fn & 1) || fn == 0)) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            audit_node_hash(r, path[i], r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && memcmp(r, root, AUDIT_HASH_SIZE) == 0;
}

int audit_verify_consistency(uint64_t m, uint64_t n, const uint8_t root1[AUDIT_HASH_SIZE],
                             const uint8_t root2[AUDIT_HASH_SIZE], const uint8_t path[][AUDIT_HASH_SIZE], size_t len)
{
    if (m > n)
        return 0;
    if (m == n)
        return len == 0 && memcmp(root1, root2, AUDIT_HASH_SIZE) == 0;
    if (m == 0)
        return len == 0;
    if (len == 0)
        return 0;
    size_t i = 0;
    uint8_t fr[AUDIT_HASH_SIZE], sr[AUDIT_HASH_SIZE];
    if ((m & (m - 1)) == 0) { /* m a power of two: the proof starts with the first root, left out */
        memcpy(fr, root1, AUDIT_HASH_SIZE);
    } else {
        memcpy(fr, path[0], AUDIT_HASH_SIZE);
        i = 1;
    }
    memcpy(sr, fr, AUDIT_HASH_SIZE);
    uint64_t fn = m - 1, sn = n - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    for (; i < len; i++) {
        if (sn == 0)
            return 0;
        if ((fn & 1) || fn == sn) {
            audit_node_hash(path[i], fr, fr);
            audit_node_hash(path[i], sr, sr);
            if (!(fn & 1))
                while (!((fn & 1) || fn == 0)) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            audit_node_hash(sr, path[i], sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && memcmp(fr, root1, AUDIT_HASH_SIZE) == 0 && memcmp(sr, root2, AUDIT_HASH_SIZE) == 0;
}

/* ---- the node set ---- */

static uint64_t key_of(int level, uint64_t index)
{
    return ((uint64_t)level << 56 | index) + 1;
}

void audit_node_key_split(uint64_t key, int *level, uint64_t *index)
{
    key -= 1;
    *level = (int)(key >> 56);
    *index = key & ((UINT64_C(1) << 56) - 1);
}

void audit_node_set_init(audit_node_set_t *s)
{
    memset(s, 0, sizeof *s);
}

void audit_node_set_free(audit_node_set_t *s)
{
    free(s->slots);
    free(s->missing);
    memset(s, 0, sizeof *s);
}

static size_t slot_of(const audit_node_set_t *s, uint64_t key)
{
    uint64_t h = key * UINT64_C(0x9E3779B97F4A7C15);
    size_t i = (size_t)(h >> 20) & (s->cap - 1);
    while (s->slots[i].key != 0 && s->slots[i].key != key)
        i = (i + 1) & (s->cap - 1);
    return i;
}

static int grow(audit_node_set_t *s)
{
    size_t cap = s->cap ? s->cap * 2 : 256;
    audit_node_entry_t *old = s->slots;
    size_t old_cap = s->cap;
    s->slots = calloc(cap, sizeof *s->slots);
    if (s->slots == NULL) {
        s->slots = old;
        return -1;
    }
    s->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key != 0)
            s->slots[slot_of(s, old[i].key)] = old[i];
    free(old);
    return 0;
}

int audit_node_set_put(audit_node_set_t *s, int level, uint64_t index, const uint8_t hash[AUDIT_HASH_SIZE])
{
    if ((s->count + 1) * 2 > s->cap && grow(s) != 0)
        return -1;
    uint64_t key = key_of(level, index);
    size_t i = slot_of(s, key);
    s->count += s->slots[i].key == 0;
    s->slots[i].key = key;
    memcpy(s->slots[i].hash, hash, AUDIT_HASH_SIZE);
    return 0;
}

static int set_get(void *ctx, int level, uint64_t index, uint8_t out[AUDIT_HASH_SIZE])
{
    audit_node_set_t *s = ctx;
    uint64_t key = key_of(level, index);
    if (s->cap > 0) {
        size_t i = slot_of(s, key);
        if (s->slots[i].key == key) {
            memcpy(out, s->slots[i].hash, AUDIT_HASH_SIZE);
            return 0;
        }
    }
    if (!s->recording)
        return -1;
    if (s->missing_count == s->missing_cap) {
        size_t cap = s->missing_cap ? s->missing_cap * 2 : 64;
        uint64_t *m = realloc(s->missing, cap * sizeof *m);
        if (m == NULL)
            return -1;
        s->missing = m;
        s->missing_cap = cap;
    }
    s->missing[s->missing_count++] = key;
    memset(out, 0, AUDIT_HASH_SIZE);
    return 0;
}

audit_nodes_t audit_node_set_source(audit_node_set_t *s)
{
    return (audit_nodes_t){.get = set_get, .ctx = s};
}
