/* gateway/http/router_match.c — matching a request against the trie router.c built (router.h is the contract): the
 * path split and percent-decoded segment by segment, a depth-first walk, literal children before the parameter one. */
#include "router.h"

#include <stdbool.h>
#include <string.h>

#include "router_trie.h"
#include "common/common.h"

/* Percent-decodes raw[0, raw_len) into dest plus a NUL, within dest_capacity bytes. False on malformed encoding, a NUL
 * byte (raw or %00), or too little room. */
static bool decode_segment(const char *raw, size_t raw_len, char *dest, size_t dest_capacity, size_t *decoded_len)
{
    if (dest_capacity == 0)
        return false;
    size_t len = 0;
    for (size_t i = 0; i < raw_len; i++) {
        unsigned char byte = (unsigned char)raw[i];
        if (byte == '%') {
            if (raw_len - i < 3)
                return false;
            int high = cong_hex_digit(raw[i + 1]), low = cong_hex_digit(raw[i + 2]);
            if (high < 0 || low < 0)
                return false;
            byte = (unsigned char)(high * 16 + low);
            i += 2;
        }
        if (byte == '\0' || len + 1 >= dest_capacity)
            return false;
        dest[len++] = (char)byte;
    }
    dest[len] = '\0';
    *decoded_len = len;
    return true;
}

/* Splits `path` on '/' and decodes each segment into scratch. False for any CONG_ROUTE_BAD_PATH reason. */
static bool split_path(const char *path, size_t path_len, char *scratch, size_t scratch_len,
                       text_span_t segments[CONG_ROUTER_MAX_SEGMENTS], size_t *nsegments)
{
    if (path == NULL || path_len == 0 || path[0] != '/' || scratch == NULL)
        return false;
    size_t count = 0, used = 0, start = 1;
    for (;;) {
        size_t end = start;
        while (end < path_len && path[end] != '/')
            end++;
        if (count == CONG_ROUTER_MAX_SEGMENTS)
            return false;
        size_t len;
        if (!decode_segment(path + start, end - start, scratch + used, scratch_len - used, &len))
            return false;
        if (is_dot_segment(scratch + used, len))
            return false;
        segments[count++] = (text_span_t){scratch + used, len};
        used += len + 1;
        if (end == path_len)
            break;
        start = end + 1;
    }
    *nsegments = count;
    return true;
}

typedef struct match_search {
    const char *method;
    size_t method_len;
    const text_span_t *segments;
    size_t nsegments;
    char *allow; /* the methods of every node the path reaches, deduplicated, for a 405 */
    size_t allow_len;
} match_search_t;

/* The node's entry for the method; HEAD falls back to GET when not registered itself. */
static const route_entry_t *entry_for_method(const router_node_t *node, const char *method, size_t method_len)
{
    for (size_t i = 0; i < node->nentries; i++)
        if (spans_equal(node->entries[i].method, node->entries[i].method_len, method, method_len))
            return &node->entries[i];
    if (spans_equal(method, method_len, "HEAD", 4))
        return entry_for_method(node, "GET", 3);
    return NULL;
}

static bool allow_lists(const char *allow, size_t allow_len, const char *method, size_t method_len)
{
    size_t start = 0;
    while (start < allow_len) {
        const char *comma = memchr(allow + start, ',', allow_len - start);
        size_t end = comma ? (size_t)(comma - allow) : allow_len;
        if (spans_equal(allow + start, end - start, method, method_len))
            return true;
        start = end + 2;
    }
    return false;
}

/* Adds the node's methods to the allow list, in registration order, skipping those already listed. A method that no
 * longer fits is left out: only possible when several templates reach the path with many distinct methods. */
static void note_allowed_methods(match_search_t *search, const router_node_t *node)
{
    for (size_t i = 0; i < node->nentries; i++) {
        const route_entry_t *entry = &node->entries[i];
        if (allow_lists(search->allow, search->allow_len, entry->method, entry->method_len))
            continue;
        size_t separator = search->allow_len ? 2 : 0;
        if (search->allow_len + separator + entry->method_len >= ALLOW_CAPACITY)
            continue;
        if (separator)
            memcpy(search->allow + search->allow_len, ", ", 2);
        memcpy(search->allow + search->allow_len + separator, entry->method, entry->method_len);
        search->allow_len += separator + entry->method_len;
        search->allow[search->allow_len] = '\0';
    }
}

/* Depth-first: the literal child before the parameter child. Returns the first entry serving the method. */
static const route_entry_t *search_node(match_search_t *search, const router_node_t *node, size_t depth)
{
    if (depth == search->nsegments) {
        const route_entry_t *entry = entry_for_method(node, search->method, search->method_len);
        if (entry == NULL)
            note_allowed_methods(search, node);
        return entry;
    }
    text_span_t segment = search->segments[depth];
    bool found;
    size_t index = cong_router_find_literal(node, segment.text, segment.len, &found);
    if (found) {
        const route_entry_t *entry = search_node(search, node->literals[index].node, depth + 1);
        if (entry != NULL)
            return entry;
    }
    if (node->param_child != NULL && segment.len > 0)
        return search_node(search, node->param_child, depth + 1);
    return NULL;
}

cong_route_result_t cong_router_match(const cong_router_t *router, const char *method, size_t method_len,
                                      const char *path, size_t path_len, char *scratch, size_t scratch_len,
                                      cong_route_match_t *out)
{
    if (out == NULL)
        return CONG_ROUTE_BAD_PATH;
    out->route = NULL;
    out->template_path = NULL;
    out->nparams = 0;
    out->allow[0] = '\0';
    if (router == NULL || (method == NULL && method_len != 0))
        return CONG_ROUTE_BAD_PATH;

    text_span_t segments[CONG_ROUTER_MAX_SEGMENTS];
    size_t nsegments;
    if (!split_path(path, path_len, scratch, scratch_len, segments, &nsegments))
        return CONG_ROUTE_BAD_PATH;

    match_search_t search = {method, method_len, segments, nsegments, out->allow, 0};
    const route_entry_t *entry = search_node(&search, &router->root, 0);
    if (entry == NULL)
        return search.allow_len ? CONG_ROUTE_METHOD_NOT_ALLOWED : CONG_ROUTE_NOT_FOUND;

    out->allow[0] = '\0'; /* methods noted on branches left behind */
    out->route = entry->route;
    out->template_path = entry->template_path;
    out->nparams = entry->nparams;
    for (size_t p = 0; p < entry->nparams; p++) {
        text_span_t value = segments[entry->param_segments[p]];
        out->params[p] = (cong_path_param_t){entry->param_names[p], value.text, value.len};
    }
    return CONG_ROUTE_FOUND;
}

const char *cong_route_param(const cong_route_match_t *m, const char *name, size_t *len)
{
    if (m == NULL || name == NULL)
        return NULL;
    for (size_t p = 0; p < m->nparams && p < CONG_ROUTER_MAX_PARAMS; p++) {
        if (strcmp(m->params[p].name, name) == 0) {
            if (len != NULL)
                *len = m->params[p].value_len;
            return m->params[p].value;
        }
    }
    return NULL;
}
