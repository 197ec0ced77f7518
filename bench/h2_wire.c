/*
 * bench/h2_wire.c — HTTP/2 wire basics of the bench load clients; the contract is in bench/h2_wire.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "h2_wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void h2w_die(const char *msg)
{
    fprintf(stderr, "%s: %s\n", h2w_prog, msg);
    exit(1);
}

int64_t h2w_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void h2w_buf_put(h2w_buf_t *b, const void *src, size_t n)
{
    if (b->len + n > b->cap) {
        if (b->off) {
            memmove(b->p, b->p + b->off, b->len - b->off);
            b->len -= b->off;
            b->off = 0;
        }
        if (b->len + n > b->cap) {
            size_t cap = b->cap ? b->cap : 65536;
            while (cap < b->len + n)
                cap *= 2;
            b->p = realloc(b->p, cap);
            if (b->p == NULL)
                h2w_die("out of memory");
            b->cap = cap;
        }
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

void h2w_frame(h2w_conn_t *w, uint8_t type, uint8_t flags, uint32_t stream, const void *payload, size_t len)
{
    uint8_t h[9] = {(uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type, flags,
                    (uint8_t)(stream >> 24 & 0x7f), (uint8_t)(stream >> 16), (uint8_t)(stream >> 8), (uint8_t)stream};
    h2w_buf_put(&w->out, h, 9);
    if (len)
        h2w_buf_put(&w->out, payload, len);
}

size_t h2w_hpack_int(uint8_t *dst, uint8_t first, int prefix_bits, size_t v)
{
    size_t n = 0, max = ((size_t)1 << prefix_bits) - 1;
    if (v < max) {
        dst[n++] = (uint8_t)(first | v);
        return n;
    }
    dst[n++] = (uint8_t)(first | max);
    v -= max;
    while (v >= 128) {
        dst[n++] = (uint8_t)(v % 128 + 128);
        v /= 128;
    }
    dst[n++] = (uint8_t)v;
    return n;
}

/* Huffman-coded digits only ('0'-'2': 5 bits 0..2, '3'-'9': 6 bits 0x19..0x1f); -1 for anything else */
static int huffman_status(const uint8_t *p, size_t n)
{
    uint64_t bits = 0;
    int nbits = 0, value = 0, digits = 0;
    size_t i = 0;
    for (;;) {
        while (nbits < 6 && i < n)
            bits = bits << 8 | p[i++], nbits += 8;
        if (nbits < 5)
            break;
        unsigned five = (unsigned)(bits >> (nbits - 5)) & 31;
        if (five <= 2) {
            value = value * 10 + (int)five, digits++, nbits -= 5;
            continue;
        }
        if (nbits >= 6) {
            unsigned six = (unsigned)(bits >> (nbits - 6)) & 63;
            if (six >= 0x19 && six <= 0x1f) {
                value = value * 10 + (int)(six - 0x19 + 3), digits++, nbits -= 6;
                continue;
            }
        }
        break;
    }
    /* what is left must be padding: fewer than 8 bits, all ones */
    if (nbits >= 8 || (nbits > 0 && ((bits & ((1u << nbits) - 1)) != (1u << nbits) - 1)) || digits != 3)
        return -1;
    return value;
}

int h2w_block_status(const uint8_t *p, size_t n)
{
    static const int indexed[] = {200, 204, 206, 304, 400, 404, 500}; /* static table 8..14 */
    size_t i = 0;
    while (i < n && (p[i] & 0xe0) == 0x20) { /* dynamic table size update(s) */
        if ((p[i] & 0x1f) == 0x1f) {
            i++;
            while (i < n && (p[i] & 0x80))
                i++;
        }
        i++;
    }
    if (i >= n)
        return 0;
    uint8_t b = p[i];
    if (b & 0x80) {
        unsigned idx = b & 0x7f;
        return idx >= 8 && idx <= 14 ? indexed[idx - 8] : 0;
    }
    unsigned name_idx;
    if ((b & 0xc0) == 0x40)
        name_idx = b & 0x3f; /* with incremental indexing */
    else
        name_idx = b & 0x0f; /* without / never indexed */
    if (name_idx < 8 || name_idx > 14 || i + 2 > n)
        return 0;
    uint8_t lb = p[i + 1];
    size_t vlen = lb & 0x7f;
    if (vlen == 0x7f || i + 2 + vlen > n)
        return 0;
    const uint8_t *v = p + i + 2;
    if (lb & 0x80) {
        int s = huffman_status(v, vlen);
        return s > 0 ? s : 0;
    }
    if (vlen != 3)
        return 0;
    int s = 0;
    for (int k = 0; k < 3; k++) {
        if (v[k] < '0' || v[k] > '9')
            return 0;
        s = s * 10 + (v[k] - '0');
    }
    return s;
}

