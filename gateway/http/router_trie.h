/*
 * gateway/http/router_trie.h — (internal to gateway/http/) the segment trie that router.c builds and router_match.c
 * walks (router.h is the
 * contract; router.c's comment explains the trie's shape). Read-only once built.
 */
#ifndef CONG_GATEWAY_ROUTER_TRIE_H
#define CONG_GATEWAY_ROUTER_TRIE_H

#include <stdbool.h>
#include <string.h>

#include "router.h"

typedef struct router_node router_node_t;

typedef struct text_span {
    const char *text;
    size_t len;
} text_span_t;

typedef struct route_entry {
    const char *method;        /* NUL-terminated, in `strings` */
    size_t method_len;
    const char *template_path; /* NUL-terminated, in `strings` */
    void *route;
    size_t nparams;
    const char *param_names[CONG_ROUTER_MAX_PARAMS];   /* NUL-terminated, in `strings` */
    size_t param_segments[CONG_ROUTER_MAX_PARAMS];     /* index of the path segment holding each parameter */
    char *strings;             /* one allocation holding method, template and names */
} route_entry_t;

typedef struct literal_child {
    char *text; /* decoded form the request segment must equal; NUL-terminated */
    size_t len;
    router_node_t *node;
} literal_child_t;

struct router_node {
    literal_child_t *literals; /* sorted by compare_bytes */
    size_t nliterals;
    size_t literals_capacity;
    router_node_t *param_child;
    route_entry_t *entries;    /* registration order */
    size_t nentries;
};

struct cong_router {
    router_node_t root;
};

/* A match's `allow` ("GET, POST" and a NUL): cong_router_add keeps every node's methods within it. */
#define ALLOW_CAPACITY sizeof(((cong_route_match_t *)0)->allow)

static inline bool spans_equal(const char *a, size_t a_len, const char *b, size_t b_len)
{
    return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

static inline bool is_dot_segment(const char *text, size_t len)
{
    return (len == 1 && text[0] == '.') || (len == 2 && text[0] == '.' && text[1] == '.');
}

/** Index of the first literal child not ordered before `key`; *found tells whether it equals `key`. */
size_t cong_router_find_literal(const router_node_t *node, const char *key, size_t key_len, bool *found);

#endif
