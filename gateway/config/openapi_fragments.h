/*
 * gateway/config/openapi_fragments.h — partners' OpenAPI fragments: an upstream's `openapi:` file (upstreams_config.h)
 * documents the partner's own operations, and cong serves them inside /openapi.json (and so on /docs).
 *
 * A fragment is one OpenAPI 3 document in YAML or JSON (JSON is YAML: one reader, yaml_json.h) whose top level holds
 * `paths` (required, a mapping) and may hold `openapi` and `info` (ignored: the gateway's document has its own); any
 * other key (components, servers, security...) is refused — a partner brings operations, not document-wide settings
 * that would change everybody's. Every path must lie under /v1/partners/<that upstream's partner.name>/, so one
 * partner can neither document nor shadow another's routes or cong's own. Problems are checked by `cong
 * --check-config` (cong_config_check_openapi_fragments, through cong_config_load) and again when the gateway merges
 * them at start and at each reload (gateway/openapi_doc.c): a path the gateway's document (or another fragment)
 * already has is refused then.
 *
 * Errors name the fragment's file and line where it is known: the YAML reader's line for a syntax error, the line
 * of the path's key (found in the text) for a path outside its prefix; else the config file's line of `openapi:`.
 * Nothing here keeps state; thread-safe.
 */
#ifndef CONG_GATEWAY_OPENAPI_FRAGMENTS_H
#define CONG_GATEWAY_OPENAPI_FRAGMENTS_H

#include <stddef.h>

#include "upstreams_config.h"

struct json_t;

/** Reads and checks `u`'s fragment: 0 with *paths (the caller's: json_decref) the fragment's `paths` object; else
 *  CONG_EIO (unreadable), CONG_EPARSE (not YAML/JSON), CONG_EINVAL (not a fragment, or a path outside its prefix) with
 *  `err` holding the message and *line the fragment's line (0: unknown); or CONG_ENOMEM. */
int cong_openapi_fragment_read(const cong_upstream_config_t *u, struct json_t **paths, int *line, char *err,
                               size_t errlen);

/** Merges every upstream's fragment into `doc` (the gateway's OpenAPI document, a JSON object): its paths join
 *  doc.paths. Appends one error per problem, as cong_config_check_openapi_fragments does, plus "the path ... is
 *  already documented" for a clash. Returns how many problems there were, or CONG_ENOMEM. */
int cong_openapi_merge_fragments(const cong_upstreams_config_t *u, struct json_t *doc, cong_config_errors_t *errs);

#endif
