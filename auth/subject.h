/*
 * auth/subject.h — a citizen's pseudonymous subject: HMAC-SHA256(server secret, "vneid:" + citizen number), base64url
 * (43 characters). Stable for one citizen and one secret; the citizen number cannot be recovered from it. It is the
 * "sub" of a citizen's cong tokens, so a citizen number never reaches a token, a log line, a metric or Redis.
 *
 * The gateway derives it when it verifies a VNeID ID token for a module (gateway/host/idp_verify.c), and the admin commands
 * that name a citizen by number use it too.
 */
#ifndef CONG_AUTH_SUBJECT_H
#define CONG_AUTH_SUBJECT_H

#include <stddef.h>

#define CONG_SUBJECT_LEN 43 /* base64url of 32 bytes */

/** The pseudonymous subject of a citizen: out must hold CONG_SUBJECT_LEN + 1 bytes. Returns 0, CONG_EINVAL (empty
 *  secret or citizen number, or a number too long) or CONG_EIO. Constant work for a given length. */
int cong_subject_from_citizen(const unsigned char *secret, size_t secret_len, const char *citizen_number, char *out);

#endif
