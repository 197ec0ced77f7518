/*
 * auth/signed_document.h — documents cong vouches for (electronic results, receipts) and the keys that sign them.
 *
 * Documents have keys of their own, never the access-token keys, and a type of their own: a JWS compact serialisation
 * with the header {"alg":"ES256","typ":"cong-document+jwt","kid":<document key id>} over the caller's JSON object
 * (re-serialised compactly). Access-token verification accepts only "typ" JWT or at+jwt and only the token keys, and
 * document verification only this "typ" and only document keys: a document is never an access token, nor the reverse.
 *
 * The keyring is every document key cong has ever signed with (public parts, by kid): a result signed years ago still
 * verifies after any number of rotations. It is built from a JWKS text (where the history is kept — PostgreSQL — is
 * the gateway's business: gateway/host/document_keys.c), is immutable and reference-counted with an atomic count, so a
 * newer ring can be swapped in while workers verify with the old one. Every key is P-256 (ES256). A key's ES256 table
 * (~150 KB, ~20 ms) is built on its first verification, or earlier with cong_jwt_key_prepare: the history only grows,
 * and most of its keys verify nothing most days.
 *
 * Unlike an access token, a document has no audience and no expiry to check here: it says "cong issued this object";
 * what the object means (a dossier's result and its SHA-256) is the caller's business.
 */
#ifndef CONG_AUTH_SIGNED_DOCUMENT_H
#define CONG_AUTH_SIGNED_DOCUMENT_H

#include <stddef.h>

#include "identity.h"

#define CONG_DOCUMENT_TYP "cong-document+jwt"
#define CONG_DOCUMENT_MAX_BYTES 16384     /* largest document verified */
#define CONG_DOCUMENT_RING_MAX_KEYS 4096  /* largest history accepted (a rotation a week for 78 years) */

/** The current document key: a P-256 private key and its kid (cong_jwt_key_id). Owned by whoever loaded it. */
typedef struct cong_document_signer {
    cong_jwt_key_t *key;
    char kid[CONG_KID_LEN + 1];
} cong_document_signer_t;

typedef struct cong_document_ring cong_document_ring_t;

/** Loads the document key from a PEM file (an unencrypted P-256 private key) and computes its kid. 0, CONG_EIO
 *  (cannot read), CONG_EINVAL (not a P-256 private key). */
int cong_document_signer_load(const char *path, cong_document_signer_t *out);
/** A new P-256 key, known to this process only (the development fallback). 0 or CONG_EIO. */
int cong_document_signer_generate(cong_document_signer_t *out);
void cong_document_signer_free(cong_document_signer_t *signer);

/** Signs the JSON object `payload_json` as a document (header above). *out: malloc'd, NUL-terminated, caller frees.
 *  0, CONG_ENOTFOUND (no signer or no key), CONG_EINVAL (not a JSON object, duplicate members), CONG_ENOMEM,
 *  CONG_EIO. */
int cong_document_sign(const cong_document_signer_t *signer, const char *payload_json, char **out);

/** Verifies a document against the ring: at most CONG_DOCUMENT_MAX_BYTES, three strict base64url parts, a header with
 *  exactly alg ES256 and typ CONG_DOCUMENT_TYP, no "crit", and a kid in the ring whose key made the signature. 0 with
 *  the decoded payload in *payload (malloc'd, NUL-terminated, caller frees) and its length; CONG_EINVAL when it does
 *  not verify or is malformed; CONG_ENOTFOUND when `ring` is NULL. */
int cong_document_verify(const cong_document_ring_t *ring, const char *jws, size_t len, char **payload,
                         size_t *payload_len);

/** The kid a document's header names (well formed or not, whether it verifies or not), NUL-terminated in `kid`: so
 *  that a caller can tell a key it does not know yet from a bad signature. 0, or CONG_EINVAL (no readable kid). */
int cong_document_kid(const char *jws, size_t len, char kid[CONG_JWK_KID_MAX + 1]);

/** Builds a ring from a JWKS text {"keys":[...]}: each key an EC P-256 public JWK with a well-formed, unique "kid"
 *  (alg absent or ES256, use absent or sig, no private member). A key that is not usable is skipped and counted
 *  (cong_document_ring_skipped), so one damaged history row does not stop the others from verifying. *out holds one
 *  reference. 0, CONG_EPARSE (not a JWKS), CONG_EEXIST (a kid twice), CONG_ETOOBIG, CONG_ENOMEM. An empty ring is
 *  allowed (nothing verifies). */
int cong_document_ring_parse(const char *jwks, size_t len, cong_document_ring_t **out);
/** The same, plus the signer's public key under its kid when the text lacks it (a key not recorded anywhere: the
 *  development fallback). */
int cong_document_ring_parse_with(const char *jwks, size_t len, const cong_document_signer_t *extra,
                                  cong_document_ring_t **out);
cong_document_ring_t *cong_document_ring_retain(cong_document_ring_t *ring);
void cong_document_ring_release(cong_document_ring_t *ring);
size_t cong_document_ring_count(const cong_document_ring_t *ring);
size_t cong_document_ring_skipped(const cong_document_ring_t *ring);
/** The key with this kid, or NULL. Borrowed while a reference to the ring is held. */
const cong_jwt_key_t *cong_document_ring_find(const cong_document_ring_t *ring, const char *kid, size_t kid_len);
/** The ring as published (JWKS: every key with kid, "use":"sig", "alg":"ES256"), NUL-terminated, in the ring. */
const char *cong_document_ring_json(const cong_document_ring_t *ring, size_t *len);

/** The public JWK of the signer's key with its kid, "use" and "alg" (one JSON object, malloc'd: caller frees), as
 *  recorded in the history. 0, CONG_EINVAL, CONG_ENOMEM. */
int cong_document_public_jwk(const cong_document_signer_t *signer, char **out);

#endif
