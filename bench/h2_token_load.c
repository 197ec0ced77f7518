/*
 * bench/h2_token_load.c — the "first-seen token" load of bench/identity.sh. Loopback only, self-contained but for
 * the HTTP/2 framing and HPACK basics of bench/h2_wire.{h,c} (no libnghttp2).
 *
 * Mint mode: writes N ES256 tokens (one per line), each with its own sub and jti, exp one hour ahead:
 *   h2_token_load --mint N --key ISSUER.pem --iss ISS --aud AUD --out FILE [--scope ping] [--acr 2] [--threads 2]
 *   Header {"alg":"ES256","typ":"at+jwt"} (RFC 9068, as cong requires); claims iss, aud, sub, jti, iat, exp, scope,
 *   acr (string, as cong-jwt-mint).
 *   Signed with EVP (P-256, SHA-256); the DER signature is turned into the JWS form R||S (32 + 32 bytes).
 *
 * Load mode: GET PATH on C h2c (prior knowledge) connections to 127.0.0.1:PORT, M concurrent streams each, every
 * request with "authorization: Bearer <next token of FILE>" (HPACK literal without indexing), each token used once:
 *   h2_token_load --port P --tokens FILE [--connections 32] [--streams 16] [--seconds 8] [--warmup 1] [--path /v1/ping]
 *                 [--repeat]
 *   --repeat: the file's first token on every request instead (the "known token" case, measured with this client's
 *   own light per-request timing rather than h2load's --log-file, which slows h2load itself to ~180k req/s).
 *   Requests answered during the first WARMUP seconds are not counted. Prints (key=value lines):
 *     requests=N seconds=S rps=R p50_ms=X p99_ms=Y status_200=.. status_401=.. status_other=.. resets=..
 *     tokens_used=.. tokens_exhausted=0|1
 *   Latency: from queuing the request's HEADERS frame to the frame that ends its response (END_STREAM), in µs.
 *   The client announces the default SETTINGS_HEADER_TABLE_SIZE (4096) as real clients do, and reads only :status,
 *   which h2o sends as a static-table index (200 204 206 304 400 404 500) or a literal; anything else counts as other.
 * Exit status 0, 1 on a failure, 2 on a usage error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "h2_wire.h"

const char h2w_prog[] = "h2_token_load";

static void usage(void)
{
    fputs("usage: h2_token_load --mint N --key PEM --iss ISS --aud AUD --out FILE [--scope S] [--acr A] [--threads T]\n"
          "       h2_token_load --port P --tokens FILE [--connections C] [--streams M] [--seconds D] [--warmup W]\n"
          "                     [--path /v1/ping] [--repeat]\n",
          stderr);
    exit(2);
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
        /* base64url({"alg":"ES256","typ":"at+jwt"}) */
        size_t n = (size_t)snprintf(signing_input, sizeof signing_input, "eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.");
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
        h2w_die("cannot open the key file");
    EVP_PKEY *key = PEM_read_PrivateKey(kf, NULL, NULL, NULL);
    fclose(kf);
    if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC || EVP_PKEY_get_bits(key) != 256)
        h2w_die("the key is not an EC P-256 private key (PEM)");
    if (strlen(iss) + strlen(aud) + strlen(scope) + strlen(acr) > 300)
        h2w_die("claims too long");
    if (threads < 1 || threads > 16)
        threads = 1;
    uint8_t rnd[8];
    if (RAND_bytes(rnd, sizeof rnd) != 1)
        h2w_die("RAND_bytes failed");
    mint_job_t jobs[16];
    pthread_t tid[16];
    int64_t t0 = h2w_now_us();
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
            h2w_die("out of memory");
        if (pthread_create(&tid[t], NULL, mint_worker, j) != 0)
            h2w_die("pthread_create failed");
    }
    FILE *out = fopen(out_path, "w");
    if (out == NULL)
        h2w_die("cannot write the token file");
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
        h2w_die("minting failed");
    double s = (double)(h2w_now_us() - t0) / 1e6;
    fprintf(stderr, "h2_token_load: minted %ld tokens in %.2f s (%.0f/s, %d threads)\n", count, s, count / s, threads);
    return 0;
}

/* ---- load -------------------------------------------------------------------------------------------------------- */

#define MAX_CONNS 1024
#define MAX_STREAMS 256
#define STREAM_SLOTS 1024 /* stream id / 2 modulo this: more than the streams in flight on one connection */

