/*
 * tests/unit/auth/test_jwks_source.c — the JWKS source: key rotation from a file and over HTTP(S), the last good
 * keyset kept through failures, the refresh cooldown (and what a caller is told of it), periodic refresh, and a clean,
 * prompt shutdown.
 *
 * The HTTP provider is a tiny HTTP/1.1 server run by this file on a thread, bound to 127.0.0.1 on an ephemeral port:
 * one connection at a time, "Connection: close", answering with whatever the test has set (a JWKS, a 500, garbage, an
 * oversized body, a redirect, or nothing at all). With a TLS context it speaks HTTPS, with a self-signed certificate
 * made here, to show that certificate and host name verification are on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "auth_test_helpers.h"

#include "auth/auth.h"
#include "auth/jwks_source.h"
#include "cong/module.h"
#include "common/log.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ISS "https://sso.vneid.example.vn"
#define AUD "cong-client"

static cong_jwt_key_t *key_a, *key_b, *key_c;
static char *jwks_a, *jwks_b, *jwks_c; /* kid "a" only, "b" only, "b" and "c" */
static char *token_a, *token_b, *token_c;

/* ---- helpers ---- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static cong_jwt_key_t *new_key(EVP_PKEY **keep)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(pkey);
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL), 1);
    char *pem;
    long len = BIO_get_mem_data(bio, &pem);
    cong_jwt_key_t *key = NULL;
    assert_int_equal(cong_jwt_key_load_private_pem(pem, (size_t)len, &key), CONG_OK);
    BIO_free(bio);
    if (keep)
        *keep = pkey;
    else
        EVP_PKEY_free(pkey);
    return key;
}

static char *publish(size_t n, const cong_jwt_key_t *k1, const char *kid1, const cong_jwt_key_t *k2, const char *kid2)
{
    const cong_jwt_key_t *keys[] = {k1, k2};
    const char *kids[] = {kid1, kid2};
    char *doc = NULL;
    assert_int_equal(cong_jwks_public_json(keys, n, kids, NULL, &doc), CONG_OK);
    return doc;
}

static char *mint(const cong_jwt_key_t *key, const char *kid)
{
    char *claims = xprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"s\",\"exp\":%lld}",
                           (long long)time(NULL) + 3600);
    char *token = NULL;
    assert_int_equal(cong_jwt_sign(key, CONG_JWT_ALG_ES256, kid, claims, &token), CONG_OK);
    free(claims);
    return token;
}

/* Verifies `token` against the source's current keyset. */
static cong_jwt_result_t verify_current(cong_jwks_source_t *src, const char *token)
{
    cong_jwks_t *set = cong_jwks_source_current(src);
    cong_jwt_policy_t policy = {.issuer = ISS, .audience = AUD, .clock_skew_s = 60};
    cong_jwt_result_t r = cong_jwt_verify_keyset(&policy, set, token, strlen(token), (int64_t)time(NULL), NULL);
    cong_jwks_release(set);
    return r;
}

static uint64_t attempts(cong_jwks_source_t *src)
{
    cong_jwks_source_stats_t st;
    cong_jwks_source_stats(src, &st);
    return st.successes + st.failures;
}

/* Waits (up to 8 s) until the source has had at least this many successes and failures. (A failing source retries on
 * its own every cooldown, so failures may run ahead.) */
static void wait_counts(cong_jwks_source_t *src, uint64_t successes, uint64_t failures)
{
    cong_jwks_source_stats_t st;
    int64_t deadline = now_ms() + 8000;
    do {
        cong_jwks_source_stats(src, &st);
        if (st.successes >= successes && st.failures >= failures)
            return;
        sleep_ms(5);
    } while (now_ms() < deadline);
    fail_msg("successes %llu failures %llu, want %llu / %llu", (unsigned long long)st.successes,
             (unsigned long long)st.failures, (unsigned long long)successes, (unsigned long long)failures);
}

/* Replaces a file's contents atomically (write a sibling, rename over). */
static void write_file(const char *path, const char *text)
{
    char *tmp = xprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rename(tmp, path), 0);
    free(tmp);
}

