/*
 * gateway/http/router.c — the segment trie behind gateway/http/router.h.
 *
 * A node stands for one template prefix. Its literal children are kept sorted by bytes and found by binary search; it
 * has at most one parameter child, shared by every template with a "{...}" segment at that depth, so "/a/{x}" and
 * "/a/{y}" end on the same node. Parameter names therefore belong to the route entry, not to the node.
 *
 * The template "/" and the request path "/" are both the single empty segment; "/a/" is the two segments "a" and "",
 * so it never matches "/a". Every trie node sits at one fixed depth, so a match visits each node at most once even
 * with backtracking.
 *
 * This file builds the trie (templates, cong_router_add); router_match.c walks it for a request (router_trie.h is
 * what they share).
 */
#include "router.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"
#include "router_trie.h"

/* A template split into segments; for a parameter segment the span is the name without braces. */
typedef struct parsed_template {
    size_t nsegments;
    text_span_t segments[CONG_ROUTER_MAX_SEGMENTS];
    bool is_param[CONG_ROUTER_MAX_SEGMENTS];
    size_t nparams;
    size_t param_segments[CONG_ROUTER_MAX_PARAMS];
} parsed_template_t;

static int compare_bytes(const char *a, size_t a_len, const char *b, size_t b_len)
{
    size_t common = a_len < b_len ? a_len : b_len;
    int order = common ? memcmp(a, b, common) : 0;
    if (order != 0)
        return order;
    return (a_len > b_len) - (a_len < b_len);
}

/* RFC 9110 tchar. */
static bool is_token_char(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_param_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* A literal template segment is compared as is with the decoded request segment, so it may not hold what a decoded
 * segment never equals (".", "..") nor what suggests another syntax (braces, '%', '?', '#', control bytes). */
static bool is_valid_literal(const char *text, size_t len)
{
    if (is_dot_segment(text, len))
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c == 0x7f || c == '{' || c == '}' || c == '%' || c == '?' || c == '#')
            return false;
    }
    return true;
}

static bool is_valid_method(const char *method)
{
    if (method[0] == '\0')
        return false;
    for (const char *c = method; *c; c++)
        if (!is_token_char((unsigned char)*c))
            return false;
    return true;
}

/* Returns 0 or CONG_EINVAL. */
static int parse_template(const char *template_path, parsed_template_t *parsed)
{
    memset(parsed, 0, sizeof *parsed);
    if (template_path[0] != '/')
        return CONG_EINVAL;
    if (template_path[1] == '\0') {
        parsed->nsegments = 1;
        parsed->segments[0] = (text_span_t){template_path + 1, 0};
        return 0;
    }
    const char *cursor = template_path + 1;
    for (;;) {
        size_t len = strcspn(cursor, "/");
        if (len == 0 || parsed->nsegments == CONG_ROUTER_MAX_SEGMENTS)
            return CONG_EINVAL;
        size_t index = parsed->nsegments++;
        if (cursor[0] == '{') {
            if (len < 3 || cursor[len - 1] != '}' || parsed->nparams == CONG_ROUTER_MAX_PARAMS)
                return CONG_EINVAL;
            text_span_t name = {cursor + 1, len - 2};
            for (size_t i = 0; i < name.len; i++)
                if (!is_param_name_char((unsigned char)name.text[i]))
                    return CONG_EINVAL;
            for (size_t p = 0; p < parsed->nparams; p++) {
                text_span_t other = parsed->segments[parsed->param_segments[p]];
                if (spans_equal(other.text, other.len, name.text, name.len))
                    return CONG_EINVAL;
            }
            parsed->segments[index] = name;
            parsed->is_param[index] = true;
            parsed->param_segments[parsed->nparams++] = index;
        } else {
            if (!is_valid_literal(cursor, len))
                return CONG_EINVAL;
            parsed->segments[index] = (text_span_t){cursor, len};
        }
        if (cursor[len] == '\0')
            return 0;
        cursor += len + 1;
    }
}

size_t cong_router_find_literal(const router_node_t *node, const char *key, size_t key_len, bool *found)
{
    size_t low = 0, high = node->nliterals;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        const literal_child_t *child = &node->literals[middle];
        if (compare_bytes(child->text, child->len, key, key_len) < 0)
            low = middle + 1;
        else
            high = middle;
    }
    *found = low < node->nliterals && spans_equal(node->literals[low].text, node->literals[low].len, key, key_len);
    return low;
}

