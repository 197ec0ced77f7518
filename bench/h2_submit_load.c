/*
 * bench/h2_submit_load.c — the dossier submission load of bench/procedures.sh. Loopback only, self-contained but
 * for the HTTP/2 framing and HPACK basics of bench/h2_wire.{h,c} (shared with bench/h2_token_load.c, no libnghttp2).
 *
 *   h2_submit_load --port P --token-file FILE --body-file FILE [--connections 16] [--streams 4] [--seconds 8]
 *                  [--warmup 1] [--path /v1/dossiers] [--drain 15] [--body-per-line 0|1] [--token-per-line 0|1]
 *                  [--rate R]
 *
 * POST PATH on C h2c (prior knowledge) connections to 127.0.0.1:PORT, M concurrent streams each. Every request
 * carries "authorization: Bearer <the token of FILE>", "content-type: application/json", the body of FILE (one DATA
 * frame) and its own "idempotency-key: procbench-<random of the run>-<n>" (n = 0, 1, 2, ...), so that every request
 * files a new dossier: none is an idempotent replay. With --token-per-line 1 the token file holds one token a line and
 * request n carries token n mod their number (many callers, e.g. citizens each under a daily limit: bench/queue.sh).
 * Header fields are HPACK literals without indexing.
 *
 * New requests are started during WARMUP + SECONDS; then the requests still in flight are waited for (up to DRAIN
 * seconds), so that every request sent gets its answer. Requests answered during the first WARMUP seconds and after
 * the measured window are not in the rate and the percentiles, but their status is counted. Prints one line:
 *   sent=N answered=N status_201=N status_other=N resets=N lost=N requests=N seconds=S rps=R p50_ms=X p99_ms=Y
 *   warmup_requests=N drain_requests=N skipped=N status_503=N (of status_other) rps_201=R (201s only)
 * (requests, rps and percentiles: the measured window; status_*: every request.) The first few answers that are not
 * 201 are printed on standard error with their body. Latency: from queuing the HEADERS frame to the frame that ends
 * the response (END_STREAM), in µs. Only :status is read from an answer's headers (bench/h2_wire.h: h2o sends it as
 * a static-table index or a literal, never from the dynamic table).
 * With --rate R (open loop, for latency at a fixed offered rate): no request is sent at start nor when one ends;
 * instead request n is due at start + n/R s and sent then on the next connection (in turn) with fewer than M requests
 * in flight; its latency counts from when it was due, so a server that falls behind is not excused by the client
 * waiting (no coordinated omission). A request due while every connection has M in flight is not sent: counted in
 * skipped=N (the offered rate was not met; printed at the end of the line).
 * Exit status 0 when every request sent was answered 201, 1 otherwise, 2 on a usage error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "h2_wire.h"

const char h2w_prog[] = "h2_submit_load";

static void usage(void)
{
    fputs("usage: h2_submit_load --port P --token-file FILE --body-file FILE [--connections C] [--streams M]\n"
          "                      [--seconds D] [--warmup W] [--path /v1/dossiers] [--drain S] [--body-per-line 0|1]\n"
          "                      [--token-per-line 0|1] [--rate R]\n",
          stderr);
    exit(2);
}

#define MAX_CONNS 256
#define MAX_STREAMS 128
#define STREAM_SLOTS 1024 /* stream id / 2 modulo this: more than the streams in flight on one connection */
#define SHOW_FAILURES 5
#define FAILURE_BODY_MAX 1024

typedef struct {
    h2w_conn_t w; /* connection-level state (bench/h2_wire.h) */
    int64_t sent_us[STREAM_SLOTS];
    int status[STREAM_SLOTS];
    uint32_t id_of[STREAM_SLOTS];
    int failure[STREAM_SLOTS]; /* index in failures[] of a non-201 answer being shown, or -1 */
} conn_t;

static struct {
    int port, conns, streams, seconds, warmup, drain, body_per_line, token_per_line, rate;
    const char *path, *token_path, *body_path;
} opt = {0, 16, 4, 8, 1, 15, 0, 0, 0, "/v1/dossiers", NULL, NULL};
static uint64_t st_skipped; /* --rate: requests due while every connection was full */
static uint64_t st_503;     /* of status_other: 503 (a gateway shedding load: database-busy) */
static uint64_t st_201_window; /* answered 201 within the measured window: rps_201 */

#define MAX_BODIES 100000
static char *token, *body;
static size_t token_len, body_len;
static const char *bodies[MAX_BODIES]; /* the bodies requests take in turn (one: the whole file) */
static size_t bodies_len[MAX_BODIES], bodies_n;
static const char *tokens[MAX_BODIES]; /* the tokens requests take in turn (one: the whole file) */
static size_t tokens_len[MAX_BODIES], tokens_n;
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

