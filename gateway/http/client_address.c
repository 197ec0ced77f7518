/* The client's address behind trusted proxies (contract in client_address.h). Headers are parsed in place, right to
 * left, with no allocation: this runs for every request that is keyed on its address. */
#include "client_address.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cong/errors.h"
#include "gateway/config/config.h"

#define MAX_HOPS 32 /* hops examined from the right; a longer chain is cut (the leftmost are the client's own words) */

/* Text → 16 bytes (IPv4 mapped into IPv6). 1 on success. */
static int address_bytes(const char *text, unsigned char out[16], int *is_v4)
{
    unsigned char v4[4];
    if (inet_pton(AF_INET, text, v4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, v4, 4);
        *is_v4 = 1;
        return 1;
    }
    *is_v4 = 0;
    return inet_pton(AF_INET6, text, out) == 1;
}

int cong_trusted_proxies_parse(const cong_strlist_t *list, cong_trusted_proxies_t *out)
{
    *out = (cong_trusted_proxies_t){0};
    if (list->count == 0)
        return 0;
    out->ranges = calloc(list->count, sizeof *out->ranges);
    if (out->ranges == NULL)
        return CONG_ENOMEM;
    for (size_t i = 0; i < list->count; i++) {
        char text[CONG_ADDRESS_TEXT_MAX];
        const char *slash = strchr(list->items[i], '/');
        size_t len = slash ? (size_t)(slash - list->items[i]) : strlen(list->items[i]);
        int is_v4;
        cong_address_range_t *range = &out->ranges[out->count];
        if (len >= sizeof text)
            goto invalid;
        memcpy(text, list->items[i], len);
        text[len] = '\0';
        if (!address_bytes(text, range->bytes, &is_v4))
            goto invalid;
        range->prefix_bits = slash ? atoi(slash + 1) + (is_v4 ? 96 : 0) : 128;
        if (range->prefix_bits > 128)
            goto invalid;
        out->count++;
    }
    return 0;
invalid:
    cong_trusted_proxies_free(out);
    return CONG_EINVAL;
}

void cong_trusted_proxies_free(cong_trusted_proxies_t *proxies)
{
    free(proxies->ranges);
    *proxies = (cong_trusted_proxies_t){0};
}

static int range_contains(const cong_address_range_t *range, const unsigned char bytes[16])
{
    int full = range->prefix_bits / 8, rest = range->prefix_bits % 8;
    if (memcmp(range->bytes, bytes, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (range->bytes[full] & mask) == (bytes[full] & mask);
}

static int contains_bytes(const cong_trusted_proxies_t *proxies, const unsigned char bytes[16])
{
    for (size_t i = 0; i < proxies->count; i++)
        if (range_contains(&proxies->ranges[i], bytes))
            return 1;
    return 0;
}

int cong_trusted_proxies_contain(const cong_trusted_proxies_t *proxies, const char *text)
{
    unsigned char bytes[16];
    int is_v4;
    return proxies != NULL && address_bytes(text, bytes, &is_v4) && contains_bytes(proxies, bytes);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* One hop's node, trimmed: "[v6]:port", "\"[v6]\"", "v4", "v4:port" → the bare address in out. 1 when valid. */
static int hop_address(const char *s, size_t len, char out[CONG_ADDRESS_TEXT_MAX])
{
    while (len > 0 && is_space(*s))
        s++, len--;
    while (len > 0 && is_space(s[len - 1]))
        len--;
    if (len >= 2 && s[0] == '"' && s[len - 1] == '"')
        s++, len -= 2;
    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (close == NULL)
            return 0;
        s++;
        len = (size_t)(close - s);
    } else {
        const char *colon = memchr(s, ':', len);
        if (colon != NULL && memchr(colon + 1, ':', len - (size_t)(colon + 1 - s)) == NULL)
            len = (size_t)(colon - s); /* IPv4 with a port */
    }
    if (len == 0 || len >= CONG_ADDRESS_TEXT_MAX)
        return 0;
    memcpy(out, s, len);
    out[len] = '\0';
    unsigned char bytes[16];
    int is_v4;
    return address_bytes(out, bytes, &is_v4);
}

/* The node of one Forwarded element ("for=...;proto=https;by=..."), or {NULL, 0} when it has no "for". */
static const char *forwarded_for(const char *element, size_t len, size_t *node_len)
{
    const char *end = element + len;
    for (const char *p = element; p < end;) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *stop = semi ? semi : end;
        while (p < stop && is_space(*p))
            p++;
        if (stop - p > 4 && strncasecmp(p, "for=", 4) == 0) {
            *node_len = (size_t)(stop - p - 4);
            return p + 4;
        }
        p = semi ? semi + 1 : end;
    }
    return NULL;
}

/* Splits a header into comma-separated hops (right to left) and picks the client. `forwarded` selects the syntax. */
static void pick_from_header(const cong_trusted_proxies_t *proxies, const char *value, size_t len, int forwarded,
                             char *client)
{
    size_t end = len;
    for (int hops = 0; hops < MAX_HOPS; hops++) {
        size_t start = end;
        while (start > 0 && value[start - 1] != ',')
            start--;
        const char *node = value + start;
        size_t node_len = end - start;
        if (forwarded)
            node = forwarded_for(value + start, end - start, &node_len);
        char hop[CONG_ADDRESS_TEXT_MAX];
        if (node == NULL || !hop_address(node, node_len, hop))
            return; /* "unknown", an obfuscated name or garbage: the last trusted hop is all we know */
        memcpy(client, hop, sizeof hop);
        if (!cong_trusted_proxies_contain(proxies, hop) || start == 0)
            return;
        end = start - 1;
    }
}

void cong_client_address(const cong_trusted_proxies_t *proxies, const char *peer, const char *forwarded,
                         size_t forwarded_len, const char *x_forwarded_for, size_t xff_len, char *out)
{
    size_t n = strnlen(peer, CONG_ADDRESS_TEXT_MAX - 1);
    memcpy(out, peer, n);
    out[n] = '\0';
    if (!cong_trusted_proxies_contain(proxies, peer))
        return;
    if (forwarded != NULL && forwarded_len > 0)
        pick_from_header(proxies, forwarded, forwarded_len, 1, out);
    else if (x_forwarded_for != NULL && xff_len > 0)
        pick_from_header(proxies, x_forwarded_for, xff_len, 0, out);
}
