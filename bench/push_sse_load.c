/*
 * bench/push_sse_load.c — many Server-Sent Events streams (GET /v1/me/events) held open on a local cong, then the
 * delivery latency of events published at a fixed rate, from the PUBLISH to the SSE client, and then of events
 * committed to push_outbox, from the commit to the SSE client (bench/push_sse.sh).
 *
 *   push_sse_load --port P --redis-port R --token-file F --connections C --streams S --hold SECONDS
 *                 --rate EVENTS_PER_S --seconds T [--commands 1]
 *
 * F holds "SUBJECT TOKEN" lines; stream k (C × S of them, S on each of C h2c connections) uses line k mod lines. The
 * connections open five at a time, each group once the previous one's streams have answered. Once
 * every stream has answered 200 and sent its retry hint (or 120 s passed) it prints "ready OPEN FAILED" and holds them
 * SECONDS (the script measures cong's memory meanwhile), then for T seconds appends, every 1/RATE s, one entry to the
 * next subject's live log exactly as push/live.h's writers do (XADD MAXLEN ~ 1000, EXPIRE, PUBLISH on cong:live, one
 * EVAL over its own Redis connection), its data carrying the wall-clock time in µs; every event read back on a
 * stream gives one latency. Prints "streams=... published=... delivered=... p50_ms=... p99_ms=...". Loopback only.
 *
 * With --commands 1 it then keeps the streams open and takes lines on stdin (the script commits push_outbox rows
 * meanwhile, and cong-push-relay and cong-push-worker carry them to the live logs):
 *   measure LABEL   forget what the previous measure saw; answers "measuring LABEL"
 *   expect N        waits until N distinct push_outbox events arrived since the measure (at most 30 s without a new
 *                   one), then answers "commit label=LABEL committed=N delivered=D duplicates=X p50_ms=... p99_ms=...
 *                   max_ms=..." — each latency from the event's payload member "commit_us" (µs since the epoch,
 *                   written by the committing transaction) to the event read on its stream
 *   quit (or EOF)   exits
 * Events are parsed per SSE event (up to its blank line), an event split over DATA frames included.
 *
 * Build: cc -O2 -Wall -Wextra -o push_sse_load bench/push_sse_load.c bench/h2_wire.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "h2_wire.h"

const char h2w_prog[] = "push_sse_load";

#define MAX_CONNS 4096
#define MAX_STREAMS 128

static struct {
    int port, redis_port, conns, streams, hold, rate, seconds, commands;
    const char *token_path;
} opt;

typedef struct conn {
    h2w_conn_t w;
    uint8_t ready[MAX_STREAMS]; /* 1: 200 and the retry hint seen; 2: failed */
    char *carry[MAX_STREAMS];   /* the start of an SSE event whose blank line has not come yet (malloc'd), or NULL */
    size_t carry_len[MAX_STREAMS];
} conn_t;

typedef struct latencies {
    uint32_t *v; /* µs */
    size_t n, cap;
} latencies_t;

static char **subjects, **tokens;
static size_t lines;
static long open_ok, open_failed;
static latencies_t published_lat; /* the PUBLISH phase */
static int measuring;             /* the PUBLISH phase is on */

/* The commit phases (--commands 1): push_outbox events with an id >= commit_from, each counted once by its id. */
static latencies_t commit_lat;
static int committing;
static unsigned long long commit_from;
static uint8_t *seen; /* seen[id]: that push_outbox event was read (on any stream, in any phase) */
static size_t seen_cap;
static long commit_distinct, commit_duplicates;

static void usage(void)
{
    fprintf(stderr, "usage: push_sse_load --port P --redis-port R --token-file F --connections C --streams S "
                    "--hold SECONDS --rate N --seconds T [--commands 1]\n");
    exit(2);
}

