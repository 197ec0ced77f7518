/*
 * bench/h2_submit_load.c — the dossier submission load of bench/procedures.sh. Loopback only, self-contained
 * (the HTTP/2 framing and HPACK of bench/h2_token_load.c, without libnghttp2).
 *
 *   h2_submit_load --port P --token-file FILE --body-file FILE [--connections 16] [--streams 4] [--seconds 8]
 *                  [--warmup 1] [--path /v1/dossiers] [--drain 15]
 *
 * POST PATH on C h2c (prior knowledge) connections to 127.0.0.1:PORT, M concurrent streams each. Every request
 * carries "authorization: Bearer <the token of FILE>", "content-type: application/json", the body of FILE (one DATA
 * frame) and its own "idempotency-key: procbench-<random of the run>-<n>" (n = 0, 1, 2, ...), so that every request
 * files a new dossier: none is an idempotent replay. Header fields are HPACK literals without indexing.
 *
 * New requests are started during WARMUP + SECONDS; then the requests still in flight are waited for (up to DRAIN
 * seconds), so that every request sent gets its answer. Requests answered during the first WARMUP seconds and after
 * the measured window are not in the rate and the percentiles, but their status is counted. Prints one line:
 *   sent=N answered=N status_201=N status_other=N resets=N lost=N requests=N seconds=S rps=R p50_ms=X p99_ms=Y
 *   warmup_requests=N drain_requests=N
 * (requests, rps and percentiles: the measured window; status_*: every request.) The first few answers that are not
 * 201 are printed on standard error with their body. Latency: from queuing the HEADERS frame to the frame that ends
 * the response (END_STREAM), in µs. The client announces SETTINGS_HEADER_TABLE_SIZE 0, so :status is either a
 * static-table index or a literal (plain or Huffman-coded digits).
 * Exit status 0 when every request sent was answered 201, 1 otherwise, 2 on a usage error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void die(const char *msg)
{
    fprintf(stderr, "h2_submit_load: %s\n", msg);
    exit(1);
}

static void usage(void)
{
    fputs("usage: h2_submit_load --port P --token-file FILE --body-file FILE [--connections C] [--streams M]\n"
          "                      [--seconds D] [--warmup W] [--path /v1/dossiers] [--drain S]\n",
          stderr);
    exit(2);
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#define F_DATA 0
#define F_HEADERS 1
#define F_RST_STREAM 3
#define F_SETTINGS 4
#define F_PING 6
#define F_GOAWAY 7
#define F_WINDOW_UPDATE 8
#define FL_END_STREAM 0x1
#define FL_ACK 0x1
#define FL_END_HEADERS 0x4
#define FL_PADDED 0x8
#define FL_PRIORITY 0x20

#define MAX_CONNS 256
#define MAX_STREAMS 128
#define STREAM_SLOTS 1024 /* stream id / 2 modulo this: more than the streams in flight on one connection */
#define SHOW_FAILURES 5
#define FAILURE_BODY_MAX 1024

typedef struct {
    uint8_t *p;
    size_t off, len, cap;
} buf_t;

typedef struct {
    int fd;
    int alive;
    buf_t out, in;
    uint32_t next_stream;
    int in_flight;
    uint64_t unacked_data; /* DATA bytes not yet given back with WINDOW_UPDATE (connection) */
    int64_t sent_us[STREAM_SLOTS];
    int status[STREAM_SLOTS];
    uint32_t id_of[STREAM_SLOTS];
    int failure[STREAM_SLOTS]; /* index in failures[] of a non-201 answer being shown, or -1 */
} conn_t;

static struct {
    int port, conns, streams, seconds, warmup, drain;
    const char *path, *token_path, *body_path;
} opt = {0, 16, 4, 8, 1, 15, "/v1/dossiers", NULL, NULL};

static char *token, *body;
static size_t token_len, body_len;
static char run_id[17];
static uint64_t key_counter;

static uint32_t *lat;
static size_t lat_n, lat_cap;
static uint64_t st_sent, st_201, st_other, st_resets, st_lost, st_warm, st_drain;
static int64_t measure_from, measure_to;

