/*
 * modules/audit/b64.h — base64 (RFC 4648 §4, padded: the tree head's hashes and signature, as CT's JSON API writes
 * them) and base64url without padding (§5: key ids and JWK coordinates), over OpenSSL. Hex for the SQL side.
 */
#ifndef CONG_MODULES_AUDIT_B64_H
#define CONG_MODULES_AUDIT_B64_H

#include <stddef.h>
#include <stdint.h>

/** Room for n bytes in base64, NUL included. */
#define AUDIT_B64_ROOM(n) (((n) + 2) / 3 * 4 + 1)

/** Encodes n bytes as padded base64 (url = 0) or unpadded base64url (url = 1), NUL-terminated; the text's length. */
size_t audit_b64_encode(const uint8_t *in, size_t n, char *out, int url);
/** Lower-case hex of n bytes into out (2n + 1), NUL-terminated. */
void audit_hex_encode(const uint8_t *in, size_t n, char *out);
/** Decodes exactly 2n hex digits (an optional leading "\\x", PostgreSQL's bytea text) into n bytes; 0 or -1. */
int audit_hex_decode(const char *in, uint8_t *out, size_t n);

#endif