static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void read_tokens(void)
{
    FILE *f = fopen(opt.token_path, "r");
    if (f == NULL)
        h2w_die("cannot open the token file");
    char line[8192];
    size_t cap = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        char *sp = strchr(line, ' ');
        if (sp == NULL)
            continue;
        *sp = '\0';
        line[strcspn(sp + 1, "\r\n") + (size_t)(sp + 1 - line)] = '\0';
        if (lines == cap) {
            cap = cap ? cap * 2 : 1024;
            subjects = realloc(subjects, cap * sizeof *subjects);
            tokens = realloc(tokens, cap * sizeof *tokens);
            if (subjects == NULL || tokens == NULL)
                h2w_die("out of memory");
        }
        subjects[lines] = strdup(line);
        tokens[lines++] = strdup(sp + 1);
    }
    fclose(f);
    if (lines == 0)
        h2w_die("the token file has no line");
}

static size_t literal(uint8_t *dst, int name_index, const char *value, size_t len)
{
    size_t n = h2w_hpack_int(dst, 0x00, 4, (size_t)name_index);
    n += h2w_hpack_int(dst + n, 0x00, 7, len);
    memcpy(dst + n, value, len);
    return n + len;
}

static void open_stream(conn_t *c, size_t k)
{
    uint8_t block[9000];
    char bearer[8200];
    size_t n = 0;
    int blen = snprintf(bearer, sizeof bearer, "Bearer %s", tokens[k % lines]);
    block[n++] = 0x82; /* :method GET */
    block[n++] = 0x86; /* :scheme http */
    n += literal(block + n, 4, "/v1/me/events", 13);
    n += literal(block + n, 1, "127.0.0.1", 9);
    n += literal(block + n, 23, bearer, (size_t)blen);
    h2w_frame(&c->w, H2W_F_HEADERS, H2W_FL_END_HEADERS | H2W_FL_END_STREAM, c->w.next_stream, block, n);
    c->w.next_stream += 2;
}

static void latency_add(latencies_t *l, int64_t us)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1 << 16;
        if ((l->v = realloc(l->v, l->cap * sizeof *l->v)) == NULL)
            h2w_die("out of memory");
    }
    l->v[l->n++] = us < 0 ? 0 : us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/* A push_outbox event read now: its id (event key "push_outbox:<id>") counts once; its latency is from commit_us. */
static void note_commit(const char *ev, size_t len, const char *commit_us, int64_t now)
{
    static const char KEY[] = "\"event_key\":\"push_outbox:";
    const char *k = memmem(ev, len, KEY, sizeof KEY - 1);
    if (k == NULL)
        return;
    unsigned long long id = strtoull(k + sizeof KEY - 1, NULL, 10);
    if (id >= seen_cap) {
        size_t cap = seen_cap ? seen_cap : 1 << 16;
        while (cap <= id)
            cap *= 2;
        if ((seen = realloc(seen, cap)) == NULL)
            h2w_die("out of memory");
        memset(seen + seen_cap, 0, cap - seen_cap);
        seen_cap = cap;
    }
    if (seen[id]++) {
        commit_duplicates += committing && id >= commit_from;
        return;
    }
    if (committing && id >= commit_from) {
        commit_distinct++;
        latency_add(&commit_lat, now - strtoll(commit_us, NULL, 10));
    }
}

/* One SSE event (its text up to the blank line): a push_outbox event if its data has "commit_us", else one of the
 * PUBLISH phase if it has "t". The numbers end before the event's closing brace: strtoll stays inside it. */
static void note_event(const char *ev, size_t len)
{
    int64_t now = wall_us();
    const char *c = memmem(ev, len, "\"commit_us\":", 12);
    if (c != NULL) {
        note_commit(ev, len, c + 12, now);
        return;
    }
    const char *t = memmem(ev, len, "\"t\":", 4);
    if (t == NULL || !measuring)
        return;
    int64_t at = strtoll(t + 4, NULL, 10);
    if (at > 0 && now >= at)
        latency_add(&published_lat, now - at);
}

/* The complete events at the start of s; returns the bytes they take (the rest is an event still coming). */
static size_t note_events(const char *s, size_t len)
{
    size_t off = 0;
    for (const char *end; (end = memmem(s + off, len - off, "\n\n", 2)) != NULL; off = (size_t)(end - s) + 2)
        note_event(s + off, (size_t)(end - (s + off)));
    return off;
}