static int setup(void **state)
{
    (void)state;
    key_a = new_key(NULL);
    key_b = new_key(NULL);
    key_c = new_key(NULL);
    jwks_a = publish(1, key_a, "a", NULL, NULL);
    jwks_b = publish(1, key_b, "b", NULL, NULL);
    jwks_c = publish(2, key_b, "b", key_c, "c");
    token_a = mint(key_a, "a");
    token_b = mint(key_b, "b");
    token_c = mint(key_c, "c");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cong_jwt_key_free(key_a);
    cong_jwt_key_free(key_b);
    cong_jwt_key_free(key_c);
    free(jwks_a), free(jwks_b), free(jwks_c), free(token_a), free(token_b), free(token_c);
    return 0;
}

/* ---- file sources ---- */

/* A reload points the source at another location: fetched at once despite a long cooldown, the old set kept until
 * then and kept when the new location fails. */
static void test_set_location(void **state)
{
    (void)state;
    char dir[] = "/tmp/cong-test-jwks-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *first = xprintf("%s/first.json", dir), *second = xprintf("%s/second.json", dir);
    write_file(first, jwks_a);
    write_file(second, jwks_b);
    cong_jwks_source_config_t cfg = {.location = first, .refresh_interval_ms = 3600000, .cooldown_ms = 3600000};
    cong_jwks_source_t *src = NULL;
    assert_int_equal(cong_jwks_source_new(&cfg, &src), CONG_OK);
    assert_int_equal(verify_current(src, token_a), CONG_JWT_OK);
    assert_int_equal(cong_jwks_source_set_location(src, ""), CONG_EINVAL);
    assert_int_equal(cong_jwks_source_set_location(src, "ftp://x/jwks"), CONG_EINVAL);
    assert_int_equal(cong_jwks_source_set_location(src, second), 0);
    wait_counts(src, 2, 0);
    assert_int_equal(verify_current(src, token_b), CONG_JWT_OK);
    assert_int_equal(verify_current(src, token_a), CONG_JWT_UNKNOWN_KEY);
    char *missing = xprintf("%s/missing.json", dir);
    assert_int_equal(cong_jwks_source_set_location(src, missing), 0);
    wait_counts(src, 2, 1);
    assert_int_equal(verify_current(src, token_b), CONG_JWT_OK); /* the last good set stays */
    cong_jwks_source_free(src);
    unlink(first), unlink(second), rmdir(dir);
    free(first), free(second), free(missing);
}

static void test_file_rotation(void **state)
{
    (void)state;
    char dir[] = "/tmp/cong-test-jwks-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = xprintf("%s/jwks.json", dir);
    write_file(path, jwks_a);
    cong_jwks_source_config_t cfg = {.location = path, .refresh_interval_ms = 3600000, .cooldown_ms = 20};
    cong_jwks_source_t *src = NULL;
    assert_int_equal(cong_jwks_source_new(&cfg, &src), CONG_OK);
    cong_jwks_source_stats_t st;
    cong_jwks_source_stats(src, &st);
    assert_int_equal(st.successes, 1);
    assert_int_equal(st.failures, 0);
    assert_int_equal(st.keys, 1);
    assert_true(st.last_success > 0 && st.last_success == st.last_attempt);
    assert_int_equal(verify_current(src, token_a), CONG_JWT_OK);
    assert_int_equal(verify_current(src, token_b), CONG_JWT_UNKNOWN_KEY);

    /* The provider rotates: a worker that meets kid "b" asks for a refresh, and "b" verifies. */
    cong_jwks_t *before = cong_jwks_source_current(src);
    write_file(path, jwks_b);
    cong_jwks_source_request_refresh(src);
    wait_counts(src, 2, 0);
    assert_int_equal(verify_current(src, token_b), CONG_JWT_OK);
    assert_int_equal(verify_current(src, token_a), CONG_JWT_UNKNOWN_KEY);
    /* A worker still holding the old set can finish with it. */
    cong_jwt_policy_t policy = {.issuer = ISS, .audience = AUD};
    assert_int_equal(cong_jwt_verify_keyset(&policy, before, token_a, strlen(token_a), (int64_t)time(NULL), NULL),
                     CONG_JWT_OK);
    cong_jwks_release(before);

    /* Garbage, a set with a duplicate kid, a private key only, a missing file: the last good set stays. */
    char *dup = xprintf("{\"keys\":[%.*s,%.*s]}", (int)strlen(jwks_c) - 11, jwks_c + 9, (int)strlen(jwks_b) - 11,
                        jwks_b + 9);
    const char *bad[] = {"{\"keys\":[{\"kty\":\"EC\",", "<html>503</html>", dup,
                         "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"d\":\"AQAB\"}]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(path, bad[i]);
        cong_jwks_source_request_refresh(src);
        wait_counts(src, 2, i + 1);
        assert_int_equal(verify_current(src, token_b), CONG_JWT_OK);
    }
    free(dup);
    assert_int_equal(unlink(path), 0);
    cong_jwks_source_request_refresh(src);
    wait_counts(src, 2, 5);
    assert_int_equal(verify_current(src, token_b), CONG_JWT_OK);
    cong_jwks_source_stats(src, &st);
    assert_int_equal(st.keys, 1);

    /* And a good file again. */
    write_file(path, jwks_c);
    cong_jwks_source_request_refresh(src);
    wait_counts(src, 3, 5);
    assert_int_equal(verify_current(src, token_c), CONG_JWT_OK);
    assert_int_equal(verify_current(src, token_b), CONG_JWT_OK);
    cong_jwks_source_free(src);

    /* file:// works too. */
    char *uri = xprintf("file://%s", path);
    cfg.location = uri;
    assert_int_equal(cong_jwks_source_new(&cfg, &src), CONG_OK);
    assert_int_equal(verify_current(src, token_c), CONG_JWT_OK);
    cong_jwks_source_free(src);
    free(uri);
    unlink(path);
    rmdir(dir);
    free(path);
}

