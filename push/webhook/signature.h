/*
 * push/webhook/signature.h — Standard Webhooks signatures (https://www.standardwebhooks.com, spec/standard-webhooks.md
 * of github.com/standard-webhooks/standard-webhooks, "Signature scheme", "Webhook headers", "Verifying signatures"):
 * the symmetric scheme only (HMAC-SHA256, signature identifier "v1", secrets serialized as "whsec_" + base64).
 *
 * push/webhook/ is the delivery side of cong's webhooks (issue 18): like push/delivery/ it runs outside the gateway,
 * in the webhook delivery worker (push/webhook_worker/, cong-webhook-worker), and in the stand-in receiver
 * (tools/webhook_standin) that checks them. This header is the folder's contract; the folder also holds seal.h (an
 * endpoint's secret as stored, opened) and schedule.h (when a failed delivery is tried again).
 *
 * What is signed: the bytes `id "." timestamp "." body`, the timestamp as its decimal text in the webhook-timestamp
 * header. Headers sent with each delivery:
 *   webhook-id         the delivery's stable id (the receiver's idempotency key): 1..WEBHOOK_ID_MAX visible ASCII
 *                      characters other than '.' (the spec: the id must not contain the delimiter) and ','.
 *   webhook-timestamp  the attempt's time, integer seconds since the epoch (a retry is re-signed with a new one).
 *   webhook-signature  space-separated "v1,<base64 of the 32-byte HMAC>" entries: one per secret in use, two during a
 *                      rotation (the new and the old secret), so a receiver holding either verifies.
 *
 * Verification (webhook_verify), in this order, each failure its own reason:
 *   a header absent → MISSING_ID / MISSING_TIMESTAMP / MISSING_SIGNATURE; an id outside the rule above → BAD_ID;
 *   a timestamp not 1..WEBHOOK_TIMESTAMP_MAX_DIGITS ASCII digits → BAD_TIMESTAMP; a signature header that is not
 *   space-separated "version,value" entries (at most WEBHOOK_MAX_SIGNATURES, visible ASCII), or a "v1" value that is
 *   not canonical padded base64 of 32 bytes → MALFORMED_SIGNATURE; other versions ("v1a": ed25519) are skipped, as
 *   the spec lets a sender add them, and none "v1" → NO_V1_SIGNATURE; a timestamp more than `tolerance_s` before
 *   `now_s` → TOO_OLD, after it → TOO_NEW (the spec's replay protection; WEBHOOK_TOLERANCE_S is the libraries'
 *   default); no v1 entry equal to the HMAC under any of the receiver's secrets → NO_MATCHING_SIGNATURE. Comparisons
 *   of MACs are constant-time (CRYPTO_memcmp). The timestamp is checked before the MAC, as the spec's libraries do.
 *
 * Ownership: every function reads its inputs and writes only to what the caller passes; nothing is kept. A
 * webhook_secret_t holds key bytes: the owner wipes it (webhook_secret_wipe) when done, and never logs it.
 * Threading: every function may be called from any number of threads at once (the HMAC algorithm is fetched once
 * under pthread_once; each call has its own MAC context).
 */
#ifndef CONG_PUSH_WEBHOOK_SIGNATURE_H
#define CONG_PUSH_WEBHOOK_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#define WEBHOOK_SECRET_PREFIX "whsec_"
#define WEBHOOK_SECRET_MIN_BYTES 24      /* the spec: at least 24 bytes (192 bits) */
#define WEBHOOK_SECRET_MAX_BYTES 64      /* the spec: 512 bits at most */
#define WEBHOOK_SECRET_GENERATED_BYTES 32
/* "whsec_" + base64 of 32 bytes (44 characters), without the NUL */
#define WEBHOOK_SECRET_TEXT_LEN (sizeof WEBHOOK_SECRET_PREFIX - 1 + 44)
#define WEBHOOK_MAC_BYTES 32
#define WEBHOOK_SIGNATURE_LEN (3 + 44)   /* "v1," + base64 of 32 bytes, without the NUL */
#define WEBHOOK_ID_MAX 256
#define WEBHOOK_TIMESTAMP_MAX_DIGITS 15
#define WEBHOOK_MAX_SIGNATURES 16        /* entries in one webhook-signature header, any version */
#define WEBHOOK_SIGNATURE_HEADER_MAX 4096
#define WEBHOOK_TOLERANCE_S 300          /* 5 minutes either way */

typedef struct webhook_secret {
    unsigned char key[WEBHOOK_SECRET_MAX_BYTES];
    size_t len;
} webhook_secret_t;