/* A stream's DATA: its events, an event split over frames joined first (carry). */
static void on_data(conn_t *c, unsigned slot, const uint8_t *p, size_t len)
{
    if (c->carry[slot] == NULL) {
        size_t done = note_events((const char *)p, len);
        if (done == len)
            return;
        len -= done, p += done;
    } else if (c->carry_len[slot] + len > (1u << 20)) {
        h2w_die("an SSE event longer than 1 MiB");
    }
    char *buf = realloc(c->carry[slot], c->carry_len[slot] + len);
    if (buf == NULL)
        h2w_die("out of memory");
    memcpy(buf + c->carry_len[slot], p, len);
    size_t have = c->carry_len[slot] + len, done = note_events(buf, have);
    memmove(buf, buf + done, have - done);
    c->carry_len[slot] = have - done;
    c->carry[slot] = buf;
    if (c->carry_len[slot] == 0) {
        free(buf);
        c->carry[slot] = NULL;
    }
}

static void on_stream_frame(void *ctx, const h2w_stream_frame_t *f)
{
    conn_t *c = ctx;
    unsigned slot = (f->stream - 1) / 2;
    if (slot >= MAX_STREAMS)
        return;
    if (f->type == H2W_F_HEADERS && f->block != NULL && c->ready[slot] == 0 &&
        h2w_block_status(f->block, f->len) != 200) {
        if (open_failed == 0)
            fprintf(stderr, "push_sse_load: a stream answered %d\n", h2w_block_status(f->block, f->len));
        c->ready[slot] = 2, open_failed++;
    } else if (f->type == H2W_F_DATA && f->block != NULL) {
        static int shown;
        if (c->ready[slot] == 2 && !shown++)
            fprintf(stderr, "push_sse_load: %.*s\n", (int)(f->len < 400 ? f->len : 400), (const char *)f->block);
        if (c->ready[slot] == 0 && memmem(f->block, f->len, "retry:", 6) != NULL)
            c->ready[slot] = 1, open_ok++;
        on_data(c, slot, f->block, f->len);
    } else if (f->type == H2W_F_RST_STREAM || (f->flags & H2W_FL_END_STREAM)) {
        if (c->ready[slot] == 1)
            open_ok--;
        if (c->ready[slot] != 2)
            c->ready[slot] = 2, open_failed++;
    }
}

static void parse_cb(void *ctx)
{
    conn_t *c = ctx;
    h2w_conn_parse(&c->w, on_stream_frame, c);
}

static int redis_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.redis_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        h2w_die("cannot connect to Redis");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

static const char APPEND[] =
    "local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', 1000, '*', 'k', ARGV[2], 'e', 'bench.sse', 'd', ARGV[3]) "
    "redis.call('EXPIRE', KEYS[1], 2592000) redis.call('PUBLISH', 'cong:live', ARGV[1]) return id";

static void resp_arg(char **p, const char *s)
{
    *p += sprintf(*p, "$%zu\r\n%s\r\n", strlen(s), s);
}

/* One entry for `subject`, its data carrying the time now; the reply is read and dropped later. */
static void publish(int fd, const char *subject, unsigned long n)
{
    char cmd[2048], key[256], ek[48], data[256], *p = cmd;
    snprintf(key, sizeof key, "cong:user:%s:log", subject);
    snprintf(ek, sizeof ek, "bench:%lu", n);
    snprintf(data, sizeof data, "{\"event_key\":\"%s\",\"topic\":\"bench.sse\",\"inbox_id\":null,\"t\":%lld}", ek,
             (long long)wall_us());
    p += sprintf(p, "*7\r\n");
    resp_arg(&p, "EVAL"), resp_arg(&p, APPEND), resp_arg(&p, "1"), resp_arg(&p, key), resp_arg(&p, subject);
    resp_arg(&p, ek), resp_arg(&p, data);
    if (write(fd, cmd, (size_t)(p - cmd)) != p - cmd)
        h2w_die("Redis write failed");
}

