/*
 * auth/jwks_fetch.h — reading a JWKS document's bytes from a file or an http(s) URI (auth/jwks_source.c only).
 */
#ifndef CONG_AUTH_JWKS_FETCH_H
#define CONG_AUTH_JWKS_FETCH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cong_jwks_fetch_opts {
    int64_t timeout_ms;        /* connect and total, for HTTP */
    const char *ca_file;       /* NULL = system CAs */
    const atomic_int *cancel;  /* when it becomes nonzero, a transfer under way is aborted; may be NULL */
    char *error;               /* a short reason on failure, safe to log (no URL); may be NULL */
    size_t error_cap;
} cong_jwks_fetch_opts_t;

/* 1 for an http:// or https:// location (scheme in any case), else 0. */
int cong_jwks_location_is_http(const char *location);

/* Reads the whole document (at most CONG_JWKS_MAX_BYTES) into a malloc'd buffer (caller frees; not NUL-terminated).
 * A location that is not http(s) is a file path, with an optional "file://" prefix. HTTP wants status 200.
 * Returns 0, CONG_EIO (unreachable, timeout, TLS failure, other status, unreadable file), CONG_ETOOBIG, CONG_ENOMEM,
 * CONG_EINVAL. */
int cong_jwks_fetch(const char *location, const cong_jwks_fetch_opts_t *opts, char **body, size_t *len);

/* Initialises libcurl once per process (thread-safe); returns 0 or CONG_EIO. */
int cong_jwks_fetch_global_init(void);

#endif
