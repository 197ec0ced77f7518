/*
 * gateway/http/client_address.h — who the client is, network-wise: the address that per-address rate limits and the
 * failed-authentication budget are keyed on.
 *
 * Behind the city's load balancers every TCP peer is a proxy, so the peer address alone would put every citizen in one
 * budget. A proxy's word about the client is believed only when the peer is in server.trusted_proxies: then the
 * client is the rightmost address of Forwarded (RFC 7239 "for=") or, without it, X-Forwarded-For, that is not itself a
 * trusted proxy (each trusted hop appends the address it saw; anything left of the first untrusted one was written by
 * the client and proves nothing). A header from an untrusted peer is ignored. With server.proxy_protocol the load
 * balancer's PROXY line already gives h2o the client as the peer.
 *
 * Threading: a cong_trusted_proxies_t is built once per configuration (start, SIGHUP) and read-only after.
 */
#ifndef CONG_GATEWAY_CLIENT_ADDRESS_H
#define CONG_GATEWAY_CLIENT_ADDRESS_H

#include <stddef.h>
#include <sys/socket.h>

struct cong_strlist; /* cong_strlist_t, config/config.h: this header stays free of the config room, which holds
                        a cong_trusted_proxies_t in each live snapshot */

#define CONG_ADDRESS_TEXT_MAX 48 /* an IPv6 address in text, with its NUL */

typedef struct cong_address_range {
    unsigned char bytes[16]; /* IPv4 addresses as IPv4-mapped IPv6 (::ffff:a.b.c.d), prefix shifted by 96 */
    int prefix_bits;         /* 0..128 */
} cong_address_range_t;

typedef struct cong_trusted_proxies {
    cong_address_range_t *ranges; /* owned */
    size_t count;
} cong_trusted_proxies_t;

/** Parses server.trusted_proxies (items already checked by config.c). 0 or CONG_ENOMEM / CONG_EINVAL. */
int cong_trusted_proxies_parse(const struct cong_strlist *list, cong_trusted_proxies_t *out);
void cong_trusted_proxies_free(cong_trusted_proxies_t *proxies);

/** 1 when the textual address `text` (IPv4 or IPv6, no port) falls in one of the ranges. */
int cong_trusted_proxies_contain(const cong_trusted_proxies_t *proxies, const char *text);

/**
 * The client's address as text into out[CONG_ADDRESS_TEXT_MAX], following the rules above: `peer` is the TCP peer's
 * numeric address; `forwarded` and `x_forwarded_for` are the raw header values (NULL when absent; each may be the
 * comma-joined values of several header lines). Pure: no allocation, no I/O.
 */
void cong_client_address(const cong_trusted_proxies_t *proxies, const char *peer, const char *forwarded,
                         size_t forwarded_len, const char *x_forwarded_for, size_t xff_len, char *out);

#endif