static void pump(conn_t *conns, int ep, int timeout_ms, int redis_fd)
{
    struct epoll_event evs[256];
    int n = epoll_wait(ep, evs, 256, timeout_ms);
    for (int k = 0; k < n; k++) {
        if (evs[k].data.u32 == MAX_CONNS) {
            char sink[65536];
            while (read(redis_fd, sink, sizeof sink) > 0)
                ;
            continue;
        }
        if (evs[k].data.u32 > MAX_CONNS) /* stdin: read by command_loop */
            continue;
        conn_t *c = &conns[evs[k].data.u32];
        if (c->w.fd < 0)
            continue;
        if (((evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && h2w_conn_recv(&c->w, parse_cb, c) != 0) ||
            h2w_conn_flush(&c->w) != 0)
            h2w_conn_close(&c->w);
    }
}

static long still_open(const conn_t *conns)
{
    long n = 0;
    for (int i = 0; i < opt.conns; i++)
        for (int j = 0; j < opt.streams; j++)
            n += conns[i].w.fd >= 0 && conns[i].ready[j] == 1;
    return n;
}

/* "expect N": until N push_outbox events of the measure arrived (30 s without a new one at most), then a little
 * longer for a duplicate; prints the measure's line. 1 when all N arrived once. */
static int expect(conn_t *conns, int ep, int redis_fd, const char *label, long committed)
{
    int64_t last = h2w_now_us();
    long had = commit_distinct;
    while (commit_distinct < committed && h2w_now_us() - last < 30 * 1000000LL) {
        pump(conns, ep, 20, redis_fd);
        if (commit_distinct != had)
            had = commit_distinct, last = h2w_now_us();
    }
    for (int64_t until = h2w_now_us() + 500000; h2w_now_us() < until;)
        pump(conns, ep, 20, redis_fd);
    committing = 0;
    latencies_t *l = &commit_lat;
    qsort(l->v, l->n, sizeof *l->v, h2w_cmp_u32);
    printf("commit label=%s still_open=%ld committed=%ld delivered=%ld duplicates=%ld p50_ms=%.2f p99_ms=%.2f "
           "max_ms=%.2f\n",
           label, still_open(conns), committed, commit_distinct, commit_duplicates, h2w_pct_ms(l->v, l->n, 0.50),
           h2w_pct_ms(l->v, l->n, 0.99), l->n ? l->v[l->n - 1] / 1000.0 : 0.0);
    fflush(stdout);
    return commit_distinct == committed && commit_duplicates == 0;
}

/* One command line of stdin (the header's list). 0: go on; 1: quit. */
static int command(conn_t *conns, int ep, int redis_fd, const char *line, int *ok)
{
    static char label[64] = "-";
    unsigned long long from;
    long committed;
    if (sscanf(line, "measure %63s %llu", label, &from) == 2) {
        commit_lat.n = 0, commit_distinct = 0, commit_duplicates = 0;
        commit_from = from, committing = 1;
        printf("measuring %s\n", label);
        fflush(stdout);
    } else if (sscanf(line, "expect %ld", &committed) == 1) {
        *ok &= expect(conns, ep, redis_fd, label, committed);
    } else if (strcmp(line, "quit") == 0) {
        return 1;
    } else {
        fprintf(stderr, "push_sse_load: unknown command: %s\n", line);
    }
    return 0;
}

/* The commands of stdin, the streams pumped meanwhile. 1 when every measure's events arrived once. */
static int command_loop(conn_t *conns, int ep, int redis_fd)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = MAX_CONNS + 1};
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
    char buf[4096];
    size_t have = 0;
    int ok = 1;
    for (;;) {
        pump(conns, ep, 50, redis_fd);
        ssize_t n = read(0, buf + have, sizeof buf - 1 - have);
        if (n == 0)
            return ok;
        have += n > 0 ? (size_t)n : 0;
        for (char *nl; (nl = memchr(buf, '\n', have)) != NULL;) {
            *nl = '\0';
            if (command(conns, ep, redis_fd, buf, &ok))
                return ok;
            have -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, have);
        }
        if (have == sizeof buf - 1)
            h2w_die("a command line longer than 4 KiB");
    }
}