static void test_new_errors_and_empty_start(void **state)
{
    (void)state;
    char dir[] = "/tmp/cong-test-jwks-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = xprintf("%s/jwks.json", dir);
    cong_jwks_source_t *src = (cong_jwks_source_t *)1;
    cong_jwks_source_config_t cfg = {.location = path, .cooldown_ms = 20};
    assert_int_equal(cong_jwks_source_new(&cfg, &src), CONG_EIO); /* missing */
    assert_null(src);
    write_file(path, "[]");
    assert_int_equal(cong_jwks_source_new(&cfg, &src), CONG_EPARSE);
    write_file(path, "{\"keys\":[]}");
    assert_int_equal(cong_jwks_source_new(&cfg, &src), CONG_ENOTFOUND);
    assert_int_equal(cong_jwks_source_new(&cfg, NULL), CONG_EINVAL);
    assert_int_equal(cong_jwks_source_new(NULL, &src), CONG_EINVAL);
    static const char *const bad_locations[] = {"", "ftp://example.vn/jwks", "ldap://x", "gopher://x"};
    for (size_t i = 0; i < sizeof bad_locations / sizeof bad_locations[0]; i++) {
        cong_jwks_source_config_t bad = {.location = bad_locations[i]};
        assert_int_equal(cong_jwks_source_new(&bad, &src), CONG_EINVAL);
    }
    cong_jwks_source_config_t neg = {.location = path, .cooldown_ms = -1};
    assert_int_equal(cong_jwks_source_new(&neg, &src), CONG_EINVAL);
    cong_jwks_source_config_t none = {0};
    assert_int_equal(cong_jwks_source_new(&none, &src), CONG_EINVAL);
    assert_null(src);
    /* A directory is not a document. */
    cfg.location = dir;
    assert_int_equal(cong_jwks_source_new(&cfg, &src), CONG_EIO);
    cfg.location = path;

    /* allow_empty_start: created without keys; retried at the cooldown pace until the provider has some. */
    unlink(path);
    cfg.allow_empty_start = 1;
    assert_int_equal(cong_jwks_source_new(&cfg, &src), CONG_OK);
    assert_null(cong_jwks_source_current(src));
    assert_int_equal(verify_current(src, token_a), CONG_JWT_UNKNOWN_KEY);
    cong_jwks_source_stats_t st;
    cong_jwks_source_stats(src, &st);
    assert_int_equal(st.successes, 0);
    assert_true(st.failures >= 1);
    assert_int_equal(st.last_success, 0);
    write_file(path, jwks_a); /* no request: the retry finds it */
    int64_t deadline = now_ms() + 5000;
    while (verify_current(src, token_a) != CONG_JWT_OK && now_ms() < deadline)
        sleep_ms(5);
    assert_int_equal(verify_current(src, token_a), CONG_JWT_OK);
    cong_jwks_source_free(src);

    /* Extreme periods are capped (no overflow in the scheduling arithmetic; UBSan would say). */
    cong_jwks_source_config_t huge = {.location = path, .refresh_interval_ms = INT64_MAX, .cooldown_ms = INT64_MAX,
                                      .timeout_ms = INT64_MAX};
    assert_int_equal(cong_jwks_source_new(&huge, &src), CONG_OK);
    cong_jwks_source_request_refresh(src);
    sleep_ms(50);
    assert_int_equal(attempts(src), 1);
    int64_t t = now_ms();
    cong_jwks_source_free(src);
    assert_true(now_ms() - t < 1000);

    cong_jwks_source_free(NULL);
    cong_jwks_source_request_refresh(NULL);
    assert_null(cong_jwks_source_current(NULL));
    cong_jwks_source_stats(NULL, &st);
    assert_int_equal(st.successes, 0);
    unlink(path);
    rmdir(dir);
    free(path);
}