/* literal header field without indexing, name from the static table */
static size_t hpack_indexed_name(uint8_t *dst, unsigned name_index, const char *value, size_t len)
{
    size_t n = h2w_hpack_int(dst, 0x00, 4, name_index);
    n += h2w_hpack_int(dst + n, 0x00, 7, len);
    memcpy(dst + n, value, len);
    return n + len;
}

/* literal header field without indexing, new name */
static size_t hpack_new_name(uint8_t *dst, const char *name, const char *value, size_t len)
{
    size_t n = 0, nlen = strlen(name);
    dst[n++] = 0x00;
    n += h2w_hpack_int(dst + n, 0x00, 7, nlen);
    memcpy(dst + n, name, nlen), n += nlen;
    n += h2w_hpack_int(dst + n, 0x00, 7, len);
    memcpy(dst + n, value, len);
    return n + len;
}

static void send_request_due(conn_t *c, int64_t due_us);
static void send_request(conn_t *c)
{
    send_request_due(c, h2w_now_us());
}

static void send_request_due(conn_t *c, int64_t due_us)
{
    uint8_t block[8192];
    size_t plen = strlen(opt.path), n = 0;
    char key[64], clen[24], bearer[4096 + 8];
    const char *b = bodies[key_counter % bodies_n];
    size_t blen = bodies_len[key_counter % bodies_n];
    const char *tok = tokens[key_counter % tokens_n];
    size_t tlen = tokens_len[key_counter % tokens_n];
    int klen = snprintf(key, sizeof key, "procbench-%s-%llu", run_id, (unsigned long long)key_counter++);
    int cl = snprintf(clen, sizeof clen, "%zu", blen);
    memcpy(bearer, "Bearer ", 7);
    memcpy(bearer + 7, tok, tlen);
    block[n++] = 0x83; /* :method POST */
    block[n++] = 0x86; /* :scheme http */
    n += hpack_indexed_name(block + n, 4, opt.path, plen);       /* :path */
    n += hpack_indexed_name(block + n, 1, "127.0.0.1", 9);       /* :authority */
    n += hpack_indexed_name(block + n, 23, bearer, tlen + 7); /* authorization */
    n += hpack_indexed_name(block + n, 31, "application/json", 16); /* content-type */
    n += hpack_indexed_name(block + n, 28, clen, (size_t)cl);   /* content-length */
    n += hpack_new_name(block + n, "idempotency-key", key, (size_t)klen);
    uint32_t id = c->w.next_stream;
    c->w.next_stream += 2;
    unsigned slot = (id >> 1) % STREAM_SLOTS;
    c->id_of[slot] = id;
    c->status[slot] = 0;
    c->failure[slot] = -1;
    c->sent_us[slot] = due_us;
    h2w_frame(&c->w, H2W_F_HEADERS, H2W_FL_END_HEADERS, id, block, n);
    h2w_frame(&c->w, H2W_F_DATA, H2W_FL_END_STREAM, id, b, blen);
    c->w.in_flight++;
    st_sent++;
}

static void finish_stream(conn_t *c, uint32_t id, int reset)
{
    unsigned slot = (id >> 1) % STREAM_SLOTS;
    if (c->id_of[slot] != id)
        return;
    c->id_of[slot] = 0;
    c->w.in_flight--;
    int64_t t = h2w_now_us();
    if (reset)
        st_resets++;
    else if (c->status[slot] == 201)
        st_201++;
    else
        st_other++, st_503 += c->status[slot] == 503;
    if (t < measure_from) {
        st_warm++;
    } else if (t < measure_to) {
        if (!reset) {
            if (lat_n == lat_cap) {
                lat_cap = lat_cap ? lat_cap * 2 : 1 << 20;
                lat = realloc(lat, lat_cap * sizeof *lat);
                if (lat == NULL)
                    h2w_die("out of memory");
            }
            lat[lat_n++] = (uint32_t)(t - c->sent_us[slot]);
            st_201_window += c->status[slot] == 201;
        }
    } else {
        st_drain++;
    }
    if (t < measure_to && c->w.alive && opt.rate == 0)
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
    if (h2w_conn_open(&c->w, opt.port) != 0)
        return -1;
    /* The request bodies are small (well under the server's initial 64 KiB windows): no flow control needed. */
    for (int i = 0; i < opt.streams && opt.rate == 0; i++)
        send_request(c);
    return 0;
}

/* HEADERS: the answer's :status (a failure is noted); DATA: a failing answer's body; END_STREAM or RST_STREAM: the
 * request is done. */