int h2w_conn_open(h2w_conn_t *w, int port)
{
    memset(w, 0, sizeof *w);
    w->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (w->fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1 only */
    if (connect(w->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(w->fd);
        return -1;
    }
    int one = 1;
    setsockopt(w->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(w->fd, F_SETFL, fcntl(w->fd, F_GETFL) | O_NONBLOCK);
    w->alive = 1;
    w->next_stream = 1;
    h2w_buf_put(&w->out, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
    /* HEADER_TABLE_SIZE 4096 (the default, as real clients), ENABLE_PUSH 0, INITIAL_WINDOW_SIZE 2^30 */
    uint8_t s[18] = {0, 1, 0, 0, 0x10, 0, 0, 2, 0, 0, 0, 0, 0, 4, 0x40, 0, 0, 0};
    h2w_frame(w, H2W_F_SETTINGS, 0, 0, s, sizeof s);
    uint8_t wu[4] = {0x3f, 0xff, 0, 0}; /* connection window += ~2^30 */
    h2w_frame(w, H2W_F_WINDOW_UPDATE, 0, 0, wu, 4);
    return 0;
}

void h2w_conn_close(h2w_conn_t *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    w->alive = 0;
    w->in_flight = 0;
}

int h2w_conn_flush(h2w_conn_t *w)
{
    while (w->out.off < w->out.len) {
        ssize_t n = send(w->fd, w->out.p + w->out.off, w->out.len - w->out.off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return 0;
            return -1;
        }
        w->out.off += (size_t)n;
    }
    w->out.off = w->out.len = 0;
    return 0;
}

int h2w_conn_recv(h2w_conn_t *w, void (*parse)(void *ctx), void *ctx)
{
    for (;;) {
        if (w->in.off) { /* parse leaves at most one partial frame */
            memmove(w->in.p, w->in.p + w->in.off, w->in.len - w->in.off);
            w->in.len -= w->in.off, w->in.off = 0;
        }
        if (w->in.cap - w->in.len < 65536) {
            size_t cap = w->in.cap ? w->in.cap * 2 : 262144;
            w->in.p = realloc(w->in.p, cap);
            if (w->in.p == NULL)
                h2w_die("out of memory");
            w->in.cap = cap;
        }
        ssize_t r = recv(w->fd, w->in.p + w->in.len, w->in.cap - w->in.len, 0);
        if (r > 0) {
            w->in.len += (size_t)r;
            parse(ctx);
            continue;
        }
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        return -1;
    }
}

void h2w_conn_parse(h2w_conn_t *w, void (*on_stream)(void *ctx, const h2w_stream_frame_t *f), void *ctx)
{
    h2w_buf_t *b = &w->in;
    while (b->len - b->off >= 9) {
        const uint8_t *h = b->p + b->off;
        size_t len = (size_t)h[0] << 16 | (size_t)h[1] << 8 | h[2];
        if (b->len - b->off < 9 + len)
            break;
        h2w_stream_frame_t f = {h[3], h[4], ((uint32_t)h[5] << 24 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 8 | h[8]) &
                                                0x7fffffff,
                                NULL, 0};
        const uint8_t *p = h + 9;
        switch (f.type) {
        case H2W_F_HEADERS:
        case H2W_F_DATA: {
            size_t off = 0, pad = 0;
            if ((f.flags & H2W_FL_PADDED) && len > 0)
                pad = p[0], off = 1;
            if (f.type == H2W_F_HEADERS && (f.flags & H2W_FL_PRIORITY))
                off += 5;
            if (off + pad <= len)
                f.block = p + off, f.len = len - off - pad;
            if (f.type == H2W_F_DATA)
                w->unacked_data += len;
            on_stream(ctx, &f);
            break;
        }
        case H2W_F_RST_STREAM:
            on_stream(ctx, &f);
            break;
        case H2W_F_SETTINGS:
            if (!(f.flags & H2W_FL_ACK))
                h2w_frame(w, H2W_F_SETTINGS, H2W_FL_ACK, 0, NULL, 0);
            break;
        case H2W_F_PING:
            if (!(f.flags & H2W_FL_ACK) && len == 8)
                h2w_frame(w, H2W_F_PING, H2W_FL_ACK, 0, p, 8);
            break;
        case H2W_F_GOAWAY:
            w->alive = 0; /* no new streams; the open ones may still finish */
            break;
        default:
            break;
        }
        b->off += 9 + len;
    }
    if (b->off == b->len)
        b->off = b->len = 0;
    if (w->unacked_data > (1u << 28)) {
        uint32_t inc = (uint32_t)w->unacked_data;
        uint8_t wu[4] = {(uint8_t)(inc >> 24), (uint8_t)(inc >> 16), (uint8_t)(inc >> 8), (uint8_t)inc};
        h2w_frame(w, H2W_F_WINDOW_UPDATE, 0, 0, wu, 4);
        w->unacked_data = 0;
    }
}

int h2w_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

double h2w_pct_ms(const uint32_t *lat, size_t n, double q)
{
    if (n == 0)
        return 0;
    size_t r = (size_t)(q * (double)n);
    if ((double)r < q * (double)n)
        r++;
    if (r < 1)
        r = 1;
    return lat[r - 1] / 1000.0;
}

long h2w_num(const char *s, long lo, long hi, void (*usage)(void))
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        usage();
    return v;
}