static void test_cooldown_and_interval(void **state)
{
    (void)state;
    char dir[] = "/tmp/cong-test-jwks-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = xprintf("%s/jwks.json", dir);
    write_file(path, jwks_a);
    cong_jwks_source_config_t cfg = {.location = path, .refresh_interval_ms = 3600000, .cooldown_ms = 400};
    cong_jwks_source_t *src = NULL;
    int64_t t0 = now_ms();
    assert_int_equal(cong_jwks_source_new(&cfg, &src), CONG_OK);
    /* A storm of requests right after the first load: one fetch, and only once the cooldown is over. */
    for (int i = 0; i < 1000; i++)
        cong_jwks_source_request_refresh(src);
    sleep_ms(150);
    assert_int_equal(attempts(src), 1);
    wait_counts(src, 2, 0);
    int64_t t1 = now_ms();
    assert_true(t1 - t0 >= 390);
    /* Nothing more without a request (the interval is an hour). */
    sleep_ms(600);
    assert_int_equal(attempts(src), 2);
    /* A request long after the last fetch is served at once. */
    int64_t t2 = now_ms();
    cong_jwks_source_request_refresh(src);
    wait_counts(src, 3, 0);
    assert_true(now_ms() - t2 < 2000);
    cong_jwks_source_free(src);

    /* The periodic refresh picks up a rotation with nobody asking. */
    cfg.refresh_interval_ms = 100;
    cfg.cooldown_ms = 50;
    assert_int_equal(cong_jwks_source_new(&cfg, &src), CONG_OK);
    write_file(path, jwks_b);
    int64_t deadline = now_ms() + 5000;
    while (verify_current(src, token_b) != CONG_JWT_OK && now_ms() < deadline)
        sleep_ms(5);
    assert_int_equal(verify_current(src, token_b), CONG_JWT_OK);
    /* ...and goes on refreshing at its interval: wait for a few more (a busy machine may be slow to schedule them). */
    cong_jwks_source_stats_t st;
    deadline = now_ms() + 5000;
    do {
        sleep_ms(20);
        cong_jwks_source_stats(src, &st);
    } while (st.successes < 4 && now_ms() < deadline);
    assert_true(st.successes >= 4);
    assert_int_equal(st.failures, 0);
    cong_jwks_source_free(src);
    unlink(path);
    rmdir(dir);
    free(path);
}

/* What a caller that may wait a little (the exchange) is told: when the fetch it asked for starts, and that it is done
 * (the generation moves, and current() already has the new set by then). */
