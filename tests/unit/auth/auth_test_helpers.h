/*
 * tests/unit/auth/auth_test_helpers.h — small helpers shared by the auth unit tests (cmocka asserts inside: call
 * them from tests only). Every returned string is malloc'd; the test frees it.
 */
#ifndef CONG_TESTS_AUTH_HELPERS_H
#define CONG_TESTS_AUTH_HELPERS_H

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"

/* printf into a new string. */
static inline char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *xprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    return s;
}

/* base64url of n bytes. */
static inline char *b64(const void *data, size_t n)
{
    char *out = malloc(cong_b64url_encoded_len(n) + 1);
    assert_non_null(out);
    cong_b64url_encode(data, n, out);
    return out;
}

/* The PEM text of a key (private or public half). */
static inline char *pem_of(EVP_PKEY *pkey, int private, size_t *len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    assert_non_null(bio);
    int ok = private ? PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) : PEM_write_bio_PUBKEY(bio, pkey);
    assert_int_equal(ok, 1);
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    char *copy = malloc((size_t)n + 1);
    assert_non_null(copy);
    memcpy(copy, data, (size_t)n);
    copy[n] = '\0';
    BIO_free(bio);
    *len = (size_t)n;
    return copy;
}

#endif