static int run(void)
{
    static conn_t conns[MAX_CONNS];
    int ep = epoll_create1(0), redis_fd = redis_connect();
    struct epoll_event rev = {.events = EPOLLIN | EPOLLET, .data.u32 = MAX_CONNS};
    epoll_ctl(ep, EPOLL_CTL_ADD, redis_fd, &rev);
    long total = (long)opt.conns * opt.streams;
    for (int i = 0; i < opt.conns; i++) {
        if (h2w_conn_open(&conns[i].w, opt.port) != 0)
            h2w_die("cannot connect to 127.0.0.1");
        for (int j = 0; j < opt.streams; j++)
            open_stream(&conns[i], (size_t)i * (size_t)opt.streams + (size_t)j);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].w.fd, &ev);
        h2w_conn_flush(&conns[i].w);
        pump(conns, ep, 0, redis_fd);
        /* A few connections' streams at a time, as apps come and go: 20,000 requests arriving in one burst would
         * hold the worker's loop past redis.timeout_ms before it reads its first Redis reply. */
        long opened = (long)(i + 1) * opt.streams;
        for (int64_t wait = h2w_now_us() + 30 * 1000000LL;
             (i + 1) % 5 == 0 && open_ok + open_failed < opened && h2w_now_us() < wait;)
            pump(conns, ep, 20, redis_fd);
    }
    int64_t until = h2w_now_us() + 120 * 1000000LL;
    while (open_ok + open_failed < total && h2w_now_us() < until)
        pump(conns, ep, 50, redis_fd);
    printf("ready %ld %ld\n", open_ok, total - open_ok);
    fflush(stdout);
    for (until = h2w_now_us() + (int64_t)opt.hold * 1000000; h2w_now_us() < until;)
        pump(conns, ep, 50, redis_fd);
    measuring = 1;
    int64_t start = h2w_now_us(), step = 1000000 / opt.rate, next = start;
    unsigned long published = 0;
    size_t subjects_open = (size_t)total < lines ? (size_t)total : lines;
    while (h2w_now_us() < start + (int64_t)opt.seconds * 1000000) {
        while (h2w_now_us() >= next) {
            publish(redis_fd, subjects[published % subjects_open], published);
            published++;
            next += step;
        }
        pump(conns, ep, 1, redis_fd);
    }
    for (until = h2w_now_us() + 2000000; h2w_now_us() < until;) /* the last events' way back */
        pump(conns, ep, 20, redis_fd);
    measuring = 0;
    const latencies_t *l = &published_lat;
    qsort(l->v, l->n, sizeof *l->v, h2w_cmp_u32);
    printf("streams=%ld still_open=%ld published=%lu delivered=%zu rate=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
           open_ok, still_open(conns), published, l->n, opt.rate, h2w_pct_ms(l->v, l->n, 0.50),
           h2w_pct_ms(l->v, l->n, 0.99), l->n ? l->v[l->n - 1] / 1000.0 : 0.0);
    fflush(stdout);
    int ok = open_ok == total && l->n == published;
    if (opt.commands)
        ok &= command_loop(conns, ep, redis_fd);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--port")) opt.port = (int)h2w_num(v, 1, 65535, usage);
        else if (!strcmp(a, "--redis-port")) opt.redis_port = (int)h2w_num(v, 1, 65535, usage);
        else if (!strcmp(a, "--token-file")) opt.token_path = v;
        else if (!strcmp(a, "--connections")) opt.conns = (int)h2w_num(v, 1, MAX_CONNS, usage);
        else if (!strcmp(a, "--streams")) opt.streams = (int)h2w_num(v, 1, MAX_STREAMS, usage);
        else if (!strcmp(a, "--hold")) opt.hold = (int)h2w_num(v, 0, 600, usage);
        else if (!strcmp(a, "--rate")) opt.rate = (int)h2w_num(v, 1, 100000, usage);
        else if (!strcmp(a, "--seconds")) opt.seconds = (int)h2w_num(v, 1, 600, usage);
        else if (!strcmp(a, "--commands")) opt.commands = (int)h2w_num(v, 0, 1, usage);
        else usage();
    }
    if (argc % 2 == 0 || !opt.port || !opt.redis_port || !opt.token_path || !opt.conns || !opt.streams || !opt.rate ||
        !opt.seconds)
        usage();
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    read_tokens();
    return run();
}
