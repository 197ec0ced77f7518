/*
 * modules/identity/refresh_retry.h — the answer to a refresh, kept for a client that retries it.
 *
 * A client whose refresh timed out may present the same (now rotated) refresh token again. For
 * auth.refresh_reuse_grace_s after the rotation it gets the very answer it lost — the same access and refresh token —
 * instead of being treated as a thief (session_scripts.h keeps the window). That answer holds live tokens, so
 * Redis only ever sees it sealed under the presented refresh token, which Redis does not know (it stores its hash):
 * AES-256-GCM with key = HMAC-SHA256(key = refresh token, "cong refresh retry v1"), a random 96-bit nonce, and the
 * session id as associated data. Text form: base64url(nonce || ciphertext || tag).
 *
 * Ownership: outputs are malloc'd, the caller frees (and should cleanse an opened answer).
 */
#ifndef CONG_MODULES_IDENTITY_REFRESH_RETRY_H
#define CONG_MODULES_IDENTITY_REFRESH_RETRY_H

#include <stddef.h>

#define CONG_REFRESH_RETRY_MAX 8192 /* largest answer sealed */

/** Seals `answer` (len ≤ CONG_REFRESH_RETRY_MAX) for the holder of `refresh_token`, bound to `sid`. *out is a
 *  NUL-terminated base64url text. 0, CONG_EINVAL (empty token, answer too large), CONG_ENOMEM, CONG_EIO. */
int cong_refresh_retry_seal(const char *refresh_token, const char *sid, const char *answer, size_t len, char **out);

/** Opens what cong_refresh_retry_seal made with the same token and sid. *answer is NUL-terminated, *len its length.
 *  0, CONG_EINVAL (another token or sid, tampered, not a sealed text), CONG_ENOMEM. */
int cong_refresh_retry_open(const char *refresh_token, const char *sid, const char *sealed, size_t sealed_len,
                            char **answer, size_t *len);

#endif
