/*
 * bench/h2_token_load.c — the "first-seen token" load of bench/identity.sh. Loopback only, self-contained.
 *
 * Mint mode: writes N ES256 tokens (one per line), each with its own sub and jti, exp one hour ahead:
 *   h2_token_load --mint N --key ISSUER.pem --iss ISS --aud AUD --out FILE [--scope ping] [--acr 2] [--threads 2]
 *   Header {"alg":"ES256","typ":"JWT"}; claims iss, aud, sub, jti, iat, exp, scope, acr (string, as cong-jwt-mint).
 *   Signed with EVP (P-256, SHA-256); the DER signature is turned into the JWS form R||S (32 + 32 bytes).
 *
 * Load mode: GET PATH on C h2c (prior knowledge) connections to 127.0.0.1:PORT, M concurrent streams each, every
 * request with "authorization: Bearer <next token of FILE>" (HPACK literal without indexing), each token used once:
 *   h2_token_load --port P --tokens FILE [--connections 32] [--streams 16] [--seconds 8] [--warmup 1] [--path /v1/ping]
 *   Requests answered during the first WARMUP seconds are not counted. Prints (key=value lines):
 *     requests=N seconds=S rps=R p50_ms=X p99_ms=Y status_200=.. status_401=.. status_other=.. resets=..
 *     tokens_used=.. tokens_exhausted=0|1
 *   Latency: from queuing the request's HEADERS frame to the frame that ends its response (END_STREAM), in µs.
 *   The client announces SETTINGS_HEADER_TABLE_SIZE 0 so that the server's :status is either a static-table index
 *   (200 204 206 304 400 404 500) or a literal (plain or Huffman-coded digits); anything else counts as other.
 * Exit status 0, 1 on a failure, 2 on a usage error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <pthread.h>
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
    fprintf(stderr, "h2_token_load: %s\n", msg);
    exit(1);
}

static void usage(void)
{
    fputs("usage: h2_token_load --mint N --key PEM --iss ISS --aud AUD --out FILE [--scope S] [--acr A] [--threads T]\n"
          "       h2_token_load --port P --tokens FILE [--connections C] [--streams M] [--seconds D] [--warmup W]\n"
          "                     [--path /v1/ping]\n",
          stderr);
    exit(2);
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- minting ----------------------------------------------------------------------------------------------------- */

static size_t b64url(const uint8_t *in, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = tab[v >> 18 & 63], out[o++] = tab[v >> 12 & 63], out[o++] = tab[v >> 6 & 63], out[o++] = tab[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = tab[v >> 18 & 63], out[o++] = tab[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = tab[v >> 18 & 63], out[o++] = tab[v >> 12 & 63], out[o++] = tab[v >> 6 & 63];
    }
    out[o] = '\0';
    return o;
}

#define TOKEN_MAX 1024

typedef struct {
    EVP_PKEY *key;
    const char *iss, *aud, *scope, *acr;
    long first, count;
    long long now;
    char run[17]; /* random per mint run: jti and sub stay distinct across runs */
    char *out;    /* count lines, TOKEN_MAX each at most */
    size_t out_len;
    int failed;
} mint_job_t;

static void *mint_worker(void *arg)
{
    mint_job_t *j = arg;
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(j->key, NULL);
    if (pctx == NULL || EVP_PKEY_sign_init(pctx) <= 0) {
        j->failed = 1;
        return NULL;
    }
    char claims[512], signing_input[TOKEN_MAX];
    for (long i = j->first; i < j->first + j->count; i++) {
        int cn = snprintf(claims, sizeof claims,
                          "{\"iss\":\"%s\",\"aud\":\"%s\",\"sub\":\"bench-%s-%ld\",\"jti\":\"%s-%ld\",\"iat\":%lld,"
                          "\"exp\":%lld,\"scope\":\"%s\",\"acr\":\"%s\"}",
                          j->iss, j->aud, j->run, i, j->run, i, j->now, j->now + 3600, j->scope, j->acr);
        if (cn <= 0 || (size_t)cn >= sizeof claims) {
            j->failed = 1;
            break;
        }
        /* base64url({"alg":"ES256","typ":"JWT"}) */
        size_t n = (size_t)snprintf(signing_input, sizeof signing_input, "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.");
        n += b64url((const uint8_t *)claims, (size_t)cn, signing_input + n);
        uint8_t digest[32], der[80], rs[64];
        size_t der_len = sizeof der;
        EVP_Digest(signing_input, n, digest, NULL, EVP_sha256(), NULL);
        if (EVP_PKEY_sign(pctx, der, &der_len, digest, sizeof digest) <= 0) {
            j->failed = 1;
            break;
        }
        const uint8_t *p = der;
        ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
        if (sig == NULL || BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, 32) != 32 ||
            BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + 32, 32) != 32) {
            ECDSA_SIG_free(sig);
            j->failed = 1;
            break;
        }
        ECDSA_SIG_free(sig);
        char *o = j->out + j->out_len;
        memcpy(o, signing_input, n);
        o[n++] = '.';
        n += b64url(rs, 64, o + n);
        o[n++] = '\n';
        j->out_len += n;
    }
    EVP_PKEY_CTX_free(pctx);
    return NULL;
}