static struct {
    int status;
    char body[FAILURE_BODY_MAX + 1];
    size_t len;
} failures[SHOW_FAILURES];
static int failures_n;

static void buf_put(buf_t *b, const void *src, size_t n)
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
                die("out of memory");
            b->cap = cap;
        }
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void frame(conn_t *c, uint8_t type, uint8_t flags, uint32_t stream, const void *payload, size_t len)
{
    uint8_t h[9] = {(uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type, flags,
                    (uint8_t)(stream >> 24 & 0x7f), (uint8_t)(stream >> 16), (uint8_t)(stream >> 8), (uint8_t)stream};
    buf_put(&c->out, h, 9);
    if (len)
        buf_put(&c->out, payload, len);
}

static size_t hpack_int(uint8_t *dst, uint8_t first, int prefix_bits, size_t v)
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

/* literal header field without indexing, name from the static table */
static size_t hpack_indexed_name(uint8_t *dst, unsigned name_index, const char *value, size_t len)
{
    size_t n = hpack_int(dst, 0x00, 4, name_index);
    n += hpack_int(dst + n, 0x00, 7, len);
    memcpy(dst + n, value, len);
    return n + len;
}

/* literal header field without indexing, new name */
static size_t hpack_new_name(uint8_t *dst, const char *name, const char *value, size_t len)
{
    size_t n = 0, nlen = strlen(name);
    dst[n++] = 0x00;
    n += hpack_int(dst + n, 0x00, 7, nlen);
    memcpy(dst + n, name, nlen), n += nlen;
    n += hpack_int(dst + n, 0x00, 7, len);
    memcpy(dst + n, value, len);
    return n + len;
}

static void send_request(conn_t *c)
{
    uint8_t block[8192];
    size_t plen = strlen(opt.path), n = 0;
    char key[64], clen[24], bearer[4096 + 8];
    int klen = snprintf(key, sizeof key, "procbench-%s-%llu", run_id, (unsigned long long)key_counter++);
    int cl = snprintf(clen, sizeof clen, "%zu", body_len);
    memcpy(bearer, "Bearer ", 7);
    memcpy(bearer + 7, token, token_len);
    block[n++] = 0x83; /* :method POST */
    block[n++] = 0x86; /* :scheme http */
    n += hpack_indexed_name(block + n, 4, opt.path, plen);       /* :path */
    n += hpack_indexed_name(block + n, 1, "127.0.0.1", 9);       /* :authority */
    n += hpack_indexed_name(block + n, 23, bearer, token_len + 7); /* authorization */
    n += hpack_indexed_name(block + n, 31, "application/json", 16); /* content-type */
    n += hpack_indexed_name(block + n, 28, clen, (size_t)cl);   /* content-length */
    n += hpack_new_name(block + n, "idempotency-key", key, (size_t)klen);
    uint32_t id = c->next_stream;
    c->next_stream += 2;
    unsigned slot = (id >> 1) % STREAM_SLOTS;
    c->id_of[slot] = id;
    c->status[slot] = 0;
    c->failure[slot] = -1;
    c->sent_us[slot] = now_us();
    frame(c, F_HEADERS, FL_END_HEADERS, id, block, n);
    frame(c, F_DATA, FL_END_STREAM, id, body, body_len);
    c->in_flight++;
    st_sent++;
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

/* :status from the first field of a header block (pseudo-headers come first); 0 when not understood */
static int block_status(const uint8_t *p, size_t n)
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

static void finish_stream(conn_t *c, uint32_t id, int reset)
{
    unsigned slot = (id >> 1) % STREAM_SLOTS;
    if (c->id_of[slot] != id)
        return;
    c->id_of[slot] = 0;
    c->in_flight--;
    int64_t t = now_us();
    if (reset)
        st_resets++;
    else if (c->status[slot] == 201)
        st_201++;
    else
        st_other++;
    if (t < measure_from) {
        st_warm++;
    } else if (t < measure_to) {
        if (!reset) {
            if (lat_n == lat_cap) {
                lat_cap = lat_cap ? lat_cap * 2 : 1 << 20;
                lat = realloc(lat, lat_cap * sizeof *lat);
                if (lat == NULL)
                    die("out of memory");
            }
            lat[lat_n++] = (uint32_t)(t - c->sent_us[slot]);
        }
    } else {
        st_drain++;
    }
    if (t < measure_to && c->alive)
        send_request(c);
}

static void note_failure_status(conn_t *c, uint32_t sid)
{
    unsigned slot = (sid >> 1) % STREAM_SLOTS;
    if (c->id_of[slot] != sid || c->status[slot] == 201 || failures_n >= SHOW_FAILURES)
        return;
    c->failure[slot] = failures_n;
    failures[failures_n].status = c->status[slot];
    failures[failures_n].len = 0;
    failures_n++;
}

static void note_failure_data(conn_t *c, uint32_t sid, const uint8_t *p, size_t len)
{
    unsigned slot = (sid >> 1) % STREAM_SLOTS;
    if (c->id_of[slot] != sid || c->failure[slot] < 0)
        return;
    __typeof__(failures[0]) *f = &failures[c->failure[slot]];
    size_t room = FAILURE_BODY_MAX - f->len;
    if (len > room)
        len = room;
    memcpy(f->body + f->len, p, len);
    f->len += len;
    f->body[f->len] = '\0';
}

static int conn_open(conn_t *c)
{
    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1 only */
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(c->fd);
        return -1;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    c->alive = 1;
    c->next_stream = 1;
    buf_put(&c->out, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
    /* HEADER_TABLE_SIZE 0, ENABLE_PUSH 0, INITIAL_WINDOW_SIZE 2^30 */
    uint8_t s[18] = {0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 4, 0x40, 0, 0, 0};
    frame(c, F_SETTINGS, 0, 0, s, sizeof s);
    uint8_t wu[4] = {0x3f, 0xff, 0, 0}; /* connection window += ~2^30 */
    frame(c, F_WINDOW_UPDATE, 0, 0, wu, 4);
    /* The request bodies are small (well under the server's initial 64 KiB windows): no flow control needed. */
    for (int i = 0; i < opt.streams; i++)
        send_request(c);
    return 0;
}

static void conn_close(conn_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->alive = 0;
    c->in_flight = 0;
}

/* parses complete frames in c->in */
static void conn_parse(conn_t *c)
{
    buf_t *b = &c->in;
    while (b->len - b->off >= 9) {
        const uint8_t *h = b->p + b->off;
        size_t len = (size_t)h[0] << 16 | (size_t)h[1] << 8 | h[2];
        if (b->len - b->off < 9 + len)
            break;
        uint8_t type = h[3], flags = h[4];
        uint32_t sid = ((uint32_t)h[5] << 24 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 8 | h[8]) & 0x7fffffff;
        const uint8_t *p = h + 9;
        switch (type) {
        case F_HEADERS: {
            size_t off = 0, pad = 0;
            if (flags & FL_PADDED)
                pad = p[0], off = 1;
            if (flags & FL_PRIORITY)
                off += 5;
            unsigned slot = (sid >> 1) % STREAM_SLOTS;
            if (c->id_of[slot] == sid && c->status[slot] == 0 && off + pad <= len) {
                c->status[slot] = block_status(p + off, len - off - pad);
                note_failure_status(c, sid);
            }
            if (flags & FL_END_STREAM)
                finish_stream(c, sid, 0);
            break;
        }
        case F_DATA: {
            size_t off = 0, pad = 0;
            if (flags & FL_PADDED)
                pad = p[0], off = 1;
            if (off + pad <= len)
                note_failure_data(c, sid, p + off, len - off - pad);
            c->unacked_data += len;
            if (flags & FL_END_STREAM)
                finish_stream(c, sid, 0);
            break;
        }
        case F_RST_STREAM:
            finish_stream(c, sid, 1);
            break;
        case F_SETTINGS:
            if (!(flags & FL_ACK))
                frame(c, F_SETTINGS, FL_ACK, 0, NULL, 0);
            break;
        case F_PING:
            if (!(flags & FL_ACK) && len == 8)
                frame(c, F_PING, FL_ACK, 0, p, 8);
            break;
        case F_GOAWAY:
            c->alive = 0; /* no new streams; the open ones may still finish */
            break;
        default:
            break;
        }
        b->off += 9 + len;
    }
    if (b->off == b->len)
        b->off = b->len = 0;
    if (c->unacked_data > (1u << 28)) {
        uint32_t inc = (uint32_t)c->unacked_data;
        uint8_t wu[4] = {(uint8_t)(inc >> 24), (uint8_t)(inc >> 16), (uint8_t)(inc >> 8), (uint8_t)inc};
        frame(c, F_WINDOW_UPDATE, 0, 0, wu, 4);
        c->unacked_data = 0;
    }
}

static int conn_flush(conn_t *c)
{
    while (c->out.off < c->out.len) {
        ssize_t w = send(c->fd, c->out.p + c->out.off, c->out.len - c->out.off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return 0;
            return -1;
        }
        c->out.off += (size_t)w;
    }
    c->out.off = c->out.len = 0;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_ms(double q)
{
    if (lat_n == 0)
        return 0;
    size_t r = (size_t)(q * (double)lat_n);
    if ((double)r < q * (double)lat_n)
        r++;
    if (r < 1)
        r = 1;
    return lat[r - 1] / 1000.0;
}

static char *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return NULL;
    size_t n = (size_t)st.st_size;
    char *p = malloc(n + 1);
    if (p == NULL)
        die("out of memory");
    for (size_t got = 0; got < n;) {
        ssize_t r = read(fd, p + got, n - got);
        if (r <= 0) {
            close(fd);
            free(p);
            return NULL;
        }
        got += (size_t)r;
    }
    close(fd);
    while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
        n--;
    p[n] = '\0';
    *len = n;
    return p;
}

static int load(void)
{
    token = read_file(opt.token_path, &token_len);
    body = read_file(opt.body_path, &body_len);
    if (token == NULL || token_len == 0 || token_len > 4096)
        die("cannot read the token file (one token, at most 4096 bytes)");
    if (body == NULL || body_len == 0 || body_len > 16000)
        die("cannot read the body file (1 to 16000 bytes: one DATA frame, within the initial window)");
    uint8_t rnd[8];
    int rfd = open("/dev/urandom", O_RDONLY);
    if (rfd < 0 || read(rfd, rnd, sizeof rnd) != (ssize_t)sizeof rnd)
        die("cannot read /dev/urandom");
    close(rfd);
    for (int k = 0; k < 8; k++)
        snprintf(run_id + 2 * k, 3, "%02x", rnd[k]);

    static conn_t conns[MAX_CONNS];
    int ep = epoll_create1(0);
    int64_t start = now_us();
    measure_from = start + (int64_t)opt.warmup * 1000000;
    measure_to = measure_from + (int64_t)opt.seconds * 1000000;
    int64_t give_up = measure_to + (int64_t)opt.drain * 1000000;
    for (int i = 0; i < opt.conns; i++) {
        if (conn_open(&conns[i]) != 0)
            die("cannot connect to 127.0.0.1");
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
    }
    struct epoll_event evs[MAX_CONNS];
    for (;;) {
        int64_t t = now_us();
        int busy = 0;
        for (int i = 0; i < opt.conns; i++)
            busy += conns[i].fd >= 0 && conns[i].in_flight > 0;
        if ((t >= measure_to && busy == 0) || t >= give_up)
            break;
        int n = epoll_wait(ep, evs, MAX_CONNS, 50);
        for (int k = 0; k < n; k++) {
            conn_t *c = &conns[evs[k].data.u32];
            if (c->fd < 0)
                continue;
            int dead = 0;
            if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                for (;;) {
                    if (c->in.off) { /* conn_parse leaves at most one partial frame */
                        memmove(c->in.p, c->in.p + c->in.off, c->in.len - c->in.off);
                        c->in.len -= c->in.off, c->in.off = 0;
                    }
                    if (c->in.cap - c->in.len < 65536) {
                        size_t cap = c->in.cap ? c->in.cap * 2 : 262144;
                        c->in.p = realloc(c->in.p, cap);
                        if (c->in.p == NULL)
                            die("out of memory");
                        c->in.cap = cap;
                    }
                    ssize_t r = recv(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len, 0);
                    if (r > 0) {
                        c->in.len += (size_t)r;
                        conn_parse(c);
                        continue;
                    }
                    if (r < 0 && (errno == EAGAIN || errno == EINTR))
                        break;
                    dead = 1;
                    break;
                }
            }
            if (!dead && conn_flush(c) != 0)
                dead = 1;
            if (dead || (!c->alive && c->in_flight == 0)) {
                /* closed by the server (or GOAWAY and drained): its requests in flight are lost; open a new one */
                st_lost += (uint64_t)c->in_flight;
                conn_close(c);
                if (now_us() < measure_to && conn_open(c) == 0) {
                    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u32 = evs[k].data.u32};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
                    conn_flush(c);
                }
            }
        }
        /* requests queued by finish_stream on connections without a fresh event */
        for (int i = 0; i < opt.conns; i++)
            if (conns[i].fd >= 0 && conns[i].out.len > conns[i].out.off && conn_flush(&conns[i]) != 0) {
                st_lost += (uint64_t)conns[i].in_flight;
                conn_close(&conns[i]);
            }
    }
    for (int i = 0; i < opt.conns; i++) {
        st_lost += conns[i].fd >= 0 ? (uint64_t)conns[i].in_flight : 0; /* still unanswered after the drain */
        conn_close(&conns[i]);
    }
    qsort(lat, lat_n, sizeof *lat, cmp_u32);
    double secs = (double)opt.seconds;
    uint64_t answered = st_201 + st_other;
    printf("sent=%llu answered=%llu status_201=%llu status_other=%llu resets=%llu lost=%llu requests=%zu seconds=%.3f "
           "rps=%.1f p50_ms=%.2f p99_ms=%.2f warmup_requests=%llu drain_requests=%llu\n",
           (unsigned long long)st_sent, (unsigned long long)answered, (unsigned long long)st_201,
           (unsigned long long)st_other, (unsigned long long)st_resets, (unsigned long long)st_lost, lat_n, secs,
           (double)lat_n / secs, pct_ms(0.50), pct_ms(0.99), (unsigned long long)st_warm,
           (unsigned long long)st_drain);
    for (int i = 0; i < failures_n; i++)
        fprintf(stderr, "h2_submit_load: answer %d (not 201): %s\n", failures[i].status,
                failures[i].len ? failures[i].body : "(no body)");
    return st_201 == st_sent && st_sent > 0 ? 0 : 1;
}

static long num(const char *s, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        usage();
    return v;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--port")) opt.port = (int)num(v, 1, 65535);
        else if (!strcmp(a, "--token-file")) opt.token_path = v;
        else if (!strcmp(a, "--body-file")) opt.body_path = v;
        else if (!strcmp(a, "--connections")) opt.conns = (int)num(v, 1, MAX_CONNS);
        else if (!strcmp(a, "--streams")) opt.streams = (int)num(v, 1, MAX_STREAMS);
        else if (!strcmp(a, "--seconds")) opt.seconds = (int)num(v, 1, 60);
        else if (!strcmp(a, "--warmup")) opt.warmup = (int)num(v, 0, 10);
        else if (!strcmp(a, "--drain")) opt.drain = (int)num(v, 1, 120);
        else if (!strcmp(a, "--path")) opt.path = v;
        else usage();
    }
    if (!opt.port || !opt.token_path || !opt.body_path || opt.path[0] != '/' || strlen(opt.path) > 120)
        usage();
    return load();
}
