/* Configuration of per-address admission (gateway/http/admission.h): how many connections one client address may
 * hold and open.
 *
 * The defaults are for a city on mobile networks: the carriers put many subscribers behind one carrier-grade NAT
 * address (port blocks of 512–2048 ports: from a few dozen to ~120 subscribers an address), and each citizen's app
 * holds one HTTP/2 connection while it is in the foreground. 512 open connections leave that NAT address room for
 * every subscriber with several devices; 20 new connections a second sustained, 200 at once, let them all reopen
 * their app within seconds (a push to everyone, a cell outage ending) while a reconnecting attacker on one address
 * gets 20 connections — 20 TLS handshakes — a second instead of thousands. An enterprise NAT in front of a large
 * office may need more; 0 turns a limit off. */
#include "config_keys.h"

static const cong_config_key_t admission_keys[] = {
    CONG_INT_KEY("admission.max_connections_per_address", admission.max_connections_per_address, 0, 1000000, "512"),
    CONG_INT_KEY("admission.new_connections_per_second", admission.new_connections_per_second, 0, 1000000, "20"),
    CONG_INT_KEY("admission.new_connections_burst", admission.new_connections_burst, 0, 1000000, "200"),
};

const cong_config_feature_t cong_config_admission_feature =
    CONG_CONFIG_FEATURE("per-address admission", "admission", admission_keys, NULL);