static int mint(long count, const char *key_path, const char *iss, const char *aud, const char *scope, const char *acr,
                const char *out_path, int threads)
{
    FILE *kf = fopen(key_path, "r");
    if (kf == NULL)
        die("cannot open the key file");
    EVP_PKEY *key = PEM_read_PrivateKey(kf, NULL, NULL, NULL);
    fclose(kf);
    if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC || EVP_PKEY_get_bits(key) != 256)
        die("the key is not an EC P-256 private key (PEM)");
    if (strlen(iss) + strlen(aud) + strlen(scope) + strlen(acr) > 300)
        die("claims too long");
    if (threads < 1 || threads > 16)
        threads = 1;
    uint8_t rnd[8];
    if (RAND_bytes(rnd, sizeof rnd) != 1)
        die("RAND_bytes failed");
    mint_job_t jobs[16];
    pthread_t tid[16];
    int64_t t0 = now_us();
    long per = count / threads, first = 0;
    for (int t = 0; t < threads; t++) {
        mint_job_t *j = &jobs[t];
        memset(j, 0, sizeof *j);
        j->key = key, j->iss = iss, j->aud = aud, j->scope = scope, j->acr = acr, j->now = (long long)time(NULL);
        for (int k = 0; k < 8; k++)
            snprintf(j->run + 2 * k, 3, "%02x", rnd[k]);
        j->first = first;
        j->count = t == threads - 1 ? count - first : per;
        first += j->count;
        j->out = malloc((size_t)j->count * TOKEN_MAX);
        if (j->out == NULL)
            die("out of memory");
        if (pthread_create(&tid[t], NULL, mint_worker, j) != 0)
            die("pthread_create failed");
    }
    FILE *out = fopen(out_path, "w");
    if (out == NULL)
        die("cannot write the token file");
    int failed = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        failed |= jobs[t].failed;
        if (fwrite(jobs[t].out, 1, jobs[t].out_len, out) != jobs[t].out_len)
            failed = 1;
        free(jobs[t].out);
    }
    if (fclose(out) != 0)
        failed = 1;
    EVP_PKEY_free(key);
    if (failed)
        die("minting failed");
    double s = (double)(now_us() - t0) / 1e6;
    fprintf(stderr, "h2_token_load: minted %ld tokens in %.2f s (%.0f/s, %d threads)\n", count, s, count / s, threads);
    return 0;
}

/* ---- load -------------------------------------------------------------------------------------------------------- */

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

#define MAX_CONNS 1024
#define MAX_STREAMS 256
#define STREAM_SLOTS 1024 /* stream id / 2 modulo this: more than the streams in flight on one connection */

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
} conn_t;

static struct {
    int port, conns, streams, seconds, warmup;
    const char *path, *tokens_path;
} opt = {0, 32, 16, 8, 1, "/v1/ping", NULL};

static char *tokens;
static size_t tokens_len, tokens_pos;
static uint64_t tokens_used;
static int tokens_exhausted;

static uint32_t *lat;
static size_t lat_n, lat_cap;
static uint64_t st_200, st_401, st_other, st_resets, st_warm;
static int64_t measure_from, measure_to;

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

