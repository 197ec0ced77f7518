/*
 * gateway/config/config_policy.h — settings that are valid but unsafe for a city's production gateway.
 *
 * config.c checks each key on its own (type, range, syntax); this file judges the configuration as a whole against
 * what an attacker could exploit: keys fetched over plain http, a service-token key whose private half sits next to
 * it (the demo key), browser origins over http, the admin listener or the cleartext listener on a public address,
 * Redis off loopback without a password. server.environment decides what happens to a finding: in production (the
 * default) `cong --check-config` and start-up refuse it as an error; in development it is logged as one warning line
 * per relaxed rule, so a developer sees what `make run` allows.
 */
#ifndef CONG_GATEWAY_CONFIG_POLICY_H
#define CONG_GATEWAY_CONFIG_POLICY_H

#include "config.h"

/** 1 when server.environment is "development". */
int cong_config_is_development(const cong_config_t *cfg);

/**
 * Appends one line per finding to `findings` ("FILE:LINE: key: message", FILE:LINE where the key was set, "default:0"
 * for a default) whatever the environment, and returns how many there were (or CONG_ENOMEM). The caller refuses them
 * (production) or logs them as warnings (development): see cong_config_enforce_policy.
 */
int cong_config_policy_findings(const cong_config_t *cfg, cong_config_errors_t *findings);

/**
 * The policy applied: in production the findings are appended to `errs` and CONG_EINVAL is returned; in development
 * each is logged as a warning ("development: allowed: ...") and 0 is returned. CONG_ENOMEM when out of memory.
 */
int cong_config_enforce_policy(const cong_config_t *cfg, cong_config_errors_t *errs);

/** 1 when `host` names a loopback address (localhost, 127.0.0.0/8, ::1). */
int cong_host_is_loopback(const char *host);
/** 1 when `host` is loopback or a private address (10/8, 172.16/12, 192.168/16, fc00::/7). */
int cong_host_is_private(const char *host);

#endif