typedef enum webhook_verdict {
    WEBHOOK_OK = 0,
    WEBHOOK_MISSING_ID,
    WEBHOOK_MISSING_TIMESTAMP,
    WEBHOOK_MISSING_SIGNATURE,
    WEBHOOK_BAD_ID,
    WEBHOOK_BAD_TIMESTAMP,
    WEBHOOK_MALFORMED_SIGNATURE,
    WEBHOOK_NO_V1_SIGNATURE,
    WEBHOOK_TOO_OLD,
    WEBHOOK_TOO_NEW,
    WEBHOOK_NO_MATCHING_SIGNATURE,
    WEBHOOK_NO_SECRET,     /* the receiver passed no secret */
    WEBHOOK_CRYPTO_FAILED, /* OpenSSL failed (out of memory): nothing was decided */
    WEBHOOK_VERDICT_COUNT
} webhook_verdict_t;

/** A verdict's stable name ("ok", "missing_id", "too_old", "no_matching_signature"...): what receivers record. */
const char *webhook_verdict_name(webhook_verdict_t verdict);

/** Reads "whsec_<base64>" (len bytes; canonical padded base64 of WEBHOOK_SECRET_MIN_BYTES..MAX_BYTES bytes) into
 *  *out. 0, or -1 (*out wiped) on anything else. */
int webhook_secret_parse(const char *text, size_t len, webhook_secret_t *out);
/** A new secret, "whsec_" + base64 of WEBHOOK_SECRET_GENERATED_BYTES bytes from OpenSSL's CSPRNG, into out
 *  (WEBHOOK_SECRET_TEXT_LEN + 1 bytes, NUL-terminated). 0, or -1 when the CSPRNG failed (out is then ""). */
int webhook_secret_generate(char out[WEBHOOK_SECRET_TEXT_LEN + 1]);
void webhook_secret_wipe(webhook_secret_t *secret);

/** 1 if id (len bytes) is a valid webhook-id (the rule above), else 0. */
int webhook_id_valid(const char *id, size_t len);

/** The MAC over `id "." timestamp "." body` (timestamp printed in decimal). 0, or -1 (bad id, negative timestamp,
 *  OpenSSL failure). */
int webhook_mac(const char *id, size_t id_len, int64_t timestamp, const void *body, size_t body_len,
                const webhook_secret_t *secret, unsigned char mac[WEBHOOK_MAC_BYTES]);

/** The webhook-signature header value for one or more secrets ("v1,<b64>" entries joined by one space, in the order
 *  given: the current secret first during a rotation) into out (cap bytes; n_secrets * (WEBHOOK_SIGNATURE_LEN + 1)
 *  suffice), NUL-terminated. Its length, or -1 (bad id, negative timestamp, no secret, cap too small, OpenSSL). */
long webhook_sign(const char *id, size_t id_len, int64_t timestamp, const void *body, size_t body_len,
                  const webhook_secret_t *secrets, size_t n_secrets, char *out, size_t cap);

/* A parsed webhook-signature header: the v1 MACs it carries, and how many entries of other versions were skipped. */
typedef struct webhook_signatures {
    unsigned char v1[WEBHOOK_MAX_SIGNATURES][WEBHOOK_MAC_BYTES];
    size_t n_v1, n_other;
} webhook_signatures_t;

/** Parses a webhook-signature header value (len bytes; spaces before, after and between entries, one or several).
 *  WEBHOOK_OK (n_v1 >= 1), WEBHOOK_NO_V1_SIGNATURE (well formed, entries of other versions only), or
 *  WEBHOOK_MALFORMED_SIGNATURE (empty or all spaces, longer than WEBHOOK_SIGNATURE_HEADER_MAX, a byte outside
 *  0x21..0x7e other than space, an entry without ',' or with an empty version or value, more than
 *  WEBHOOK_MAX_SIGNATURES entries, a v1 value that is not canonical padded base64 of 32 bytes). *out is complete
 *  only with WEBHOOK_OK. */
webhook_verdict_t webhook_parse_signatures(const char *value, size_t len, webhook_signatures_t *out);

/* The three headers as received; base NULL: absent. Not NUL-terminated. */
typedef struct webhook_header {
    const char *base;
    size_t len;
} webhook_header_t;

typedef struct webhook_headers {
    webhook_header_t id, timestamp, signature;
} webhook_headers_t;

/** Verifies a delivery (the order and reasons above) against the receiver's secrets (n_secrets, any of which may
 *  match: a rotation), at now_s with tolerance_s seconds either way. When the timestamp parsed, *timestamp_out (may
 *  be NULL) gets it. */
webhook_verdict_t webhook_verify(const webhook_headers_t *headers, const void *body, size_t body_len,
                                 const webhook_secret_t *secrets, size_t n_secrets, int64_t now_s, int64_t tolerance_s,
                                 int64_t *timestamp_out);

#endif
