/*
 * gateway/config/live_config.h — the settings that change without a restart, and how a reload reaches every worker.
 *
 * SIGHUP makes the main thread read the configuration file and the environment again (cong_gateway_reload, reload.c).
 * A file with any error — syntax, type, range, or the production policy — is refused with FILE:LINE lines in the log,
 * and the running configuration stays. A good one becomes a new snapshot, published with one atomic store; each
 * worker adopts the newest snapshot at its next tick (≤ 50 ms), between two callbacks of its loop, so one worker
 * never mixes two configurations.
 *
 * A snapshot's configuration also carries the upstreams and partner_routes read with it (upstreams_config.h); a
 * reload that changes them publishes a new generation of the proxy (gateway/upstream/upstream.h, "Reload"), which
 * borrows them: that is one reason snapshots live until the gateway is disposed.
 * Read from the snapshot (and so reloadable): rate_limits.*, cors.*, log.level, server.trusted_proxies and
 * vneid.jwks (handed to the VNeID key source, which fetches the new location at once; a gateway started without
 * VNeID needs a restart for it); upstreams and partner_routes (a new generation of the proxy, above). Every other
 * key is read from the start-up configuration; a reload that changes one logs that it needs a restart and leaves it
 * as it was.
 *
 * Ownership: the gateway owns every snapshot. Generation 0 borrows the start-up configuration; later ones own theirs.
 * A request may still hold a pointer into the snapshot its worker had when it started, so replaced snapshots are kept
 * (a few KB each, one per accepted reload) until the gateway is disposed.
 */
#ifndef CONG_GATEWAY_LIVE_CONFIG_H
#define CONG_GATEWAY_LIVE_CONFIG_H

#include "gateway/http/client_address.h"
#include "config.h"

typedef struct cong_live_config {
    const cong_config_t *config;     /* read only its reloadable keys (above) */
    cong_config_t *owned;            /* NULL for generation 0 (the start-up configuration) */
    cong_trusted_proxies_t proxies;  /* server.trusted_proxies, parsed */
    unsigned generation;
    struct cong_live_config *older;  /* the snapshot it replaced */
} cong_live_config_t;

/** A snapshot over `config`; takes ownership of it when `owned` is 1. NULL when out of memory or a proxy is
 *  invalid (config.c has already checked them). */
cong_live_config_t *cong_live_config_new(const cong_config_t *config, int owned, unsigned generation);
/** Frees a snapshot and every older one. */
void cong_live_config_free_chain(cong_live_config_t *live);

/** 1 when `path` (e.g. "rate_limits.default_burst") is read from the snapshot. */
int cong_live_config_key_is_reloadable(const char *path);

#endif
