#include "msgpack_bounds.h"

#include <stdint.h>

static uint64_t big_endian(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Size of the header and payload of the object at p, and how many child objects follow it (containers). Returns 0
 * on a malformed or truncated header. */
static int describe(const unsigned char *p, size_t left, size_t *skip, uint64_t *children)
{
    unsigned char t = p[0];
    *children = 0;
    if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) { *skip = 1; return 1; } /* fixint, nil, bool */
    if (t >= 0xa0 && t <= 0xbf) { *skip = 1 + (t & 0x1f); return 1; }                 /* fixstr */
    if (t >= 0x90 && t <= 0x9f) { *skip = 1; *children = t & 0x0f; return 1; }          /* fixarray */
    if (t >= 0x80 && t <= 0x8f) { *skip = 1; *children = 2u * (t & 0x0f); return 1; }   /* fixmap */
    static const struct { unsigned char type; int len_bytes, fixed, kind; } forms[] = {
        /* kind: 0 scalar of `fixed` bytes, 1 bytes of a length, 2 array, 3 map, 4 ext of a length */
        {0xcc, 0, 1, 0}, {0xcd, 0, 2, 0}, {0xce, 0, 4, 0}, {0xcf, 0, 8, 0}, {0xd0, 0, 1, 0}, {0xd1, 0, 2, 0},
        {0xd2, 0, 4, 0}, {0xd3, 0, 8, 0}, {0xca, 0, 4, 0}, {0xcb, 0, 8, 0}, {0xd4, 0, 2, 0}, {0xd5, 0, 3, 0},
        {0xd6, 0, 5, 0}, {0xd7, 0, 9, 0}, {0xd8, 0, 17, 0}, {0xd9, 1, 0, 1}, {0xda, 2, 0, 1}, {0xdb, 4, 0, 1},
        {0xc4, 1, 0, 1}, {0xc5, 2, 0, 1}, {0xc6, 4, 0, 1}, {0xc7, 1, 1, 4}, {0xc8, 2, 1, 4}, {0xc9, 4, 1, 4},
        {0xdc, 2, 0, 2}, {0xdd, 4, 0, 2}, {0xde, 2, 0, 3}, {0xdf, 4, 0, 3},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        if (forms[i].type != t)
            continue;
        if (forms[i].kind == 0) {
            *skip = 1 + (size_t)forms[i].fixed;
            return 1;
        }
        if (left < 1 + (size_t)forms[i].len_bytes)
            return 0;
        uint64_t n = big_endian(p + 1, forms[i].len_bytes);
        if (forms[i].kind == 2 || forms[i].kind == 3) {
            *skip = 1 + (size_t)forms[i].len_bytes;
            *children = forms[i].kind == 3 ? 2 * n : n;
            return 1;
        }
        if (n > left)
            return 0;
        *skip = 1 + (size_t)forms[i].len_bytes + (size_t)forms[i].fixed + (size_t)n;
        return 1;
    }
    return 0; /* 0xc1: never used */
}

int cong_msgpack_bounded(const char *buf, size_t len)
{
    const unsigned char *p = (const unsigned char *)buf;
    uint64_t pending[CONG_MSGPACK_MAX_DEPTH + 1]; /* objects still expected at each depth */
    int depth = 0;
    size_t off = 0;
    pending[0] = 1;
    while (depth >= 0) {
        if (pending[depth] == 0) {
            depth--;
            continue;
        }
        if (off >= len)
            return 0;
        size_t skip;
        uint64_t children;
        if (!describe(p + off, len - off, &skip, &children) || skip > len - off)
            return 0;
        off += skip;
        pending[depth]--;
        if (children > 0) {
            if (children > len - off || depth == CONG_MSGPACK_MAX_DEPTH)
                return 0;
            pending[++depth] = children;
        }
    }
    return off == len;
}
