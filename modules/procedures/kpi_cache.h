/*
 * modules/procedures/kpi_cache.h — the KPI answers each worker thread keeps for a few seconds.
 *
 * The KPI answers (/v1/kpi/units, late-units, trend) are public, the same for everyone, and each costs PostgreSQL
 * tens of milliseconds. Every thread keeps the latest body per key (route and week) for ttl_ms
 * (modules.procedures.kpi_cache_ttl_ms): no lock, nothing shared between threads. Once a body is older than ttl_ms,
 * the next request fetches it again while the others are still served the old one, until it is 2 × ttl_ms old; so
 * PostgreSQL sees about one query per key, thread and ttl_ms however many clients ask, and no stampede when an entry
 * expires. A thread's entries are freed when it exits.
 */
#ifndef CONG_PROCEDURES_KPI_CACHE_H
#define CONG_PROCEDURES_KPI_CACHE_H

#include <stddef.h>

#define KPI_CACHE_ENTRIES 32 /* per thread; the least recently stored entry makes room */
#define KPI_CACHE_KEY_BYTES 48

/** The body under `key`, or NULL when the caller should fetch it (a miss, or the one refresh of an old entry). The
 *  body is valid until this thread's next kpi_cache_put; *len is set on a hit. Always NULL when ttl_ms <= 0. */
const char *kpi_cache_get(const char *key, long long now_ms, int ttl_ms, size_t *len);
/** Keeps a copy of `body` under `key` (longer keys are not cached). */
void kpi_cache_put(const char *key, const char *body, size_t len, long long now_ms);

#endif