static void test_refresh_due_and_generation(void **state)
{
    (void)state;
    char dir[] = "/tmp/cong-test-jwks-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = xprintf("%s/jwks.json", dir);
    write_file(path, jwks_a);
    cong_jwks_source_config_t cfg = {.location = path, .refresh_interval_ms = 3600000, .cooldown_ms = 3000};
    cong_jwks_source_t *src = NULL;
    assert_int_equal(cong_jwks_source_request_refresh(NULL), -1);
    assert_int_equal(cong_jwks_source_generation(NULL), 0);
    assert_int_equal(cong_jwks_source_new(&cfg, &src), CONG_OK);
    assert_int_equal(cong_jwks_source_generation(src), 1); /* the first load */
    /* Right after a load, the next fetch waits for the cooldown: the caller learns how long (and so, not to wait). */
    int64_t due = cong_jwks_source_request_refresh(src);
    assert_true(due > 2000 && due <= 3000);
    int64_t again = cong_jwks_source_request_refresh(src); /* merged, same fetch: the fast path agrees */
    assert_true(again <= due && again > 1500);
    assert_int_equal(cong_jwks_source_generation(src), 1);
    cong_jwks_source_free(src);

    /* Past the cooldown, the fetch starts at once; when the generation moves, the rotated key verifies. */
    cfg.cooldown_ms = 50;
    assert_int_equal(cong_jwks_source_new(&cfg, &src), CONG_OK);
    sleep_ms(80);
    write_file(path, jwks_b);
    uint64_t before = cong_jwks_source_generation(src);
    assert_int_equal(verify_current(src, token_b), CONG_JWT_UNKNOWN_KEY);
    assert_int_equal(cong_jwks_source_request_refresh(src), 0);
    int64_t deadline = now_ms() + 8000;
    while (cong_jwks_source_generation(src) == before && now_ms() < deadline)
        sleep_ms(1);
    assert_int_equal(cong_jwks_source_generation(src), before + 1);
    assert_int_equal(verify_current(src, token_b), CONG_JWT_OK);
    /* A failed fetch moves it too (a waiter stops waiting), and the last good set stays. */
    write_file(path, "not a jwks");
    sleep_ms(80);
    before = cong_jwks_source_generation(src);
    assert_int_equal(cong_jwks_source_request_refresh(src), 0);
    deadline = now_ms() + 8000;
    while (cong_jwks_source_generation(src) == before && now_ms() < deadline)
        sleep_ms(1);
    assert_true(cong_jwks_source_generation(src) > before);
    assert_int_equal(verify_current(src, token_b), CONG_JWT_OK);
    cong_jwks_source_free(src);
    unlink(path);
    rmdir(dir);
    free(path);
}

/* ---- a tiny HTTP(S) provider on 127.0.0.1 ---- */

enum reply {
    REPLY_JWKS,
    REPLY_500,
    REPLY_GARBAGE,
    REPLY_HUGE_CHUNKLESS, /* 300 KB, no Content-Length */
    REPLY_HUGE_LENGTH,    /* 300 KB with Content-Length */
    REPLY_REDIRECT,
    REPLY_HANG,           /* accept, read the request, never answer */
};

typedef struct server {
    int fd, port;
    SSL_CTX *tls; /* NULL: plain HTTP */
    pthread_t thread;
    pthread_mutex_t lock;
    enum reply mode;
    const char *body;
    int requests;
    int saw_other; /* a request for the redirect's target */
    char last_request[2048];
    atomic_int stop;
} server_t;

typedef struct conn {
    int fd;
    SSL *ssl;
} conn_t;

