/*
 * gateway/http/admission.h — per-address admission of new connections (internal to the http room).
 *
 * Why: an attacker that reconnects as soon as it is shed (HTTP/2 Rapid Reset, GOAWAY, reconnect) still costs every
 * accepted connection's setup, its TLS handshake and its first budget of resets. Admission decides at accept time,
 * before any TLS or HTTP work, from the client's address alone:
 *   - admission.max_connections_per_address: connections one address may hold open at once;
 *   - admission.new_connections_per_second / new_connections_burst: a token bucket of new connections per address.
 *     On the TLS listener each admitted connection is exactly one full handshake (renegotiation is off, make_ssl_ctx),
 *     so this bucket is also the handshake budget; there is no separate handshake count.
 * A shed connection is closed at once. Each limit is off at 0. An IPv6 client is keyed by its /64 (one subscriber's
 * prefix: changing the low 64 bits is free), an IPv4 one by its address.
 *
 * Behind proxies (server.trusted_proxies, server.proxy_protocol; client_address.h):
 *   - server.proxy_protocol on: the TCP peer is the load balancer, never limited. The client's address is what the
 *     PROXY line says, which h2o reads after accept; so the limits apply to it at the connection's FIRST REQUEST. A
 *     connection over its address's limits is then answered 429 rate-limited with Retry-After, with
 *     `Connection: close` on HTTP/1.1; on HTTP/2 (h2o has no GOAWAY for one connection) that request and every later
 *     one on the connection get the same 429, without any work, until the client or the idle timeout closes it.
 *     Its TLS handshake has been paid by then: the PROXY line precedes it, but reading the line is h2o's.
 *   - a TCP peer in server.trusted_proxies without PROXY protocol: not limited at all. Such a proxy pools and reuses
 *     its connections for many clients, so a connection has no single client to count; the connection limits of
 *     the proxy that holds the clients' own TCP connections are the ones that count, and the per-request limits
 *     (rate_limits.*) still key on X-Forwarded-For / Forwarded.
 *   - the admin listener is never limited.
 *
 * Observability: cong_connections_shed_total{reason="concurrent"|"rate"} (metrics.c), and one warning per address
 * shed, at most once per CONG_ADMISSION_LOG_INTERVAL_MS per address and CONG_ADMISSION_LOG_LINES_PER_S lines a second
 * for the process (the rest are counted in the next line). A line names the address and the reason, nothing else.
 *
 * Threading: one table for the process (SO_REUSEPORT spreads an address's connections over every worker), sharded,
 * one mutex per shard. Bounded: at most CONG_ADMISSION_ADDRESSES addresses; when full, the address idle (no open
 * connection) the longest is forgotten — an attacker with many addresses can only evict idle entries, whose
 * buckets then start full again, as a new address's would. When every entry holds a connection, a new address is
 * admitted untracked (the table never grows and never sheds a stranger for lack of room).
 */
#ifndef CONG_GATEWAY_ADMISSION_H
#define CONG_GATEWAY_ADMISSION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CONG_ADMISSION_ADDRESSES 65536        /* tracked addresses, process-wide (~4 MB) */
#define CONG_ADMISSION_LOG_INTERVAL_MS 10000 /* one line per address shed per 10 s */
#define CONG_ADMISSION_LOG_LINES_PER_S 10     /* and at most 10 such lines a second */

/* ---- the table (admission_table.c): pure, no I/O ---------------------------------------------------------------- */

typedef struct cong_admission cong_admission_t;

typedef struct cong_admission_limits {
    int max_connections; /* per address; 0: no limit */
    int per_second;      /* new connections per address per second; 0: no limit */
    int burst;           /* the bucket's size; 0: per_second */
    size_t capacity;     /* addresses tracked (rounded up to a multiple of the shards) */
} cong_admission_limits_t;

typedef struct cong_admission_key {
    unsigned char bytes[16]; /* IPv4-mapped IPv6; IPv6 cut to its /64 */
} cong_admission_key_t;

enum cong_admission_verdict {
    CONG_ADMISSION_ADMITTED,  /* a slot is held: cong_admission_leave when the connection closes */
    CONG_ADMISSION_UNTRACKED, /* admitted without a slot (the table is full of open connections) */
    CONG_ADMISSION_SHED_CONCURRENT,
    CONG_ADMISSION_SHED_RATE,
};

typedef struct cong_admission_outcome {
    enum cong_admission_verdict verdict;
    int log;                /* shed, and this address's line is due */
    unsigned long suppressed; /* with log: lines left out since the last one written (the process-wide bound) */
} cong_admission_outcome_t;

cong_admission_t *cong_admission_new(const cong_admission_limits_t *limits);
void cong_admission_free(cong_admission_t *a);
/** Decides a new connection from `key` at `now_ms` (a monotonic clock). Thread-safe. */
cong_admission_outcome_t cong_admission_enter(cong_admission_t *a, const cong_admission_key_t *key, uint64_t now_ms);
/** Gives back the slot of a connection that was CONG_ADMISSION_ADMITTED. Thread-safe. */
void cong_admission_leave(cong_admission_t *a, const cong_admission_key_t *key);
/** Addresses tracked now (tests). */
size_t cong_admission_tracked(cong_admission_t *a);

/** The key of an address (sockaddr_in/in6, or text). 1 on success, 0 for another family or bad text. */
int cong_admission_key_of_sockaddr(const struct sockaddr *sa, cong_admission_key_t *key);
int cong_admission_key_of_text(const char *text, cong_admission_key_t *key);
/** The key as text ("203.0.113.9", "2001:db8:1:2::/64") into out[64], for the log line. */
void cong_admission_key_text(const cong_admission_key_t *key, char out[64]);

/* ---- the server's side (admission.c): accept, close, first request ---------------------------------------------- */

struct cong_gateway;
struct uv_stream_s;

/** Builds the process's table from the configuration (admission.*); nothing when every limit is 0. 0 or CONG_ENOMEM.
 *  Before the workers start; cong_admission_stop after they are joined. */
int cong_admission_start(const struct cong_gateway *gw);
void cong_admission_stop(void);
/** The listener's accept callback: accepts, decides, closes a shed connection at once, hands the rest to h2o. */
void cong_admission_on_accept(struct uv_stream_s *listener, int status);
/* The request's side is the pipeline's "admission" phase (cong_phase_admission, pipeline.h): it decides a deferred
 * connection at its first request and answers every request of a connection shed there. */

#endif
