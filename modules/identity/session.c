/* modules/identity/session.c — session ids, refresh tokens and session records (contract in session.h). */
#include "session.h"

#include <msgpack.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "cong/module.h"

static int random_b64url(size_t bytes, char *out)
{
    unsigned char buf[32];
    if (bytes > sizeof buf || RAND_bytes(buf, (int)bytes) != 1)
        return CONG_EIO;
    cong_idm_b64url_encode(buf, bytes, out);
    OPENSSL_cleanse(buf, sizeof buf);
    return 0;
}

int cong_session_id_new(char *out)
{
    return random_b64url(16, out);
}

int cong_refresh_token_new(char *out)
{
    return random_b64url(32, out);
}

void cong_refresh_token_hash(const char *token, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)token, len, digest);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[CONG_REFRESH_HASH_LEN] = '\0';
}

int cong_secure_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && CRYPTO_memcmp(a, b, alen) == 0;
}

/* ---- writing a record (msgpack-c) ---- */

static void pack_str(msgpack_packer *pk, const char *key, const char *value)
{
    msgpack_pack_str_with_body(pk, key, strlen(key));
    msgpack_pack_str_with_body(pk, value, strlen(value));
}

static void pack_int(msgpack_packer *pk, const char *key, int64_t value)
{
    msgpack_pack_str_with_body(pk, key, strlen(key));
    msgpack_pack_int64(pk, value);
}

int cong_session_encode(const cong_session_t *s, char **out, size_t *out_len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 11);
    pack_int(&pk, "v", 1);
    pack_str(&pk, "sub", s->sub);
    pack_str(&pk, "dev_id", s->dev_id);
    pack_str(&pk, "dev_name", s->dev_name);
    pack_str(&pk, "dev_platform", s->dev_platform);
    pack_int(&pk, "created", s->created);
    pack_int(&pk, "last_seen", s->last_seen);
    pack_int(&pk, "loa", s->loa);
    pack_int(&pk, "auth_time", s->auth_time);
    pack_int(&pk, "gen", s->gen);
    pack_str(&pk, "rt", s->rt);
    if (sb.data == NULL)
        return CONG_ENOMEM;
    *out = sb.data;
    *out_len = sb.size;
    return 0;
}

/* ---- reading a record ----
 * Read in place rather than with msgpack-c's unpacker, which allocates a container's elements from the count its
 * header declares (5 bytes can ask for 64 GiB): a record is one flat map, so any nested container is refused and every
 * length is checked against what is left before it is used. */

typedef struct reader {
    const unsigned char *p, *end;
} reader_t;

static const unsigned char *take(reader_t *r, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return NULL;
    const unsigned char *at = r->p;
    r->p += n;
    return at;
}

static uint64_t big_endian(const unsigned char *b, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | b[i];
    return v;
}

/* A length that follows a header byte in 1, 2 or 4 bytes (str8/16/32, map16/32). */
static int read_length(reader_t *r, size_t width, size_t *n)
{
    const unsigned char *b = take(r, width);
    if (b == NULL)
        return -1;
    *n = (size_t)big_endian(b, width);
    return 0;
}

static int read_str(reader_t *r, const char **s, size_t *len)
{
    const unsigned char *h = take(r, 1), *body;
    if (h == NULL)
        return -1;
    if ((*h & 0xe0) == 0xa0)
        *len = *h & 0x1f;
    else if (*h < 0xd9 || *h > 0xdb || read_length(r, (size_t)1 << (*h - 0xd9), len) != 0)
        return -1;
    if ((body = take(r, *len)) == NULL)
        return -1;
    *s = (const char *)body;
    return 0;
}