static int conn_write(conn_t *c, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        int n = c->ssl ? SSL_write(c->ssl, p, (int)len) : (int)send(c->fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads the request head (up to the blank line). Returns its length, or -1. */
static int read_head(conn_t *c, char *buf, size_t cap)
{
    size_t len = 0;
    while (len + 1 < cap) {
        size_t room = cap - 1 - len;
        int n = c->ssl ? SSL_read(c->ssl, buf + len, (int)room) : (int)recv(c->fd, buf + len, room, 0);
        if (n <= 0)
            return -1;
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            return (int)len;
    }
    return -1;
}

/* Holds the connection open, sending nothing, until the client leaves or the server stops. */
static void hang(server_t *s, conn_t *c)
{
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        if (poll(&p, 1, 50) > 0) {
            char b[256];
            if (recv(c->fd, b, sizeof b, MSG_DONTWAIT) <= 0)
                return;
        }
    }
}

static void respond(server_t *s, conn_t *c)
{
    char head[2048];
    if (read_head(c, head, sizeof head) < 0)
        return;
    pthread_mutex_lock(&s->lock);
    enum reply mode = s->mode;
    char *body = strdup(s->body ? s->body : "");
    s->requests++;
    s->saw_other |= strncmp(head, "GET /other ", 11) == 0;
    snprintf(s->last_request, sizeof s->last_request, "%s", head);
    pthread_mutex_unlock(&s->lock);
    char *out = NULL;
    size_t huge = 300 * 1024;
    char *filler = NULL;
    switch (mode) {
    case REPLY_JWKS:
        out = xprintf("HTTP/1.1 200 OK\r\nContent-Type: application/jwk-set+json\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n%s",
                      strlen(body), body);
        break;
    case REPLY_500:
        out = xprintf("HTTP/1.1 500 Internal Server Error\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                      strlen(body), body); /* even with a JWKS body */
        break;
    case REPLY_GARBAGE:
        out = xprintf("HTTP/1.1 200 OK\r\nContent-Length: 13\r\nConnection: close\r\n\r\n<html>oops</h");
        break;
    case REPLY_HUGE_CHUNKLESS:
    case REPLY_HUGE_LENGTH:
        filler = malloc(huge + 1);
        assert_non_null(filler);
        memset(filler, ' ', huge);
        filler[huge] = '\0';
        memcpy(filler, "{\"keys\":[", 9);
        out = mode == REPLY_HUGE_LENGTH
                  ? xprintf("HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s", huge, filler)
                  : xprintf("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n%s", filler);
        break;
    case REPLY_REDIRECT:
        out = xprintf("HTTP/1.1 302 Found\r\nLocation: /other\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        break;
    case REPLY_HANG:
        hang(s, c);
        break;
    }
    if (out)
        conn_write(c, out, strlen(out));
    free(out);
    free(filler);
    free(body);
}

static void *serve(void *arg)
{
    server_t *s = arg;
    /* A client that hangs up makes our writes fail with EPIPE rather than kill the test. The library under test gets
     * no such help: SIGPIPE keeps its default action for every other thread. */
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, NULL);
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        conn_t c = {.fd = accept(s->fd, NULL, NULL)};
        if (c.fd < 0)
            continue;
        struct timeval tv = {2, 0};
        setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (s->tls) {
            c.ssl = SSL_new(s->tls);
            if (c.ssl && SSL_set_fd(c.ssl, c.fd) == 1 && SSL_accept(c.ssl) == 1)
                respond(s, &c);
            else
                ERR_clear_error(); /* the client refused our certificate */
            if (c.ssl)
                SSL_shutdown(c.ssl);
            SSL_free(c.ssl);
        } else {
            respond(s, &c);
        }
        close(c.fd);
    }
    return NULL;
}

static void server_start(server_t *s, SSL_CTX *tls)
{
    memset(s, 0, sizeof *s);
    s->tls = tls;
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s->fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1 only */
    assert_int_equal(bind(s->fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(s->fd, 8), 0);
    socklen_t len = sizeof addr;
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&addr, &len), 0);
    s->port = ntohs(addr.sin_port);
    pthread_mutex_init(&s->lock, NULL);
    atomic_init(&s->stop, 0);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_set(server_t *s, enum reply mode, const char *body)
{
    pthread_mutex_lock(&s->lock);
    s->mode = mode;
    if (body)
        s->body = body;
    pthread_mutex_unlock(&s->lock);
}

static int server_requests(server_t *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->requests;
    pthread_mutex_unlock(&s->lock);
    return n;
}

static void server_stop(server_t *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    close(s->fd);
    pthread_mutex_destroy(&s->lock);
}

static void test_http_rotation_and_failures(void **state)
{
    (void)state;
    server_t s;
    server_start(&s, NULL);
    server_set(&s, REPLY_JWKS, jwks_a);
    char *url = xprintf("http://127.0.0.1:%d/.well-known/jwks.json", s.port);
    cong_jwks_source_config_t cfg = {
        .location = url, .refresh_interval_ms = 3600000, .cooldown_ms = 100, .timeout_ms = 700,
    };
    cong_jwks_source_t *src = NULL;
    assert_int_equal(cong_jwks_source_new(&cfg, &src), CONG_OK);
    assert_int_equal(verify_current(src, token_a), CONG_JWT_OK);
    assert_int_equal(server_requests(&s), 1);
    pthread_mutex_lock(&s.lock);
    assert_non_null(strstr(s.last_request, "GET /.well-known/jwks.json HTTP/1.1\r\n"));
    assert_non_null(strstr(s.last_request, "Accept: application/jwk-set+json"));
    pthread_mutex_unlock(&s.lock);

    /* Rotation: "b" appears after an unknown-kid refresh. */
    server_set(&s, REPLY_JWKS, jwks_b);
    assert_int_equal(verify_current(src, token_b), CONG_JWT_UNKNOWN_KEY);
    cong_jwks_source_request_refresh(src);
    wait_counts(src, 2, 0);
    assert_int_equal(verify_current(src, token_b), CONG_JWT_OK);
    assert_int_equal(verify_current(src, token_a), CONG_JWT_UNKNOWN_KEY);

    /* Failures: a 500 (with a JWKS body), garbage, 300 KB with and without Content-Length, a redirect, a provider that
     * never answers (timeout). Each one keeps "b". */
    static const enum reply failures[] = {REPLY_500,         REPLY_GARBAGE,  REPLY_HUGE_CHUNKLESS,
                                          REPLY_HUGE_LENGTH, REPLY_REDIRECT, REPLY_HANG};
    for (size_t i = 0; i < sizeof failures / sizeof failures[0]; i++) {
        server_set(&s, failures[i], jwks_c);
        int64_t t = now_ms();
        cong_jwks_source_request_refresh(src);
        wait_counts(src, 2, i + 1);
        if (failures[i] == REPLY_HANG) {
            int64_t took = now_ms() - t;
            assert_true(took >= 600 && took < 3000); /* the 700 ms timeout */
        }
        assert_int_equal(verify_current(src, token_b), CONG_JWT_OK);
        assert_int_equal(verify_current(src, token_c), CONG_JWT_UNKNOWN_KEY);
    }
    assert_true(server_requests(&s) >= 2 + 6);
    pthread_mutex_lock(&s.lock);
    assert_int_equal(s.saw_other, 0); /* the redirect was not followed */
    pthread_mutex_unlock(&s.lock);

    /* The provider is back, rotated again. */
    server_set(&s, REPLY_JWKS, jwks_c);
    cong_jwks_source_request_refresh(src);
    wait_counts(src, 3, 6);
    assert_int_equal(verify_current(src, token_c), CONG_JWT_OK);
    cong_jwks_source_stats_t st;
    cong_jwks_source_stats(src, &st);
    assert_int_equal(st.keys, 2);
    cong_jwks_source_free(src);

    /* Shutdown does not wait for a provider that hangs: the transfer is aborted. */
    cfg.timeout_ms = 5000;
    assert_int_equal(cong_jwks_source_new(&cfg, &src), CONG_OK);
    server_set(&s, REPLY_HANG, NULL);
    int before = server_requests(&s);
    cong_jwks_source_request_refresh(src);
    int64_t deadline = now_ms() + 3000;
    while (server_requests(&s) == before && now_ms() < deadline)
        sleep_ms(5);
    assert_int_equal(server_requests(&s), before + 1);
    int64_t t = now_ms();
    cong_jwks_source_free(src);
    assert_true(now_ms() - t < 1500);

    /* The first load over HTTP fails cleanly too. */
    server_set(&s, REPLY_500, NULL);
    cfg.timeout_ms = 1000;
    assert_int_equal(cong_jwks_source_new(&cfg, &src), CONG_EIO);
    server_set(&s, REPLY_HUGE_LENGTH, NULL);
    assert_int_equal(cong_jwks_source_new(&cfg, &src), CONG_ETOOBIG);
    server_stop(&s);
    /* Nobody listening any more. */
    assert_int_equal(cong_jwks_source_new(&cfg, &src), CONG_EIO);
    assert_null(src);
    free(url);
}

/* ---- HTTPS: certificate and host name verification ---- */

/* A self-signed certificate for `san` ("IP:127.0.0.1" or "DNS:..."). */
static X509 *self_signed(EVP_PKEY *key, const char *san)
{
    X509 *x = X509_new();
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"cong test provider", -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
    assert_non_null(ext);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    return x;
}

static SSL_CTX *tls_server(EVP_PKEY *key, X509 *cert)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_use_certificate(ctx, cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(ctx, key), 1);
    return ctx;
}

