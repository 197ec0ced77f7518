/*
 * bench/h2_idle_conns.c — hold many idle HTTP/2 (h2c, prior knowledge) connections open to a local server.
 *
 *   h2_idle_conns -p PORT -n COUNT -s SECONDS [-c PARALLEL_CONNECTS] [-w SETTINGS_WAIT_SECONDS]
 *
 * Opens COUNT TCP connections to 127.0.0.1:PORT (only the loopback address is ever a target), at most
 * PARALLEL_CONNECTS (default 256) connecting at once. On each it sends the HTTP/2 client connection preface and an
 * empty SETTINGS frame, then behaves like an idle client: it reads what the server sends, acknowledges the server's
 * SETTINGS and answers PINGs, and sends no request. When every connection is open and has received the server's
 * SETTINGS (or after SETTINGS_WAIT_SECONDS, default 10), it prints "ready N" and holds the connections for SECONDS,
 * then closes them all (with a reset, so that no TIME_WAIT is left behind) and prints a summary.
 *
 * Raises its own RLIMIT_NOFILE as far as the hard limit allows. stdout is line-buffered so that a script can wait for
 * the "ready" line. Exit status: 0 when every connection stayed open to the end, 1 otherwise, 2 on bad usage.
 *
 * Build: cc -O2 -Wall -Wextra -o h2_idle_conns bench/h2_idle_conns.c
 */
#define _GNU_SOURCE
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum conn_state { CONNECTING, OPEN, CLOSED };

typedef struct conn {
    int fd;
    enum conn_state state;
    unsigned char hdr[9]; /* the frame header being read */
    int hdr_have;
    uint32_t remaining;   /* payload bytes of the current frame still to read */
    int in_ping;
    unsigned char ping[8];
    int ping_have;
    int got_settings;
    int got_goaway;
} conn_t;

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
static const unsigned char settings_empty[9] = {0, 0, 0, 4, 0, 0, 0, 0, 0};
static const unsigned char settings_ack[9] = {0, 0, 0, 4, 1, 0, 0, 0, 0};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
    fprintf(stderr, "usage: h2_idle_conns -p PORT -n COUNT -s SECONDS [-c PARALLEL_CONNECTS] [-w SETTINGS_WAIT_S]\n");
    exit(2);
}

static long parse_long(const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        usage();
    return v;
}

static int send_all(int fd, const void *buf, size_t len)
{
    /* A fresh socket's send buffer holds these few bytes: a short write means the connection is unusable. */
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    return n == (ssize_t)len ? 0 : -1;
}