/* next token from the file, or NULL when none is left */
static const char *next_token(size_t *len)
{
    while (tokens_pos < tokens_len && (tokens[tokens_pos] == '\n' || tokens[tokens_pos] == '\r'))
        tokens_pos++;
    if (tokens_pos >= tokens_len)
        return NULL;
    const char *t = tokens + tokens_pos;
    const char *nl = memchr(t, '\n', tokens_len - tokens_pos);
    size_t n = nl ? (size_t)(nl - t) : tokens_len - tokens_pos;
    tokens_pos += n;
    *len = n;
    tokens_used++;
    return t;
}

static int send_request(conn_t *c)
{
    size_t tlen;
    const char *tok = next_token(&tlen);
    if (tok == NULL) {
        tokens_exhausted = 1;
        return -1;
    }
    uint8_t block[TOKEN_MAX + 256];
    size_t plen = strlen(opt.path), n = 0;
    if (tlen + plen + 64 > sizeof block)
        die("a token is too long");
    block[n++] = 0x82; /* :method GET */
    block[n++] = 0x86; /* :scheme http */
    n += hpack_int(block + n, 0x00, 4, 4); /* :path, literal without indexing, name index 4 */
    n += hpack_int(block + n, 0x00, 7, plen);
    memcpy(block + n, opt.path, plen), n += plen;
    n += hpack_int(block + n, 0x00, 4, 1); /* :authority */
    n += hpack_int(block + n, 0x00, 7, 9);
    memcpy(block + n, "127.0.0.1", 9), n += 9;
    n += hpack_int(block + n, 0x00, 4, 23); /* authorization, literal without indexing, name index 23 */
    n += hpack_int(block + n, 0x00, 7, tlen + 7);
    memcpy(block + n, "Bearer ", 7), n += 7;
    memcpy(block + n, tok, tlen), n += tlen;
    uint32_t id = c->next_stream;
    c->next_stream += 2;
    unsigned slot = (id >> 1) % STREAM_SLOTS;
    c->id_of[slot] = id;
    c->status[slot] = 0;
    c->sent_us[slot] = now_us();
    frame(c, F_HEADERS, FL_END_HEADERS | FL_END_STREAM, id, block, n);
    c->in_flight++;
    return 0;
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
        if (nbits < 5) {
            break;
        }
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
    if (lb & 0x80)
        return huffman_status(v, vlen) > 0 ? huffman_status(v, vlen) : 0;
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
    if (t < measure_from) {
        st_warm++;
    } else if (t < measure_to) {
        if (reset)
            st_resets++;
        else if (c->status[slot] == 200)
            st_200++;
        else if (c->status[slot] == 401)
            st_401++;
        else
            st_other++;
        if (!reset) {
            if (lat_n == lat_cap) {
                lat_cap = lat_cap ? lat_cap * 2 : 1 << 20;
                lat = realloc(lat, lat_cap * sizeof *lat);
                if (lat == NULL)
                    die("out of memory");
            }
            lat[lat_n++] = (uint32_t)(t - c->sent_us[slot]);
        }
    }
    if (t < measure_to && !tokens_exhausted && c->alive)
        send_request(c);
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
    for (int i = 0; i < opt.streams; i++)
        if (send_request(c) != 0)
            break;
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
            if (c->id_of[slot] == sid && c->status[slot] == 0 && off + pad <= len)
                c->status[slot] = block_status(p + off, len - off - pad);
            if (flags & FL_END_STREAM)
                finish_stream(c, sid, 0);
            break;
        }
        case F_DATA:
            c->unacked_data += len;
            if (flags & FL_END_STREAM)
                finish_stream(c, sid, 0);
            break;
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

