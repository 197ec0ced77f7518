/*
 * gateway/config/yaml_json.h — one YAML document to a jansson value (serves openapi/cong.yaml as /openapi.json).
 *
 * Mappings become objects and sequences arrays. Mapping keys must be scalars and are always strings (a plain 200
 * key gives "200"); a duplicate key is an error. Aliases (*name) are refused, so nothing is ever expanded; anchors
 * alone are allowed and ignored.
 *
 * Scalars follow the YAML 1.2 core schema. A plain (unquoted) scalar that is
 *   - empty, ~, null, Null or NULL                          becomes null,
 *   - true, True, TRUE, false, False or FALSE               a boolean,
 *   - an integer: [-+]?[0-9]+, 0o[0-7]+ or 0x[0-9a-fA-F]+   an integer (a real if it does not fit in 64 bits),
 *   - a float: [-+]?(.[0-9]+|[0-9]+(.[0-9]*)?)([eE][-+]?[0-9]+)?   a real;
 * everything else, including .inf and .nan (JSON has no such numbers) and every single-quoted, double-quoted or
 * block (| >) scalar, becomes a string. A scalar tagged !!str is a string; other tags are ignored.
 * YAML 1.1 words such as yes/no/on/off are strings.
 *
 * Input with no document (empty, or only comments) gives JSON null; more than one document is an error. Nesting is
 * limited to CONG_YAML_JSON_MAX_DEPTH levels.
 */
#ifndef CONG_GATEWAY_YAML_JSON_H
#define CONG_GATEWAY_YAML_JSON_H

#include <stddef.h>

#define CONG_YAML_JSON_MAX_DEPTH 256

struct json_t;

/**
 * Convert `len` bytes of YAML `text` (UTF-8/16; need not be NUL-terminated) into *out, which the caller owns
 * (json_decref). Returns 0; CONG_EPARSE with `err` holding "line N: message" (N 1-based) and *out NULL;
 * CONG_ENOMEM; CONG_EINVAL for a NULL `out`, or NULL `text` with a non-zero `len`. `err` may be NULL; a message
 * longer than errlen - 1 is truncated. Never exits; thread-safe.
 */
int cong_yaml_to_json(const char *text, size_t len, struct json_t **out, char *err, size_t errlen);

#endif
