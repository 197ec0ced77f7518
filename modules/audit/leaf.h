/*
 * modules/audit/leaf.h — the canonical bytes of an audit record, the leaf the Merkle tree hashes (RFC 9162: leaf hash
 * = SHA-256(0x00 || leaf)). Version 1, documented in the README ("The audit log"):
 *
 *   leaf   = 0x01 (version) || u64be(leaf_index) || u64be(id) || field(at) || field(actor) || field(actor_kind)
 *            || field(subject) || field(action) || field(object) || field(mandate_id) || field(request_id)
 *            || field(instance) || field(module) || field(detail)
 *   field  = 0x00 for SQL NULL | 0x01 || u32be(byte length) || the UTF-8 text
 *
 * with the texts exactly as AUDIT_RECORD_COLUMNS selects them: `at` in UTC with microseconds
 * (2026-12-06T09:41:40.123456Z), mandate_id in PostgreSQL's lower-case UUID form, detail as jsonb's text (jsonb
 * stores keys sorted and deduplicated, so the text of a value is one string). Every column is in it, and the position:
 * an edited column, a moved record (another leaf index) or two swapped records change the leaf hash.
 */
#ifndef CONG_MODULES_AUDIT_LEAF_H
#define CONG_MODULES_AUDIT_LEAF_H

#include <stddef.h>
#include <stdint.h>

#include "merkle.h"

#define AUDIT_LEAF_FIELDS 11

/** The columns a leaf is made of, in leaf order after id; a statement selecting them gives column 0 = id. */
#define AUDIT_RECORD_COLUMNS                                                                                          \
    "id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), actor, actor_kind, subject, action, "   \
    "object, mandate_id::text, request_id, instance, module, detail::text"

typedef struct audit_record {
    uint64_t leaf_index;
    uint64_t id;
    const char *fields[AUDIT_LEAF_FIELDS]; /* NULL: SQL NULL */
} audit_record_t;

/** The leaf bytes in a malloc'd buffer (*len set), or NULL when memory ran out. */
uint8_t *audit_leaf_encode(const audit_record_t *r, size_t *len);
/** SHA-256(0x00 || leaf); -1 when memory ran out. */
int audit_record_hash(const audit_record_t *r, uint8_t out[AUDIT_HASH_SIZE]);

#endif