static void write_cert(const char *path, X509 *cert)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(PEM_write_X509(f, cert), 1);
    fclose(f);
}

static void test_https_verifies_the_provider(void **state)
{
    (void)state;
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(key);
    X509 *good = self_signed(key, "IP:127.0.0.1"), *other = self_signed(key, "DNS:sso.vneid.example.vn");
    char dir[] = "/tmp/cong-test-jwks-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *good_pem = xprintf("%s/good.pem", dir), *other_pem = xprintf("%s/other.pem", dir);
    write_cert(good_pem, good);
    write_cert(other_pem, other);

    server_t s;
    SSL_CTX *ctx = tls_server(key, good);
    server_start(&s, ctx);
    server_set(&s, REPLY_JWKS, jwks_a);
    char *url = xprintf("https://127.0.0.1:%d/jwks", s.port);
    cong_jwks_source_config_t cfg = {.location = url, .cooldown_ms = 20, .timeout_ms = 2000};
    cong_jwks_source_t *src = (cong_jwks_source_t *)1;
    /* Not trusted by the system CAs: refused. */
    assert_int_equal(cong_jwks_source_new(&cfg, &src), CONG_EIO);
    assert_null(src);
    /* Trusted through ca_file: fine. */
    cfg.ca_file = good_pem;
    assert_int_equal(cong_jwks_source_new(&cfg, &src), CONG_OK);
    assert_int_equal(verify_current(src, token_a), CONG_JWT_OK);
    cong_jwks_source_free(src);
    assert_int_equal(server_requests(&s), 1); /* the refused handshake never reached a request */
    server_stop(&s);
    SSL_CTX_free(ctx);

    /* A trusted certificate for another host name: refused. */
    ctx = tls_server(key, other);
    server_start(&s, ctx);
    server_set(&s, REPLY_JWKS, jwks_a);
    free(url);
    url = xprintf("https://127.0.0.1:%d/jwks", s.port);
    cfg.location = url;
    cfg.ca_file = other_pem;
    assert_int_equal(cong_jwks_source_new(&cfg, &src), CONG_EIO);
    assert_int_equal(server_requests(&s), 0);
    server_stop(&s);
    SSL_CTX_free(ctx);

    free(url);
    unlink(good_pem);
    unlink(other_pem);
    rmdir(dir);
    free(good_pem), free(other_pem);
    X509_free(good);
    X509_free(other);
    EVP_PKEY_free(key);
}