typedef struct {
    h2w_conn_t w; /* connection-level state (bench/h2_wire.h) */
    int64_t sent_us[STREAM_SLOTS];
    int status[STREAM_SLOTS];
    uint32_t id_of[STREAM_SLOTS];
} conn_t;

static struct {
    int port, conns, streams, seconds, warmup, repeat;
    const char *path, *tokens_path;
} opt = {0, 32, 16, 8, 1, 0, "/v1/ping", NULL};

static char *tokens;
static size_t tokens_len, tokens_pos;
static uint64_t tokens_used;
static int tokens_exhausted;

static uint32_t *lat;
static size_t lat_n, lat_cap;
static uint64_t st_200, st_401, st_other, st_resets, st_warm;
static int64_t measure_from, measure_to;

/* next token from the file, or NULL when none is left */
static const char *next_token(size_t *len)
{
    static const char *first;
    static size_t first_len;
    if (opt.repeat && first != NULL) {
        *len = first_len;
        tokens_used++;
        return first;
    }
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
    if (first == NULL)
        first = t, first_len = n;
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
        h2w_die("a token is too long");
    block[n++] = 0x82; /* :method GET */
    block[n++] = 0x86; /* :scheme http */
    n += h2w_hpack_int(block + n, 0x00, 4, 4); /* :path, literal without indexing, name index 4 */
    n += h2w_hpack_int(block + n, 0x00, 7, plen);
    memcpy(block + n, opt.path, plen), n += plen;
    n += h2w_hpack_int(block + n, 0x00, 4, 1); /* :authority */
    n += h2w_hpack_int(block + n, 0x00, 7, 9);
    memcpy(block + n, "127.0.0.1", 9), n += 9;
    n += h2w_hpack_int(block + n, 0x00, 4, 23); /* authorization, literal without indexing, name index 23 */
    n += h2w_hpack_int(block + n, 0x00, 7, tlen + 7);
    memcpy(block + n, "Bearer ", 7), n += 7;
    memcpy(block + n, tok, tlen), n += tlen;
    uint32_t id = c->w.next_stream;
    c->w.next_stream += 2;
    unsigned slot = (id >> 1) % STREAM_SLOTS;
    c->id_of[slot] = id;
    c->status[slot] = 0;
    c->sent_us[slot] = h2w_now_us();
    h2w_frame(&c->w, H2W_F_HEADERS, H2W_FL_END_HEADERS | H2W_FL_END_STREAM, id, block, n);
    c->w.in_flight++;
    return 0;
}

static void finish_stream(conn_t *c, uint32_t id, int reset)
{
    unsigned slot = (id >> 1) % STREAM_SLOTS;
    if (c->id_of[slot] != id)
        return;
    c->id_of[slot] = 0;
    c->w.in_flight--;
    int64_t t = h2w_now_us();
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
                    h2w_die("out of memory");
            }
            lat[lat_n++] = (uint32_t)(t - c->sent_us[slot]);
        }
    }
    if (t < measure_to && !tokens_exhausted && c->w.alive)
        send_request(c);
}

static int conn_open(conn_t *c)
{
    memset(c, 0, sizeof *c);
    if (h2w_conn_open(&c->w, opt.port) != 0)
        return -1;
    for (int i = 0; i < opt.streams; i++)
        if (send_request(c) != 0)
            break;
    return 0;
}

/* HEADERS: the answer's :status; END_STREAM or RST_STREAM: the request is done. */
static void on_stream_frame(void *ctx, const h2w_stream_frame_t *f)
{
    conn_t *c = ctx;
    if (f->type == H2W_F_RST_STREAM) {
        finish_stream(c, f->stream, 1);
        return;
    }
    unsigned slot = (f->stream >> 1) % STREAM_SLOTS;
    if (f->type == H2W_F_HEADERS && c->id_of[slot] == f->stream && c->status[slot] == 0 && f->block)
        c->status[slot] = h2w_block_status(f->block, f->len);
    if (f->flags & H2W_FL_END_STREAM)
        finish_stream(c, f->stream, 0);
}

static void conn_parse_cb(void *ctx)
{
    conn_t *c = ctx;
    h2w_conn_parse(&c->w, on_stream_frame, c);
}

