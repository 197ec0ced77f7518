/*
 * auth/jwks_source.h — a JWKS that follows its provider: loaded from a file or an http(s) URI, refreshed in the
 * background, swapped atomically, and kept when the provider fails.
 *
 * One background thread per source fetches the document every refresh interval, or sooner when a worker asks
 * (cong_jwks_source_request_refresh, typically on CONG_JWT_UNKNOWN_KEY) — but never twice within the cooldown. A
 * fetched document that parses (cong_jwks_parse) replaces the current keyset; anything else (unreachable, timeout,
 * non-200, over 256 KB, garbage, no usable key) is logged as a warning and counted, and the last good keyset stays in
 * force; while failing, the source retries every cooldown. Readers never block on the network: current() takes a
 * mutex just long enough to retain the keyset pointer. A caller that met an unknown kid and may wait a little (the
 * exchange) learns from request_refresh when the fetch will start, and sees it finish when generation() moves.
 *
 * HTTP: libcurl, http and https only, no redirects, connect + total timeout ≤ 5 s, TLS peer and host verification on
 * (the system CAs, or ca_file). Nothing here logs a token; the location is not logged either (it may carry secrets).
 */
#ifndef CONG_AUTH_JWKS_SOURCE_H
#define CONG_AUTH_JWKS_SOURCE_H

#include "auth.h"

#include <stdint.h>

typedef struct cong_jwks_source cong_jwks_source_t;

typedef struct cong_jwks_source_config {
    const char *location;        /* "https://...", "http://...", "file:///path" or a file path; copied */
    int64_t refresh_interval_ms; /* periodic refresh; 0 = 10 minutes; at most a week */
    int64_t cooldown_ms;         /* least time between two fetches; 0 = 30 s; at most a week. Also the retry pace
                                    while failing */
    int64_t timeout_ms;          /* per HTTP fetch (connect and total); 0 or more than 5000 = 5000 */
    const char *ca_file;         /* https: CA bundle (PEM) instead of the system's; NULL = system. Copied */
    int allow_empty_start;       /* nonzero: a failed first load still creates the source (current() is NULL) */
} cong_jwks_source_config_t;

typedef struct cong_jwks_source_stats {
    int64_t last_success;  /* wall-clock seconds of the last successful load; 0 = never */
    int64_t last_attempt;  /* wall-clock seconds of the last load attempt; 0 = never */
    uint64_t successes;    /* loads that installed a keyset (the first one included) */
    uint64_t failures;     /* loads that failed (the last good keyset stayed) */
    size_t keys;           /* usable keys in the current keyset */
} cong_jwks_source_stats_t;

/** Creates a source and loads the keyset once, synchronously (bounded by the timeout), then starts its thread.
 *  Returns 0 with *out set, or CONG_EINVAL (bad config: no location, an unsupported scheme), CONG_ENOMEM, or — unless
 *  allow_empty_start — the first load's error (CONG_EIO unreachable / non-200 / unreadable, CONG_ETOOBIG,
 *  CONG_EPARSE, CONG_EEXIST, CONG_ENOTFOUND; see cong_jwks_parse) with *out NULL. */
int cong_jwks_source_new(const cong_jwks_source_config_t *config, cong_jwks_source_t **out);

/** The current keyset with one reference for the caller (release it with cong_jwks_release), or NULL while there has
 *  never been a good one. Cheap, thread-safe, never blocks on I/O. */
cong_jwks_t *cong_jwks_source_current(cong_jwks_source_t *src);

/** Asks for a refresh soon: now if the last fetch is older than the cooldown, else when the cooldown ends. Requests
 *  arriving while one is pending are merged. Returns in how many milliseconds that fetch starts (0: now, or one is
 *  under way and another follows it at the cooldown's pace), -1 for a NULL source. Thread-safe, never blocks on I/O. */
int64_t cong_jwks_source_request_refresh(cong_jwks_source_t *src);

/** Points the source at another location (a configuration reload) and fetches from it at once, cooldown or not; the
 *  current keyset stays until the new one loads, and stays if it fails. 0, CONG_EINVAL (empty or unsupported
 *  scheme), CONG_EIO, CONG_ENOMEM. Thread-safe, never blocks on I/O. */
int cong_jwks_source_set_location(cong_jwks_source_t *src, const char *location);

/** The number of loads the source has finished, successful or not (the first one included): it moves once a
 *  requested refresh is done, and a keyset it installed is current() by then. Thread-safe, lock-free; 0 for NULL. */
uint64_t cong_jwks_source_generation(cong_jwks_source_t *src);

/** A consistent snapshot of the counters. */
void cong_jwks_source_stats(cong_jwks_source_t *src, cong_jwks_source_stats_t *out);

/** Stops the thread (an HTTP transfer under way is aborted), joins it, and frees the source and its reference to the
 *  current keyset; keysets still retained by callers stay valid. NULL-safe. */
void cong_jwks_source_free(cong_jwks_source_t *src);

#endif