/* ---- readers racing the refresher ---- */

struct reader {
    cong_jwks_source_t *src;
    atomic_int *stop;
    long verified;
};

static void *read_loop(void *arg)
{
    struct reader *r = arg;
    while (!atomic_load(r->stop)) {
        cong_jwt_result_t res = verify_current(r->src, token_b);
        if (res != CONG_JWT_OK)
            return (void *)1;
        r->verified++;
        cong_jwks_source_request_refresh(r->src);
    }
    return NULL;
}

static void test_readers_during_refreshes(void **state)
{
    (void)state;
    char dir[] = "/tmp/cong-test-jwks-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = xprintf("%s/jwks.json", dir);
    write_file(path, jwks_b);
    cong_jwks_source_config_t cfg = {.location = path, .refresh_interval_ms = 5, .cooldown_ms = 1};
    cong_jwks_source_t *src = NULL;
    assert_int_equal(cong_jwks_source_new(&cfg, &src), CONG_OK);
    atomic_int stop;
    atomic_init(&stop, 0);
    struct reader readers[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        readers[i] = (struct reader){.src = src, .stop = &stop};
        assert_int_equal(pthread_create(&t[i], NULL, read_loop, &readers[i]), 0);
    }
    /* Alternate between two documents that both hold "b" while the readers verify, until more than 10 refreshes
     * have been installed (each one builds its P-256 keys' verification tables, ~20 ms a key) or 10 s have passed. */
    cong_jwks_source_stats_t during;
    for (int i = 0; i < 1000; i++) {
        write_file(path, i % 2 ? jwks_b : jwks_c);
        sleep_ms(10);
        cong_jwks_source_stats(src, &during);
        if (i >= 40 && during.successes > 10)
            break;
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 3; i++) {
        void *r;
        assert_int_equal(pthread_join(t[i], &r), 0);
        assert_null(r);
        assert_true(readers[i].verified > 0);
    }
    cong_jwks_source_stats_t st;
    cong_jwks_source_stats(src, &st);
    assert_true(st.successes > 10);
    cong_jwks_source_free(src);
    unlink(path);
    rmdir(dir);
    free(path);
}

int main(void)
{
    cong_log_set_level(CONG_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_rotation),
        cmocka_unit_test(test_set_location),
        cmocka_unit_test(test_new_errors_and_empty_start),
        cmocka_unit_test(test_cooldown_and_interval),
        cmocka_unit_test(test_refresh_due_and_generation),
        cmocka_unit_test(test_http_rotation_and_failures),
        cmocka_unit_test(test_https_verifies_the_provider),
        cmocka_unit_test(test_readers_during_refreshes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