static void on_stream_frame(void *ctx, const h2w_stream_frame_t *f)
{
    conn_t *c = ctx;
    if (f->type == H2W_F_RST_STREAM) {
        finish_stream(c, f->stream, 1);
        return;
    }
    unsigned slot = (f->stream >> 1) % STREAM_SLOTS;
    if (f->type == H2W_F_HEADERS && c->id_of[slot] == f->stream && c->status[slot] == 0 && f->block) {
        c->status[slot] = h2w_block_status(f->block, f->len);
        note_failure_status(c, f->stream);
    }
    if (f->type == H2W_F_DATA && f->block)
        note_failure_data(c, f->stream, f->block, f->len);
    if (f->flags & H2W_FL_END_STREAM)
        finish_stream(c, f->stream, 0);
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
        h2w_die("out of memory");
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

static void conn_parse_cb(void *ctx)
{
    conn_t *c = ctx;
    h2w_conn_parse(&c->w, on_stream_frame, c);
}

/* One body, or one per non-empty line (--body-per-line 1). */
static void split_bodies(void)
{
    if (!opt.body_per_line) {
        bodies[0] = body, bodies_len[0] = body_len, bodies_n = 1;
        return;
    }
    for (size_t at = 0; at < body_len && bodies_n < MAX_BODIES;) {
        const char *nl = memchr(body + at, '\n', body_len - at);
        size_t len = nl != NULL ? (size_t)(nl - (body + at)) : body_len - at;
        if (len > 16000)
            h2w_die("a body line is over 16000 bytes (one DATA frame, within the initial window)");
        if (len > 0)
            bodies[bodies_n] = body + at, bodies_len[bodies_n++] = len;
        at += len + 1;
    }
    if (bodies_n == 0)
        h2w_die("the body file has no line");
}

/* One token (a trailing newline dropped), or one per non-empty line (--token-per-line 1). */
static void split_tokens(void)
{
    for (size_t at = 0; at < token_len && tokens_n < MAX_BODIES;) {
        const char *nl = memchr(token + at, '\n', token_len - at);
        size_t len = nl != NULL ? (size_t)(nl - (token + at)) : token_len - at;
        if (len > 4096)
            h2w_die("a token is over 4096 bytes");
        if (len > 0)
            tokens[tokens_n] = token + at, tokens_len[tokens_n++] = len;
        at += len + 1;
        if (!opt.token_per_line)
            break;
    }
    if (tokens_n == 0)
        h2w_die("the token file has no token");
}

/* --rate: sends every request due by t (the n-th at start + n/rate), each on the next connection with room. */
static void send_due(conn_t *conns, int64_t start, int64_t t, uint64_t *scheduled, int *next_conn)
{
    if (t >= measure_to)
        return;
    uint64_t due = (uint64_t)((t - start) * (double)opt.rate / 1e6);
    for (; *scheduled < due; (*scheduled)++) {
        int64_t due_us = start + (int64_t)((double)*scheduled * 1e6 / opt.rate);
        int sent = 0;
        for (int k = 0; k < opt.conns && !sent; k++) {
            conn_t *c = &conns[(*next_conn + k) % opt.conns];
            if (c->w.fd >= 0 && c->w.alive && c->w.in_flight < opt.streams) {
                send_request_due(c, due_us);
                *next_conn = (*next_conn + k + 1) % opt.conns;
                sent = 1;
            }
        }
        st_skipped += (uint64_t)!sent;
    }
}

static int load(void)
{
    token = read_file(opt.token_path, &token_len);
    body = read_file(opt.body_path, &body_len);
    if (token == NULL || token_len == 0 || token_len > (opt.token_per_line ? 256u << 20 : 4097u))
        h2w_die("cannot read the token file (one token, at most 4096 bytes, or one a line)");
    split_tokens();
    if (body == NULL || body_len == 0 || body_len > (opt.body_per_line ? 64u << 20 : 16000u))
        h2w_die("cannot read the body file (1 to 16000 bytes: one DATA frame, within the initial window)");
    split_bodies();
    uint8_t rnd[8];
    int rfd = open("/dev/urandom", O_RDONLY);
    if (rfd < 0 || read(rfd, rnd, sizeof rnd) != (ssize_t)sizeof rnd)
        h2w_die("cannot read /dev/urandom");
    close(rfd);
    for (int k = 0; k < 8; k++)
        snprintf(run_id + 2 * k, 3, "%02x", rnd[k]);

    static conn_t conns[MAX_CONNS];
    int ep = epoll_create1(0);
    int64_t start = h2w_now_us();
    measure_from = start + (int64_t)opt.warmup * 1000000;
    measure_to = measure_from + (int64_t)opt.seconds * 1000000;
    int64_t give_up = measure_to + (int64_t)opt.drain * 1000000;
    for (int i = 0; i < opt.conns; i++) {
        if (conn_open(&conns[i]) != 0)
            h2w_die("cannot connect to 127.0.0.1");
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].w.fd, &ev);
    }
    struct epoll_event evs[MAX_CONNS];
    uint64_t scheduled = 0;
    int next_conn = 0;
    for (;;) {
        int64_t t = h2w_now_us();
        if (opt.rate > 0)
            send_due(conns, start, t, &scheduled, &next_conn);
        int busy = 0;
        for (int i = 0; i < opt.conns; i++)
            busy += conns[i].w.fd >= 0 && conns[i].w.in_flight > 0;
        if ((t >= measure_to && busy == 0) || t >= give_up)
            break;
        int n = epoll_wait(ep, evs, MAX_CONNS, opt.rate > 0 ? 1 : 50);
        for (int k = 0; k < n; k++) {
            conn_t *c = &conns[evs[k].data.u32];
            if (c->w.fd < 0)
                continue;
            int dead = 0;
            if ((evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && h2w_conn_recv(&c->w, conn_parse_cb, c) != 0)
                dead = 1;
            if (!dead && h2w_conn_flush(&c->w) != 0)
                dead = 1;
            if (dead || (!c->w.alive && c->w.in_flight == 0)) {
                /* closed by the server (or GOAWAY and drained): its requests in flight are lost; open a new one */
                st_lost += (uint64_t)c->w.in_flight;
                h2w_conn_close(&c->w);
                if (h2w_now_us() < measure_to && conn_open(c) == 0) {
                    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u32 = evs[k].data.u32};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c->w.fd, &ev);
                    h2w_conn_flush(&c->w);
                }
            }
        }
        /* requests queued by finish_stream on connections without a fresh event */
        for (int i = 0; i < opt.conns; i++)
            if (conns[i].w.fd >= 0 && conns[i].w.out.len > conns[i].w.out.off && h2w_conn_flush(&conns[i].w) != 0) {
                st_lost += (uint64_t)conns[i].w.in_flight;
                h2w_conn_close(&conns[i].w);
            }
    }
    for (int i = 0; i < opt.conns; i++) {
        st_lost += conns[i].w.fd >= 0 ? (uint64_t)conns[i].w.in_flight : 0; /* still unanswered after the drain */
        h2w_conn_close(&conns[i].w);
    }
    qsort(lat, lat_n, sizeof *lat, h2w_cmp_u32);
    double secs = (double)opt.seconds;
    uint64_t answered = st_201 + st_other;
    printf("sent=%llu answered=%llu status_201=%llu status_other=%llu resets=%llu lost=%llu requests=%zu seconds=%.3f "
           "rps=%.1f p50_ms=%.2f p99_ms=%.2f warmup_requests=%llu drain_requests=%llu skipped=%llu status_503=%llu rps_201=%.1f\n",
           (unsigned long long)st_sent, (unsigned long long)answered, (unsigned long long)st_201,
           (unsigned long long)st_other, (unsigned long long)st_resets, (unsigned long long)st_lost, lat_n, secs,
           (double)lat_n / secs, h2w_pct_ms(lat, lat_n, 0.50), h2w_pct_ms(lat, lat_n, 0.99),
           (unsigned long long)st_warm, (unsigned long long)st_drain, (unsigned long long)st_skipped,
           (unsigned long long)st_503, (double)st_201_window / secs);
    for (int i = 0; i < failures_n; i++)
        fprintf(stderr, "h2_submit_load: answer %d (not 201): %s\n", failures[i].status,
                failures[i].len ? failures[i].body : "(no body)");
    return st_201 == st_sent && st_sent > 0 && st_skipped == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--port")) opt.port = (int)h2w_num(v, 1, 65535, usage);
        else if (!strcmp(a, "--token-file")) opt.token_path = v;
        else if (!strcmp(a, "--body-file")) opt.body_path = v;
        else if (!strcmp(a, "--connections")) opt.conns = (int)h2w_num(v, 1, MAX_CONNS, usage);
        else if (!strcmp(a, "--streams")) opt.streams = (int)h2w_num(v, 1, MAX_STREAMS, usage);
        else if (!strcmp(a, "--seconds")) opt.seconds = (int)h2w_num(v, 1, 60, usage);
        else if (!strcmp(a, "--warmup")) opt.warmup = (int)h2w_num(v, 0, 10, usage);
        else if (!strcmp(a, "--drain")) opt.drain = (int)h2w_num(v, 1, 120, usage);
        else if (!strcmp(a, "--path")) opt.path = v;
        else if (!strcmp(a, "--body-per-line")) opt.body_per_line = (int)h2w_num(v, 0, 1, usage);
        else if (!strcmp(a, "--token-per-line")) opt.token_per_line = (int)h2w_num(v, 0, 1, usage);
        else if (!strcmp(a, "--rate")) opt.rate = (int)h2w_num(v, 1, 1000000, usage);
        else usage();
    }
    if (!opt.port || !opt.token_path || !opt.body_path || opt.path[0] != '/' || strlen(opt.path) > 120)
        usage();
    return load();
}