static int load(void)
{
    int fd = open(opt.tokens_path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        h2w_die("cannot read the token file");
    tokens_len = (size_t)st.st_size;
    tokens = malloc(tokens_len + 1);
    if (tokens == NULL)
        h2w_die("out of memory");
    for (size_t got = 0; got < tokens_len;) {
        ssize_t r = read(fd, tokens + got, tokens_len - got);
        if (r <= 0)
            h2w_die("cannot read the token file");
        got += (size_t)r;
    }
    close(fd);

    static conn_t conns[MAX_CONNS];
    int ep = epoll_create1(0);
    int64_t start = h2w_now_us();
    measure_from = start + (int64_t)opt.warmup * 1000000;
    measure_to = measure_from + (int64_t)opt.seconds * 1000000;
    for (int i = 0; i < opt.conns; i++) {
        if (conn_open(&conns[i]) != 0)
            h2w_die("cannot connect to 127.0.0.1");
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].w.fd, &ev);
    }
    struct epoll_event evs[MAX_CONNS];
    int64_t ended = 0;
    for (;;) {
        int64_t t = h2w_now_us();
        int busy = 0;
        for (int i = 0; i < opt.conns; i++)
            busy += conns[i].w.fd >= 0 && conns[i].w.in_flight > 0;
        if (t >= measure_to || (tokens_exhausted && busy == 0)) {
            ended = t < measure_to ? t : measure_to;
            break;
        }
        int n = epoll_wait(ep, evs, MAX_CONNS, 50);
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
                if (h2w_now_us() >= measure_from)
                    st_resets += (uint64_t)c->w.in_flight;
                h2w_conn_close(&c->w);
                if (h2w_now_us() < measure_to && !tokens_exhausted && conn_open(c) == 0) {
                    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u32 = evs[k].data.u32};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c->w.fd, &ev);
                    h2w_conn_flush(&c->w);
                }
            }
        }
        /* requests queued by finish_stream on connections without a fresh event */
        for (int i = 0; i < opt.conns; i++)
            if (conns[i].w.fd >= 0 && conns[i].w.out.len > conns[i].w.out.off && h2w_conn_flush(&conns[i].w) != 0)
                h2w_conn_close(&conns[i].w);
    }
    for (int i = 0; i < opt.conns; i++)
        h2w_conn_close(&conns[i].w);
    double secs = (double)(ended - measure_from) / 1e6;
    if (secs <= 0)
        h2w_die("the token file ran out during the warm-up: mint more tokens");
    qsort(lat, lat_n, sizeof *lat, h2w_cmp_u32);
    uint64_t total = st_200 + st_401 + st_other;
    printf("requests=%llu seconds=%.3f rps=%.1f p50_ms=%.2f p99_ms=%.2f status_200=%llu status_401=%llu "
           "status_other=%llu resets=%llu warmup_requests=%llu tokens_used=%llu tokens_exhausted=%d\n",
           (unsigned long long)total, secs, (double)total / secs, h2w_pct_ms(lat, lat_n, 0.50),
           h2w_pct_ms(lat, lat_n, 0.99), (unsigned long long)st_200, (unsigned long long)st_401,
           (unsigned long long)st_other, (unsigned long long)st_resets, (unsigned long long)st_warm,
           (unsigned long long)tokens_used, tokens_exhausted);
    return total > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    long mint_n = 0;
    int threads = 2;
    const char *key = NULL, *iss = NULL, *aud = NULL, *out = NULL, *scope = "ping", *acr = "2";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--repeat")) {
            opt.repeat = 1;
            continue;
        }
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--mint")) mint_n = h2w_num(v, 1, 100000000, usage);
        else if (!strcmp(a, "--key")) key = v;
        else if (!strcmp(a, "--iss")) iss = v;
        else if (!strcmp(a, "--aud")) aud = v;
        else if (!strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--scope")) scope = v;
        else if (!strcmp(a, "--acr")) acr = v;
        else if (!strcmp(a, "--threads")) threads = (int)h2w_num(v, 1, 16, usage);
        else if (!strcmp(a, "--port")) opt.port = (int)h2w_num(v, 1, 65535, usage);
        else if (!strcmp(a, "--tokens")) opt.tokens_path = v;
        else if (!strcmp(a, "--connections")) opt.conns = (int)h2w_num(v, 1, MAX_CONNS, usage);
        else if (!strcmp(a, "--streams")) opt.streams = (int)h2w_num(v, 1, MAX_STREAMS, usage);
        else if (!strcmp(a, "--seconds")) opt.seconds = (int)h2w_num(v, 1, 60, usage);
        else if (!strcmp(a, "--warmup")) opt.warmup = (int)h2w_num(v, 0, 10, usage);
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
