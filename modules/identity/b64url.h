/*
 * modules/identity/b64url.h — base64url without padding (RFC 4648 §5), the text form of this module's random tokens
 * and sealed answers, over OpenSSL's base64 (the module links OpenSSL; it cannot use the gateway's own helpers).
 */
#ifndef CONG_MODULES_IDENTITY_B64URL_H
#define CONG_MODULES_IDENTITY_B64URL_H

#include <stddef.h>

/** Room enough in `out` for n bytes encoded, NUL included (the text is exactly ceil(4n / 3) characters). */
#define CONG_IDM_B64URL_ROOM(n) (((n) + 2) / 3 * 4 + 1)

/** Encodes n bytes into `out` (ceil(4n / 3) + 1 bytes), NUL-terminated; returns the length of the text. */
size_t cong_idm_b64url_encode(const unsigned char *in, size_t n, char *out);
/** Decodes `len` characters into `out` (len / 4 * 3 + 3 bytes). Returns the decoded length, or -1 for a character
 *  outside the alphabet, padding, a length of 4k+1, or no memory. */
long cong_idm_b64url_decode(const char *in, size_t len, unsigned char *out);

#endif
