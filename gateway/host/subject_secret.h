/*
 * gateway/subject_secret.h — the secret that makes subjects pseudonymous (auth.subject_secret_file), held once by the
 * host for the module ABI's citizen_subject (1.4): a module turns a citizen number into its subject without ever
 * reading the secret (`cong official add --citizen`, for one).
 *
 * Loaded on the main thread before workers start (a file read: never on a loop), read-only afterwards, wiped at exit.
 * The subject is HMAC-SHA256(secret, "vneid:" + number) (auth/session.h), the one a login gets.
 */
#ifndef CONG_GATEWAY_SUBJECT_SECRET_H
#define CONG_GATEWAY_SUBJECT_SECRET_H

#include <stddef.h>

/** Reads the secret at `path` (trailing newlines dropped, as auth/identity.c does). 0; CONG_ENOTFOUND when path is
 *  empty; CONG_EIO when it cannot be read; CONG_EINVAL when it holds fewer than 32 bytes (nothing is kept then). */
int cong_subject_secret_load(const char *path);
/** Wipes the secret. */
void cong_subject_secret_clear(void);

/* The member of the module ABI (1.4). */
int cong_api_citizen_subject(const char *citizen_number, char *out, size_t out_size);

#endif
