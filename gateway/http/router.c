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
 */
#include "router.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"

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

/* A template split into segments; for a parameter segment the span is the name without braces. */
typedef struct parsed_template {
    size_t nsegments;
    text_span_t segments[CONG_ROUTER_MAX_SEGMENTS];
    bool is_param[CONG_ROUTER_MAX_SEGMENTS];
    size_t nparams;
    size_t param_segments[CONG_ROUTER_MAX_PARAMS];
} parsed_template_t;

#define ALLOW_CAPACITY sizeof(((cong_route_match_t *)0)->allow)

static int compare_bytes(const char *a, size_t a_len, const char *b, size_t b_len)
{
    size_t common = a_len < b_len ? a_len : b_len;
    int order = common ? memcmp(a, b, common) : 0;
    if (order != 0)
        return order;
    return (a_len > b_len) - (a_len < b_len);
}

static bool spans_equal(const char *a, size_t a_len, const char *b, size_t b_len)
{
    return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

static bool is_dot_segment(const char *text, size_t len)
{
    return (len == 1 && text[0] == '.') || (len == 2 && text[0] == '.' && text[1] == '.');
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

/* Index of the first literal child not ordered before `key`; *found tells whether it equals `key`. */
static size_t find_literal(const router_node_t *node, const char *key, size_t key_len, bool *found)
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
    size_t index = find_literal(node, segment.text, segment.len, &found);
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

static int hex_digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

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
            int high = hex_digit_value(raw[i + 1]), low = hex_digit_value(raw[i + 2]);
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
    size_t index = find_literal(node, segment.text, segment.len, &found);
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
