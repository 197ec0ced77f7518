/* The canonical leaf of an audit record (format in leaf.h). */
#include "leaf.h"

#include <stdlib.h>
#include <string.h>

static uint8_t *put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--)
        *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

uint8_t *audit_leaf_encode(const audit_record_t *r, size_t *len)
{
    size_t n = 1 + 8 + 8;
    for (int i = 0; i < AUDIT_LEAF_FIELDS; i++)
        n += 1 + (r->fields[i] != NULL ? 4 + strlen(r->fields[i]) : 0);
    uint8_t *buf = malloc(n), *p = buf;
    if (buf == NULL)
        return NULL;
    *p++ = 0x01;
    p = put_u64(p, r->leaf_index);
    p = put_u64(p, r->id);
    for (int i = 0; i < AUDIT_LEAF_FIELDS; i++) {
        if (r->fields[i] == NULL) {
            *p++ = 0x00;
            continue;
        }
        size_t flen = strlen(r->fields[i]);
        *p++ = 0x01;
        for (int b = 3; b >= 0; b--)
            *p++ = (uint8_t)(flen >> (8 * b));
        memcpy(p, r->fields[i], flen);
        p += flen;
    }
    *len = n;
    return buf;
}

int audit_record_hash(const audit_record_t *r, uint8_t out[AUDIT_HASH_SIZE])
{
    size_t len;
    uint8_t *leaf = audit_leaf_encode(r, &len);
    if (leaf == NULL)
        return -1;
    audit_leaf_hash(leaf, len, out);
    free(leaf);
    return 0;
}
