/*
 * tools/standin_common/standin_auth.h — the stand-ins' secrets: reading a token or secret from a file (never argv),
 * and checking "Authorization: Bearer <token>" (the control endpoints' token, portal-standin's API token).
 *
 * Contract: no state, callable from any thread (the stand-ins call it from main and from the loop thread). The
 * comparison is constant-time over SHA-256s of both sides, so neither the bytes nor the length of the expected
 * token leak through timing. Nothing here logs; a secret read is wiped from the stack buffer it passed through.
 */
#ifndef STANDIN_AUTH_H
#define STANDIN_AUTH_H

#include <h2o.h>
#include <stddef.h>

/** The longest secret line standin_read_secret_line accepts (every stand-in's token limit). */
#define STANDIN_SECRET_LINE_MAX 512

/** The file's first line without its line end and trailing spaces/tabs, 1 to max bytes (max at most
 *  STANDIN_SECRET_LINE_MAX), copied NUL-terminated into out (max + 1 bytes). Its length, or -1 (unreadable, empty,
 *  too long, or max out of range) with out untouched. */
long standin_read_secret_line(const char *path, char *out, size_t max);

/** Whether the request carries "authorization: Bearer <token>" (the scheme's case ignored). */
int standin_bearer_is(const h2o_req_t *req, const char *token);
/** The control endpoints' check: 1 when control_token is "" (no token configured), else standin_bearer_is. */
int standin_control_authorized(const h2o_req_t *req, const char *control_token);

#endif
