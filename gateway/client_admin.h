/*
 * gateway/client_admin.h — `cong client create|list|revoke`: API clients for businesses and partners, in PostgreSQL.
 *
 * create prints the client id and its secret once (only SHA-256 of the secret is stored); revoke marks the client
 * revoked (its token requests are refused from then on) and revokes its live tokens on every instance through
 * Redis (the session id of a client's tokens is "client:<client_id>"). Blocking: a command-line tool.
 *
 * Exit status (gateway/exit_status.h): 0 when done; revoking a client revoked already changes nothing in PostgreSQL,
 * says so, publishes the revocation again (so a retry after Redis was unreachable completes it) and exits 0. 3 for an
 * unknown client id, 2 for bad usage, 1 when PostgreSQL or Redis cannot be reached or refuses.
 */
#ifndef CONG_GATEWAY_CLIENT_ADMIN_H
#define CONG_GATEWAY_CLIENT_ADMIN_H

#include "gateway/config/config.h"

/** The command's usage lines (also printed by `cong --help`). */
extern const char cong_client_usage[];

/** Runs `cong client ARGS...` (argv starts after "client"). Returns the process exit status. */
int cong_client_admin(const cong_config_t *cfg, int argc, char **argv);

#endif