static int load(void)
{
    int fd = open(opt.tokens_path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        die("cannot read the token file");
    tokens_len = (size_t)st.st_size;
    tokens = malloc(tokens_len + 1);
    if (tokens == NULL)
        die("out of memory");
    for (size_t got = 0; got < tokens_len;) {
        ssize_t r = read(fd, tokens + got, tokens_len - got);
        if (r <= 0)
            die("cannot read the token file");
        got += (size_t)r;
    }
    close(fd);

    static conn_t conns[MAX_CONNS];
    int ep = epoll_create1(0);
    int64_t start = now_us();
    measure_from = start + (int64_t)opt.warmup * 1000000;
    measure_to = measure_from + (int64_t)opt.seconds * 1000000;
    for (int i = 0; i < opt.conns; i++) {
        if (conn_open(&conns[i]) != 0)
            die("cannot connect to 127.0.0.1");
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
    }
    struct epoll_event evs[MAX_CONNS];
    int64_t ended = 0;
    for (;;) {
        int64_t t = now_us();
        int busy = 0;
        for (int i = 0; i < opt.conns; i++)
            busy += conns[i].fd >= 0 && conns[i].in_flight > 0;
        if (t >= measure_to || (tokens_exhausted && busy == 0)) {
            ended = t < measure_to ? t : measure_to;
            break;
        }
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
                if (now_us() >= measure_from)
                    st_resets += (uint64_t)c->in_flight;
                conn_close(c);
                if (now_us() < measure_to && !tokens_exhausted && conn_open(c) == 0) {
                    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u32 = evs[k].data.u32};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
                    conn_flush(c);
                }
            }
        }
        /* requests queued by finish_stream on connections without a fresh event */
        for (int i = 0; i < opt.conns; i++)
            if (conns[i].fd >= 0 && conns[i].out.len > conns[i].out.off && conn_flush(&conns[i]) != 0)
                conn_close(&conns[i]);
    }
    for (int i = 0; i < opt.conns; i++)
        conn_close(&conns[i]);
    double secs = (double)(ended - measure_from) / 1e6;
    if (secs <= 0)
        die("the token file ran out during the warm-up: mint more tokens");
    qsort(lat, lat_n, sizeof *lat, cmp_u32);
    uint64_t total = st_200 + st_401 + st_other;
    printf("requests=%llu seconds=%.3f rps=%.1f p50_ms=%.2f p99_ms=%.2f status_200=%llu status_401=%llu "
           "status_other=%llu resets=%llu warmup_requests=%llu tokens_used=%llu tokens_exhausted=%d\n",
           (unsigned long long)total, secs, (double)total / secs, pct_ms(0.50), pct_ms(0.99),
           (unsigned long long)st_200, (unsigned long long)st_401, (unsigned long long)st_other,
           (unsigned long long)st_resets, (unsigned long long)st_warm, (unsigned long long)tokens_used, tokens_exhausted);
    return total > 0 ? 0 : 1;
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
    long mint_n = 0;
    int threads = 2;
    const char *key = NULL, *iss = NULL, *aud = NULL, *out = NULL, *scope = "ping", *acr = "2";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--mint")) mint_n = num(v, 1, 100000000);
        else if (!strcmp(a, "--key")) key = v;
        else if (!strcmp(a, "--iss")) iss = v;
        else if (!strcmp(a, "--aud")) aud = v;
        else if (!strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--scope")) scope = v;
        else if (!strcmp(a, "--acr")) acr = v;
        else if (!strcmp(a, "--threads")) threads = (int)num(v, 1, 16);
        else if (!strcmp(a, "--port")) opt.port = (int)num(v, 1, 65535);
        else if (!strcmp(a, "--tokens")) opt.tokens_path = v;
        else if (!strcmp(a, "--connections")) opt.conns = (int)num(v, 1, MAX_CONNS);
        else if (!strcmp(a, "--streams")) opt.streams = (int)num(v, 1, MAX_STREAMS);
        else if (!strcmp(a, "--seconds")) opt.seconds = (int)num(v, 1, 60);
        else if (!strcmp(a, "--warmup")) opt.warmup = (int)num(v, 0, 10);
        else if (!strcmp(a, "--path")) opt.path = v;
        else usage();
    }
    if (mint_n > 0) {
        if (!key || !iss || !aud || !out)
            usage();
        return mint(mint_n, key, iss, aud, scope, acr, out, threads);
    }
    if (!opt.port || !opt.tokens_path || opt.path[0] != '/' || strlen(opt.path) > 120)
        usage();
    return load();
}
