/*
 * gateway/config/config_upstreams_internal.h — what the files of the upstreams and partner_routes features share
 * (internal to gateway/config/; the contract is upstreams_config.h).
 */
#ifndef CONG_GATEWAY_CONFIG_UPSTREAMS_INTERNAL_H
#define CONG_GATEWAY_CONFIG_UPSTREAMS_INTERNAL_H

#include "config_reader.h"

/** NULL when `text` is 1..max of [a-z0-9-] (and '_' when `underscore`), else a message. */
const char *cong_config_check_name(const char *text, size_t max, int underscore);
/** NULL for an RFC 6749 scope token, else a message. */
const char *cong_config_check_scope(const char *text);

/** Checks one upstream as a whole once its item was read (TLS and protocol, timeouts, targets). */
void cong_config_check_upstream(cong_config_reader_t *reader, const char *path, const cong_upstream_config_t *u);
/** The document's checks of the upstreams: unique names (the finish of the upstreams feature). */
void cong_config_check_upstreams_document(cong_config_reader_t *reader);
/** The document's checks of the routes: their upstream exists, their path is under its partner, no two alike. */
void cong_config_check_partner_routes_document(cong_config_reader_t *reader);

/** Remembers the file being read in *file (freeing the old). 0, or -1 when out of memory (reported). */
int cong_config_upstreams_note_file(cong_config_reader_t *reader, char **file);
void cong_partner_routes_free(cong_upstreams_config_t *u);

#endif