static void close_conn(conn_t *c, int reset)
{
    if (c->state == CLOSED)
        return;
    if (reset) {
        struct linger lg = {1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(c->fd);
    c->state = CLOSED;
}

/* Feeds bytes the server sent through a minimal frame reader. Returns 0, or -1 when the connection must be dropped. */
static int on_bytes(conn_t *c, const unsigned char *p, size_t n)
{
    size_t off = 0;
    while (off < n) {
        if (c->hdr_have < 9) {
            size_t take = 9 - (size_t)c->hdr_have;
            if (take > n - off)
                take = n - off;
            memcpy(c->hdr + c->hdr_have, p + off, take);
            c->hdr_have += (int)take;
            off += take;
            if (c->hdr_have < 9)
                break;
            uint32_t len = ((uint32_t)c->hdr[0] << 16) | ((uint32_t)c->hdr[1] << 8) | c->hdr[2];
            unsigned type = c->hdr[3], flags = c->hdr[4];
            c->remaining = len;
            c->in_ping = 0;
            if (type == 4 && !(flags & 1)) { /* SETTINGS: acknowledge */
                c->got_settings = 1;
                if (send_all(c->fd, settings_ack, sizeof settings_ack) != 0)
                    return -1;
            } else if (type == 6 && !(flags & 1) && len == 8) { /* PING: answer with the same payload */
                c->in_ping = 1;
                c->ping_have = 0;
            } else if (type == 7) { /* GOAWAY */
                c->got_goaway = 1;
            }
            if (c->remaining == 0)
                c->hdr_have = 0;
            continue;
        }
        size_t take = c->remaining < n - off ? c->remaining : n - off;
        if (c->in_ping) {
            memcpy(c->ping + c->ping_have, p + off, take);
            c->ping_have += (int)take;
        }
        c->remaining -= (uint32_t)take;
        off += take;
        if (c->remaining == 0) {
            if (c->in_ping) {
                unsigned char frame[17] = {0, 0, 8, 6, 1, 0, 0, 0, 0};
                memcpy(frame + 9, c->ping, 8);
                if (send_all(c->fd, frame, sizeof frame) != 0)
                    return -1;
            }
            c->in_ping = 0;
            c->hdr_have = 0;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    long port = 0, count = 0, hold_s = -1, parallel = 256, settings_wait_s = 10;
    int opt;
    while ((opt = getopt(argc, argv, "p:n:s:c:w:")) != -1) {
        switch (opt) {
        case 'p': port = parse_long(optarg, 1, 65535); break;
        case 'n': count = parse_long(optarg, 1, 1000000); break;
        case 's': hold_s = parse_long(optarg, 0, 3600); break;
        case 'c': parallel = parse_long(optarg, 1, 65536); break;
        case 'w': settings_wait_s = parse_long(optarg, 0, 600); break;
        default: usage();
        }
    }
    if (port == 0 || count == 0 || hold_s < 0 || optind != argc)
        usage();
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* As many descriptors as allowed: COUNT sockets plus a few. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rlim_t want = (rlim_t)count + 64;
        if (rl.rlim_cur < want) {
            rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
            getrlimit(RLIMIT_NOFILE, &rl);
        }
        if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
            fprintf(stderr, "h2_idle_conns: open-file limit %llu (hard %llu) is below %ld connections + 64\n",
                    (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max, count);
            return 1;
        }
    }

    conn_t *conns = calloc((size_t)count, sizeof *conns);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (conns == NULL || ep < 0) {
        perror("h2_idle_conns");
        return 1;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    long started = 0, open_count = 0, failed = 0, closed_by_server = 0, inflight = 0;
    double t0 = now_s(), ready_at = 0, hold_until = 0, settings_deadline = 0;
    int ready = 0;
    struct epoll_event events[512];
    unsigned char buf[16384];

    for (;;) {
        /* Start connections, a bounded number at a time. */
        while (started < count && inflight < parallel) {
            conn_t *c = &conns[started];
            c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (c->fd < 0) {
                perror("h2_idle_conns: socket");
                return 1;
            }
            int one = 1;
            setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            c->state = CONNECTING;
            int rc = connect(c->fd, (struct sockaddr *)&addr, sizeof addr);
            if (rc != 0 && errno != EINPROGRESS) {
                fprintf(stderr, "h2_idle_conns: connect: %s\n", strerror(errno));
                close(c->fd);
                c->state = CLOSED;
                failed++;
                started++;
                continue;
            }
            struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.ptr = c};
            epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
            started++;
            inflight++;
        }

        double now = now_s();
        if (!ready && started == count && inflight == 0) {
            long with_settings = 0;
            for (long i = 0; i < count; i++)
                with_settings += conns[i].state == OPEN && conns[i].got_settings;
            if (settings_deadline == 0) {
                settings_deadline = now + (double)settings_wait_s;
                printf("connected %ld of %ld in %.2fs (%ld failed)\n", open_count, count, now - t0, failed);
            }
            if (with_settings == open_count || now >= settings_deadline) {
                ready = 1;
                ready_at = now;
                hold_until = now + (double)hold_s;
                printf("ready %ld (%ld with the server's SETTINGS)\n", open_count, with_settings);
            }
        }
        if (ready && now >= hold_until)
            break;

        int timeout_ms = 100;
        if (ready) {
            double left = hold_until - now;
            timeout_ms = left < 0.1 ? (int)(left * 1000) + 1 : 100;
        }
        int n = epoll_wait(ep, events, (int)(sizeof events / sizeof events[0]), timeout_ms);
        if (n < 0 && errno != EINTR) {
            perror("h2_idle_conns: epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            conn_t *c = events[i].data.ptr;
            if (c->state == CLOSED)
                continue;
            if (c->state == CONNECTING) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                inflight--;
                if (err != 0 || send_all(c->fd, preface, sizeof preface - 1) != 0 ||
                    send_all(c->fd, settings_empty, sizeof settings_empty) != 0) {
                    if (failed++ < 5)
                        fprintf(stderr, "h2_idle_conns: connect: %s\n", strerror(err ? err : errno));
                    close_conn(c, 1);
                    continue;
                }
                c->state = OPEN;
                open_count++;
                struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                continue;
            }
            for (;;) {
                ssize_t got = recv(c->fd, buf, sizeof buf, 0);
                if (got > 0) {
                    if (on_bytes(c, buf, (size_t)got) != 0) {
                        closed_by_server++;
                        open_count--;
                        close_conn(c, 1);
                        break;
                    }
                    continue;
                }
                if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                    break;
                if (got < 0 && errno == EINTR)
                    continue;
                closed_by_server++; /* EOF or reset */
                open_count--;
                close_conn(c, 1);
                break;
            }
        }
    }

    long goaways = 0;
    for (long i = 0; i < count; i++) {
        goaways += conns[i].got_goaway;
        close_conn(&conns[i], 1);
    }
    printf("done: held %ld of %ld for %.1fs; failed to connect %ld, closed by the server %ld, GOAWAY %ld\n",
           open_count, count, now_s() - ready_at, failed, closed_by_server, goaways);
    free(conns);
    close(ep);
    return open_count == count ? 0 : 1;
}
