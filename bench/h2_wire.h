/*
 * bench/h2_wire.h — the HTTP/2 wire basics shared by the hand-written load clients bench/h2_token_load.c and
 * bench/h2_submit_load.c (no libnghttp2). Loopback only: a connection goes to 127.0.0.1 and nowhere else.
 *
 * Contract:
 *   - The program defines h2w_prog (its name): h2w_die prints "<h2w_prog>: <msg>" on standard error and exits 1.
 *     Every failure to allocate memory ends the process through h2w_die.
 *   - An h2w_buf_t is a byte buffer p[off..len) of capacity cap; whoever holds it owns p (malloc'd, grown by
 *     h2w_buf_put with realloc). The load clients never free them: they live until the process exits.
 *   - An h2w_conn_t is the connection-level state of one h2c (prior knowledge) client connection: its non-blocking
 *     socket (fd, -1 when closed), alive (0 after GOAWAY or close: start no new stream on it), the output and input
 *     buffers it owns, the next client stream id, the streams in flight and the DATA bytes not yet given back with
 *     WINDOW_UPDATE. Per-stream state belongs to the loader, which embeds an h2w_conn_t in its own connection type.
 *     Frames are only queued on out (h2w_frame); h2w_conn_flush writes them; h2w_conn_recv reads into in and hands
 *     the complete frames to the loader's parser, which must consume them (advance in.off).
 *   - h2w_conn_open zeroes *w first: buffers of an earlier connection in *w are dropped, not freed.
 */
#ifndef CONG_BENCH_H2_WIRE_H
#define CONG_BENCH_H2_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define H2W_F_DATA 0
#define H2W_F_HEADERS 1
#define H2W_F_RST_STREAM 3
#define H2W_F_SETTINGS 4
#define H2W_F_PING 6
#define H2W_F_GOAWAY 7
#define H2W_F_WINDOW_UPDATE 8
#define H2W_FL_END_STREAM 0x1
#define H2W_FL_ACK 0x1
#define H2W_FL_END_HEADERS 0x4
#define H2W_FL_PADDED 0x8
#define H2W_FL_PRIORITY 0x20

extern const char h2w_prog[]; /* defined by the program */

typedef struct {
    uint8_t *p;
    size_t off, len, cap;
} h2w_buf_t;

typedef struct {
    int fd;
    int alive;
    h2w_buf_t out, in;
    uint32_t next_stream;
    int in_flight;
    uint64_t unacked_data; /* DATA bytes not yet given back with WINDOW_UPDATE (connection) */
} h2w_conn_t;

void h2w_die(const char *msg);
int64_t h2w_now_us(void); /* CLOCK_MONOTONIC, µs */

void h2w_buf_put(h2w_buf_t *b, const void *src, size_t n);
/* queues one frame (9-byte header + payload) on w->out */
void h2w_frame(h2w_conn_t *w, uint8_t type, uint8_t flags, uint32_t stream, const void *payload, size_t len);
/* HPACK integer with a prefix_bits prefix, first = the bits above the prefix; returns the bytes written */
size_t h2w_hpack_int(uint8_t *dst, uint8_t first, int prefix_bits, size_t v);
/* :status from the first field of a header block (pseudo-headers come first); 0 when not understood: a static-table
 * index or a literal (plain or Huffman-coded digits). The rest of the block is not decoded, so the client keeps no
 * dynamic table: that is right for servers that never index :status (h2o sends 200/204/206/304/400/404/500 as
 * static indexes and every other status as a literal without indexing). */
int h2w_block_status(const uint8_t *p, size_t n);

/* Zeroes *w, connects to 127.0.0.1:port (TCP_NODELAY, non-blocking) and queues the preface, SETTINGS
 * (HEADER_TABLE_SIZE 4096, ENABLE_PUSH 0, INITIAL_WINDOW_SIZE 2^30) and a connection WINDOW_UPDATE; next_stream = 1.
 * 0, or -1 when the connection fails (then alive stays 0). */
int h2w_conn_open(h2w_conn_t *w, int port);
void h2w_conn_close(h2w_conn_t *w); /* closes fd (fd = -1), alive = 0, in_flight = 0 */
/* writes what it can of w->out: 0 (all written, or the socket is full), -1 on a socket error */
int h2w_conn_flush(h2w_conn_t *w);
/* reads until the socket would block, calling parse(ctx) after each read; 0, or -1 when the connection is closed
 * or failed (dead) */
int h2w_conn_recv(h2w_conn_t *w, void (*parse)(void *ctx), void *ctx);

/* A received frame that concerns one stream: HEADERS, DATA or RST_STREAM. For HEADERS and DATA, block/len is the
 * payload without its padding (and without the priority fields of HEADERS), or NULL/0 when the padding does not fit. */
typedef struct h2w_stream_frame {
    uint8_t type, flags;
    uint32_t stream;
    const uint8_t *block;
    size_t len;
} h2w_stream_frame_t;

/* Consumes the complete frames in w->in: answers SETTINGS and PING, stops new streams on GOAWAY (alive = 0), gives the
 * connection window back past 256 MiB of DATA, and hands HEADERS, DATA and RST_STREAM to on_stream(ctx, frame). */
void h2w_conn_parse(h2w_conn_t *w, void (*on_stream)(void *ctx, const h2w_stream_frame_t *f), void *ctx);

int h2w_cmp_u32(const void *a, const void *b); /* qsort comparator for uint32_t */
/* the q quantile (nearest rank) of lat[0..n), sorted ascending, in µs, as ms; 0 when n is 0 */
double h2w_pct_ms(const uint32_t *lat, size_t n, double q);
/* s as a decimal number in [lo, hi], or usage() (which must not return) */
long h2w_num(const char *s, long lo, long hi, void (*usage)(void));

#endif