static int read_int(reader_t *r, int64_t *v)
{
    const unsigned char *h = take(r, 1), *b;
    if (h == NULL || (*h >= 0x80 && *h < 0xcc) || (*h > 0xd3 && *h < 0xe0))
        return -1;
    if (*h <= 0x7f || *h >= 0xe0) { /* positive or negative fixint */
        *v = (int8_t)*h;
        return 0;
    }
    size_t width = (size_t)1 << ((*h - 0xcc) & 3); /* uint8..uint64 are 0xcc..0xcf, int8..int64 0xd0..0xd3 */
    if ((b = take(r, width)) == NULL)
        return -1;
    uint64_t u = big_endian(b, width), sign = (uint64_t)1 << (8 * width - 1);
    if (*h <= 0xcf) {
        if (u > INT64_MAX)
            return -1;
        *v = (int64_t)u;
    } else {
        *v = width < 8 && (u & sign) ? (int64_t)u - (int64_t)(sign << 1) : (int64_t)u;
    }
    return 0;
}

/* An unknown member's value (a newer version's): a scalar is skipped, a container refused. */
static int skip_value(reader_t *r)
{
    const char *s;
    size_t n;
    int64_t v;
    if (r->p == r->end)
        return -1;
    unsigned char h = *r->p;
    if (h == 0xc0 || h == 0xc2 || h == 0xc3) /* nil, false, true */
        return take(r, 1) != NULL ? 0 : -1;
    if (h == 0xca || h == 0xcb) /* float32, float64 */
        return take(r, h == 0xca ? 5 : 9) != NULL ? 0 : -1;
    const unsigned char *at = r->p;
    if (read_int(r, &v) == 0)
        return 0;
    r->p = at;
    return read_str(r, &s, &n);
}

static int read_copy(reader_t *r, char *dst, size_t cap)
{
    const char *s;
    size_t n;
    if (read_str(r, &s, &n) != 0 || n >= cap)
        return -1;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

#define STRING_MEMBER(name) {#name, offsetof(cong_session_t, name), sizeof(((cong_session_t *)0)->name)}
#define INTEGER_MEMBER(name) {#name, offsetof(cong_session_t, name), 0}

static const struct member {
    const char *name;
    size_t offset, cap; /* cap 0: an int64_t */
} members[] = {
    STRING_MEMBER(sub), STRING_MEMBER(dev_id), STRING_MEMBER(dev_name), STRING_MEMBER(dev_platform), STRING_MEMBER(rt),
    INTEGER_MEMBER(created), INTEGER_MEMBER(last_seen), INTEGER_MEMBER(auth_time), INTEGER_MEMBER(gen),
};

static int decode_member(reader_t *r, cong_session_t *s, int64_t *version)
{
    const char *key;
    size_t len;
    int64_t loa = 0;
    if (read_str(r, &key, &len) != 0)
        return -1;
    if (len == 1 && key[0] == 'v')
        return read_int(r, version);
    if (len == 3 && memcmp(key, "loa", 3) == 0) {
        int rc = read_int(r, &loa);
        s->loa = loa >= 0 && loa <= 2 ? (int)loa : 0;
        return rc;
    }
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
        const struct member *m = &members[i];
        if (strlen(m->name) != len || memcmp(m->name, key, len) != 0)
            continue;
        char *field = (char *)s + m->offset;
        return m->cap > 0 ? read_copy(r, field, m->cap) : read_int(r, (int64_t *)(void *)field);
    }
    return skip_value(r);
}

int cong_session_decode(const char *buf, size_t len, cong_session_t *out)
{
    reader_t r = {(const unsigned char *)buf, (const unsigned char *)buf + len};
    const unsigned char *h = take(&r, 1);
    size_t count = 0;
    int64_t version = 0;
    memset(out, 0, sizeof *out);
    if (h != NULL && (*h & 0xf0) == 0x80)
        count = *h & 0x0f;
    else if (h == NULL || (*h != 0xde && *h != 0xdf) || read_length(&r, *h == 0xde ? 2 : 4, &count) != 0)
        return CONG_EPARSE;
    /* a declared count past the input fails as the input runs out: every member takes at least two bytes */
    for (size_t i = 0; i < count; i++)
        if (decode_member(&r, out, &version) != 0)
            return CONG_EPARSE;
    return r.p == r.end && version == 1 && out->sub[0] != '\0' ? 0 : CONG_EPARSE;
}
