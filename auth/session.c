#include "session.h"

#include <msgpack.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "cong/errors.h"
#include "common/msgpack_bounds.h"

int cong_subject_from_citizen(const unsigned char *secret, size_t secret_len, const char *citizen_number, char *out)
{
    if (secret == NULL || secret_len == 0 || citizen_number == NULL || citizen_number[0] == '\0')
        return CONG_EINVAL;
    unsigned char mac[32];
    unsigned int mac_len = 0;
    char input[160];
    int n = snprintf(input, sizeof input, "vneid:%s", citizen_number);
    if (n < 0 || (size_t)n >= sizeof input)
        return CONG_EINVAL;
    if (HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)input, (size_t)n, mac, &mac_len) == NULL)
        return CONG_EIO;
    OPENSSL_cleanse(input, sizeof input);
    cong_b64url_encode(mac, sizeof mac, out);
    out[CONG_SUBJECT_LEN] = '\0';
    return 0;
}

static int random_b64url(size_t bytes, char *out)
{
    unsigned char buf[32];
    if (bytes > sizeof buf || RAND_bytes(buf, (int)bytes) != 1)
        return CONG_EIO;
    size_t n = cong_b64url_encode(buf, bytes, out);
    out[n] = '\0';
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

static int copy_str(const msgpack_object *v, char *dst, size_t cap)
{
    if (v->type != MSGPACK_OBJECT_STR || v->via.str.size >= cap)
        return CONG_EPARSE;
    memcpy(dst, v->via.str.ptr, v->via.str.size);
    dst[v->via.str.size] = '\0';
    return 0;
}

static int copy_int(const msgpack_object *v, int64_t *dst)
{
    if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && v->via.u64 <= INT64_MAX)
        *dst = (int64_t)v->via.u64;
    else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        *dst = v->via.i64;
    else
        return CONG_EPARSE;
    return 0;
}

#define KEY_IS(kv, name) ((kv)->key.via.str.size == sizeof(name) - 1 && memcmp((kv)->key.via.str.ptr, name, sizeof(name) - 1) == 0)

static int decode_field(const msgpack_object_kv *kv, cong_session_t *s, int64_t *version)
{
    int64_t loa = 0;
    if (kv->key.type != MSGPACK_OBJECT_STR)
        return CONG_EPARSE;
    if (KEY_IS(kv, "v"))
        return copy_int(&kv->val, version);
    if (KEY_IS(kv, "sub"))
        return copy_str(&kv->val, s->sub, sizeof s->sub);
    if (KEY_IS(kv, "dev_id"))
        return copy_str(&kv->val, s->dev_id, sizeof s->dev_id);
    if (KEY_IS(kv, "dev_name"))
        return copy_str(&kv->val, s->dev_name, sizeof s->dev_name);
    if (KEY_IS(kv, "dev_platform"))
        return copy_str(&kv->val, s->dev_platform, sizeof s->dev_platform);
    if (KEY_IS(kv, "created"))
        return copy_int(&kv->val, &s->created);
    if (KEY_IS(kv, "last_seen"))
        return copy_int(&kv->val, &s->last_seen);
    if (KEY_IS(kv, "auth_time"))
        return copy_int(&kv->val, &s->auth_time);
    if (KEY_IS(kv, "gen"))
        return copy_int(&kv->val, &s->gen);
    if (KEY_IS(kv, "rt"))
        return copy_str(&kv->val, s->rt, sizeof s->rt);
    if (KEY_IS(kv, "loa")) {
        int rc = copy_int(&kv->val, &loa);
        s->loa = loa >= 0 && loa <= 2 ? (int)loa : 0;
        return rc;
    }
    return 0; /* unknown fields: written by a newer version, ignored */
}

int cong_session_decode(const char *buf, size_t len, cong_session_t *out)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    int rc = CONG_EPARSE;
    int64_t version = 0;
    memset(out, 0, sizeof *out);
    if (!cong_msgpack_bounded(buf, len)) {
        msgpack_unpacked_destroy(&u);
        return CONG_EPARSE;
    }
    if (msgpack_unpack_next(&u, buf, len, &off) == MSGPACK_UNPACK_SUCCESS && off == len &&
        u.data.type == MSGPACK_OBJECT_MAP) {
        rc = 0;
        for (uint32_t i = 0; rc == 0 && i < u.data.via.map.size; i++)
            rc = decode_field(&u.data.via.map.ptr[i], out, &version);
        if (rc == 0 && (version != 1 || out->sub[0] == '\0'))
            rc = CONG_EPARSE;
    }
    msgpack_unpacked_destroy(&u);
    return rc;
}