/* The literal child for `segment`, created if missing; NULL when out of memory. */
static router_node_t *literal_child_for(router_node_t *node, text_span_t segment)
{
    bool found;
    size_t index = cong_router_find_literal(node, segment.text, segment.len, &found);
    if (found)
        return node->literals[index].node;
    if (node->nliterals == node->literals_capacity) {
        size_t capacity = node->literals_capacity ? node->literals_capacity * 2 : 4;
        literal_child_t *grown = realloc(node->literals, capacity * sizeof *grown);
        if (grown == NULL)
            return NULL;
        node->literals = grown;
        node->literals_capacity = capacity;
    }
    char *text = strndup(segment.text, segment.len);
    router_node_t *child = calloc(1, sizeof *child);
    if (text == NULL || child == NULL) {
        free(text);
        free(child);
        return NULL;
    }
    memmove(&node->literals[index + 1], &node->literals[index], (node->nliterals - index) * sizeof *node->literals);
    node->literals[index] = (literal_child_t){text, segment.len, child};
    node->nliterals++;
    return child;
}

static router_node_t *param_child_for(router_node_t *node)
{
    if (node->param_child == NULL)
        node->param_child = calloc(1, sizeof *node->param_child);
    return node->param_child;
}

/* Fills `entry` with copies of the method, template and parameter names. Returns 0 or CONG_ENOMEM. */
static int make_entry(route_entry_t *entry, const char *method, const char *template_path,
                      const parsed_template_t *parsed, void *route)
{
    size_t method_len = strlen(method);
    size_t template_len = strlen(template_path);
    size_t total = method_len + 1 + template_len + 1;
    for (size_t p = 0; p < parsed->nparams; p++)
        total += parsed->segments[parsed->param_segments[p]].len + 1;
    char *strings = malloc(total);
    if (strings == NULL)
        return CONG_ENOMEM;

    memset(entry, 0, sizeof *entry);
    entry->strings = strings;
    entry->route = route;
    char *cursor = strings;
    memcpy(cursor, method, method_len + 1);
    entry->method = cursor;
    entry->method_len = method_len;
    cursor += method_len + 1;
    memcpy(cursor, template_path, template_len + 1);
    entry->template_path = cursor;
    cursor += template_len + 1;
    for (size_t p = 0; p < parsed->nparams; p++) {
        text_span_t name = parsed->segments[parsed->param_segments[p]];
        memcpy(cursor, name.text, name.len);
        cursor[name.len] = '\0';
        entry->param_names[p] = cursor;
        entry->param_segments[p] = parsed->param_segments[p];
        cursor += name.len + 1;
    }
    entry->nparams = parsed->nparams;
    return 0;
}

cong_router_t *cong_router_new(void)
{
    return calloc(1, sizeof(cong_router_t));
}

static void free_node_contents(router_node_t *node)
{
    for (size_t i = 0; i < node->nliterals; i++) {
        free_node_contents(node->literals[i].node);
        free(node->literals[i].node);
        free(node->literals[i].text);
    }
    free(node->literals);
    if (node->param_child != NULL) {
        free_node_contents(node->param_child);
        free(node->param_child);
    }
    for (size_t i = 0; i < node->nentries; i++)
        free(node->entries[i].strings);
    free(node->entries);
}

void cong_router_free(cong_router_t *router)
{
    if (router == NULL)
        return;
    free_node_contents(&router->root);
    free(router);
}

int cong_router_add(cong_router_t *router, const char *method, const char *template_path, void *route)
{
    if (router == NULL || method == NULL || template_path == NULL || !is_valid_method(method))
        return CONG_EINVAL;
    parsed_template_t parsed;
    int err = parse_template(template_path, &parsed);
    if (err != 0)
        return err;

    router_node_t *node = &router->root;
    for (size_t i = 0; i < parsed.nsegments && node != NULL; i++)
        node = parsed.is_param[i] ? param_child_for(node) : literal_child_for(node, parsed.segments[i]);
    if (node == NULL)
        return CONG_ENOMEM;

    /* The node's methods must fit in a match's `allow`: "A, B" plus the NUL. */
    size_t method_len = strlen(method);
    size_t allow_len = method_len;
    for (size_t i = 0; i < node->nentries; i++) {
        if (spans_equal(node->entries[i].method, node->entries[i].method_len, method, method_len))
            return CONG_EEXIST;
        allow_len += node->entries[i].method_len + 2;
    }
    if (allow_len >= ALLOW_CAPACITY)
        return CONG_EINVAL;

    route_entry_t *grown = realloc(node->entries, (node->nentries + 1) * sizeof *grown);
    if (grown == NULL)
        return CONG_ENOMEM;
    node->entries = grown;
    err = make_entry(&node->entries[node->nentries], method, template_path, &parsed, route);
    if (err != 0)
        return err;
    node->nentries++;
    return 0;
}
