/*
 * push/webhook/base64.h — standard base64 with '=' padding (RFC 4648 §4), as Standard Webhooks serializes secrets and
 * signatures; auth/'s helpers are base64url without padding, another alphabet. Internal to push/webhook/.
 *
 * Decoding is strict: only the canonical encoding of some bytes is accepted (length a multiple of 4, the alphabet,
 * padding only at the end, unused bits zero), so one signature or secret has exactly one spelling. Pure functions,
 * any thread.
 */
#ifndef CONG_PUSH_WEBHOOK_BASE64_H
#define CONG_PUSH_WEBHOOK_BASE64_H

#include <stddef.h>

/** The encoded length of n bytes (padded), without the NUL. */
size_t webhook_b64_encoded_len(size_t n);
/** Encodes n bytes into out (webhook_b64_encoded_len(n) + 1 bytes), NUL-terminated; returns the length written. */
size_t webhook_b64_encode(const unsigned char *in, size_t n, char *out);
#define WEBHOOK_B64_MAX_TEXT 1024 /* longest text decoded: secrets and MACs are far shorter */

/** Decodes the canonical encoding (len characters, at most WEBHOOK_B64_MAX_TEXT) into out (cap bytes). The decoded
 *  length, or -1: not canonical base64, too long, or more than cap bytes. */
long webhook_b64_decode(const char *in, size_t len, unsigned char *out, size_t cap);

#endif
