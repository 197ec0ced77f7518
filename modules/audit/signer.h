/*
 * modules/audit/signer.h — the audit key: an ES256 (ECDSA P-256, SHA-256) key of the audit module's own
 * (modules.audit.signing_key_file), never cong's token or document key. Its key id is base64url(SHA-256(SPKI DER)).
 *
 * What a tree head's signature covers (72 bytes, documented in the README):
 *
 *   "cong-audit-tree-head-v1" || 0x00 || u64be(tree_size) || u64be(timestamp, ms since the epoch) || root_hash (32)
 *
 * signed as JWS's ES256 does (RFC 7518 §3.4): the signature is r || s, 32 bytes each, big-endian.
 */
#ifndef CONG_MODULES_AUDIT_SIGNER_H
#define CONG_MODULES_AUDIT_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "merkle.h"

#define AUDIT_HEAD_MESSAGE_SIZE (24 + 8 + 8 + AUDIT_HASH_SIZE)
#define AUDIT_SIGNATURE_SIZE 64
#define AUDIT_KID_SIZE 44 /* 43 base64url characters + NUL */

typedef struct audit_signer {
    void *pkey;                 /* EVP_PKEY: the private key (signer) or the public key (verifier) */
    char kid[AUDIT_KID_SIZE];
    char jwk[256];              /* the public JWK (kty, crv, x, y, kid, alg, use), compact JSON */
    uint8_t spki[128];          /* the public key, SubjectPublicKeyInfo DER */
    size_t spki_len;
} audit_signer_t;

/** Loads a PEM private key, which must be EC P-256. 0, or -1 (unreadable, another type or curve). */
int audit_signer_load(const char *path, audit_signer_t *s);
/** A verifier from a public key's SPKI DER (P-256 only). 0 or -1. */
int audit_signer_from_spki(const uint8_t *der, size_t len, audit_signer_t *s);
void audit_signer_free(audit_signer_t *s);

/** The bytes a head's signature covers. */
void audit_head_message(uint64_t tree_size, uint64_t timestamp_ms, const uint8_t root[AUDIT_HASH_SIZE],
                        uint8_t out[AUDIT_HEAD_MESSAGE_SIZE]);
/** Signs the head; 0 or -1. */
int audit_sign_head(const audit_signer_t *s, uint64_t tree_size, uint64_t timestamp_ms,
                    const uint8_t root[AUDIT_HASH_SIZE], uint8_t sig[AUDIT_SIGNATURE_SIZE]);
/** 1 when sig is s's signature of the head, else 0. */
int audit_verify_head(const audit_signer_t *s, uint64_t tree_size, uint64_t timestamp_ms,
                      const uint8_t root[AUDIT_HASH_SIZE], const uint8_t sig[AUDIT_SIGNATURE_SIZE]);

#endif
