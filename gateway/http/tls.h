/*
 * gateway/http/tls.h — (internal to gateway/http/) the TLS listener's OpenSSL context, what it offers and how a new
 * one reaches the workers.
 *
 * What it offers (tls.c): Mozilla's "intermediate" profile — TLS 1.2 with ECDHE and AEAD suites only (AES-GCM,
 * ChaCha20-Poly1305; no CBC, no DHE, no RSA key exchange), TLS 1.3 with its default suites, groups X25519, P-256,
 * P-384 — ALPN h2 and http/1.1, no compression, no renegotiation. Session tickets are sealed with keys from
 * server.tls_session_ticket_key_file (tls_tickets.c), or with random keys made once per process; an OCSP response
 * from server.tls_ocsp_response_file is stapled while it is valid (tls_ocsp.c).
 *
 * Reload: SIGHUP makes the main thread build a whole new context from the same files (certificate chain, key, ticket
 * keys, OCSP response; the paths are the start-up configuration's). A context that cannot be built (a bad certificate
 * or key, a bad ticket key file) is refused with a log line and the running one stays; a bad OCSP response only turns
 * stapling off. The new context is published with one atomic store; each worker adopts it at its next tick.
 *
 * Ownership: contexts are reference-counted (SSL_CTX_up_ref). The cong_tls_t holds one reference on the current
 * context, each worker one on the context it accepts with, and OpenSSL one for every connection made with it, so a
 * replaced context lives until its last connection closes. Ticket keys and the OCSP response belong to their context.
 */
#ifndef CONG_GATEWAY_TLS_H
#define CONG_GATEWAY_TLS_H

#include <openssl/ssl.h>

#include "gateway/config/config.h"

typedef struct cong_tls cong_tls_t;

/** The TLS listener's contexts for `cfg` (borrowed: it must outlive the result). NULL, with the reason logged, when
 *  the certificate, its key or the ticket key file cannot be used. Main thread. */
cong_tls_t *cong_tls_new(const cong_config_t *cfg);
/** SIGHUP: build a new context from the same files and publish it. 0 when published; else CONG_E* with the reason
 *  logged, and the current context stays. Main thread only. */
int cong_tls_reload(cong_tls_t *tls);
/** A worker's tick: when a newer context was published, take a reference on it into *in_use and drop the one held
 *  there (NULL at first). Cheap when nothing changed: one atomic load. Any thread. */
void cong_tls_adopt(cong_tls_t *tls, SSL_CTX **in_use);
/** Drops the current context's reference (connections and workers keep theirs) and frees `tls`. NULL is fine. */
void cong_tls_free(cong_tls_t *tls);

/* Session-ticket keys (tls_tickets.c). The file holds one or more keys of 80 bytes each, back to back, raw: 16 bytes
 * of key name, 32 of AES-256 key, 32 of HMAC-SHA256 key (one key is the same file as nginx's ssl_session_ticket_key).
 * The first key seals new tickets; every key opens them, and a ticket opened with another than the first is renewed
 * with the first. Rotation: put a new key first and keep the previous ones after it, then SIGHUP every instance. */
#define CONG_TLS_TICKET_KEY_BYTES 80
#define CONG_TLS_MAX_TICKET_KEYS 8
typedef struct cong_tls_ticket_keys cong_tls_ticket_keys_t;

/** One random key, for a process without a key file (its tickets open on this process only). NULL when out of
 *  memory or randomness. */
cong_tls_ticket_keys_t *cong_tls_ticket_keys_random(void);
/** The keys of `path`; NULL with the reason logged (never a key's bytes). */
cong_tls_ticket_keys_t *cong_tls_ticket_keys_read(const char *path);
/** Wipes and frees. NULL is fine. */
void cong_tls_ticket_keys_free(cong_tls_ticket_keys_t *keys);
size_t cong_tls_ticket_keys_count(const cong_tls_ticket_keys_t *keys);
/** Seals and opens `ctx`'s session tickets with a copy of `keys`, owned by `ctx`. 0 or CONG_ENOMEM. */
int cong_tls_use_ticket_keys(SSL_CTX *ctx, const cong_tls_ticket_keys_t *keys);

/* OCSP stapling (tls_ocsp.c). */
/** Staples the DER OCSP response of `path` for `ctx`'s certificate (loaded before). Returns 1 when it will be stapled,
 *  0 when not: a response that does not parse, is not "successful", is not signed by the certificate's issuer (or its
 *  delegated responder), does not name this certificate as good, or is outside its thisUpdate..nextUpdate is logged
 *  (warn) and not stapled. Once nextUpdate passes, it is no longer stapled (logged once). */
int cong_tls_use_ocsp_response(SSL_CTX *ctx, const char *path);

#endif
