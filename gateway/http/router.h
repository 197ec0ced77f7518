/*
 * gateway/http/router.h — method + path-template router (a segment trie).
 *
 * Templates are absolute paths made of literal segments and parameter segments written "{name}" (the whole segment).
 * Matching walks the request path one segment at a time, so lookup cost grows with the path's length and never with
 * the number of routes. A literal child beats the parameter child at the same depth, with backtracking to the
 * parameter when the literal branch does not match the rest of the path.
 *
 * Each segment of the request path is percent-decoded before it is compared; a decoded "/" stays inside its segment.
 * Paths that decode to "." or "..", contain a NUL byte (%00), have malformed percent-encoding, do not start with "/"
 * are refused as CONG_ROUTE_BAD_PATH. The query string must be stripped by the caller.
 *
 * Ownership: the router copies templates and methods; the `route` pointer is the caller's and is returned as is.
 * Matching does not allocate: decoded parameter values are written into the caller's scratch buffer, which must hold
 * at least path_len + CONG_ROUTER_MAX_PARAMS bytes; they stay valid as long as that buffer.
 * A router is built on one thread and is then read-only: concurrent cong_router_match calls are safe.
 */
#ifndef CONG_GATEWAY_ROUTER_H
#define CONG_GATEWAY_ROUTER_H

#include <stddef.h>

#define CONG_ROUTER_MAX_PARAMS 8
#define CONG_ROUTER_MAX_SEGMENTS 32

typedef struct cong_router cong_router_t;

typedef struct cong_path_param {
    const char *name;  /* the template's name, NUL-terminated, owned by the router */
    const char *value; /* decoded, NUL-terminated, in the caller's scratch buffer */
    size_t value_len;
} cong_path_param_t;

typedef enum cong_route_result {
    CONG_ROUTE_FOUND = 0,
    CONG_ROUTE_NOT_FOUND = 1,          /* no template matches the path */
    CONG_ROUTE_METHOD_NOT_ALLOWED = 2, /* the path matches, the method does not: `allow` lists those that do */
    CONG_ROUTE_BAD_PATH = 3,           /* dot segments, NUL, bad percent-encoding, too many segments */
} cong_route_result_t;

typedef struct cong_route_match {
    void *route;                       /* the pointer given to cong_router_add, when FOUND */
    const char *template_path;         /* the matched template (owned by the router), when FOUND */
    size_t nparams;
    cong_path_param_t params[CONG_ROUTER_MAX_PARAMS];
    char allow[128];                   /* "GET, POST" when METHOD_NOT_ALLOWED; NUL-terminated */
} cong_route_match_t;

/** A new empty router, or NULL when out of memory. Free with cong_router_free. */
cong_router_t *cong_router_new(void);
void cong_router_free(cong_router_t *router);

/**
 * Add a route. Returns 0, CONG_EINVAL (template not absolute, empty or malformed "{...}" segment, duplicate parameter
 * name, more than CONG_ROUTER_MAX_PARAMS parameters or CONG_ROUTER_MAX_SEGMENTS segments, empty method),
 * CONG_EEXIST (same method and same template shape already there — "/a/{x}" and "/a/{y}" are the same shape),
 * or CONG_ENOMEM.
 */
int cong_router_add(cong_router_t *router, const char *method, const char *template_path, void *route);

/** Match a request. `out` is filled as described for each result. */
cong_route_result_t cong_router_match(const cong_router_t *router, const char *method, size_t method_len,
                                      const char *path, size_t path_len, char *scratch, size_t scratch_len,
                                      cong_route_match_t *out);

/** Value of a parameter in a match, or NULL. */
const char *cong_route_param(const cong_route_match_t *m, const char *name, size_t *len);

#endif
