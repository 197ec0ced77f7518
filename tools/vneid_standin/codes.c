/*
 * tools/vneid_standin/codes.c — the authorization-code table.
 *
 * A slot is free when its expiry is 0. Burnt and expired codes stay for one more lifetime, so that a late or second
 * redemption is answered "used"/"expired" rather than "unknown", and are reclaimed after that (or at once when the
 * table is full). Lookups compare SHA-256 digests in constant time.
 */
#include "codes.h"

#include "auth/auth.h"
#include "cong/module.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <stdlib.h>
#include <string.h>

#define CODE_BYTES 32

struct vs_code_slot {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    int64_t expires; /* 0: free */
    int used;
    vs_grant_t grant;
};

int vs_random_b64url(size_t nbytes, char *out)
{
    unsigned char raw[64];
    if (nbytes > sizeof raw || RAND_bytes(raw, (int)nbytes) != 1)
        return CONG_EIO;
    cong_b64url_encode(raw, nbytes, out);
    OPENSSL_cleanse(raw, sizeof raw);
    return CONG_OK;
}

int vs_codes_init(vs_codes_t *codes, size_t capacity, int ttl_s)
{
    codes->slots = calloc(capacity, sizeof *codes->slots);
    codes->capacity = codes->slots ? capacity : 0;
    codes->ttl_s = ttl_s;
    return codes->slots ? CONG_OK : CONG_ENOMEM;
}

void vs_codes_free(vs_codes_t *codes)
{
    if (codes->slots)
        OPENSSL_cleanse(codes->slots, codes->capacity * sizeof *codes->slots);
    free(codes->slots);
    codes->slots = NULL;
    codes->capacity = 0;
}

static void slot_clear(vs_code_slot_t *slot)
{
    OPENSSL_cleanse(slot, sizeof *slot);
}

/* A free slot, reclaiming stale ones; when every slot is taken, the first dead (expired or used) one. */
static vs_code_slot_t *free_slot(vs_codes_t *codes, int64_t now)
{
    vs_code_slot_t *free_one = NULL, *dead = NULL;
    for (size_t i = 0; i < codes->capacity; i++) {
        vs_code_slot_t *s = &codes->slots[i];
        if (s->expires != 0 && now >= s->expires + codes->ttl_s)
            slot_clear(s);
        if (s->expires == 0 && !free_one)
            free_one = s;
        else if (s->expires != 0 && (s->used || now >= s->expires) && !dead)
            dead = s;
    }
    return free_one ? free_one : dead;
}

int vs_codes_issue(vs_codes_t *codes, const vs_grant_t *grant, int64_t now, char code[VS_CODE_CHARS + 1])
{
    vs_code_slot_t *slot = free_slot(codes, now);
    if (!slot)
        return CONG_EBUSY;
    if (vs_random_b64url(CODE_BYTES, code) != CONG_OK)
        return CONG_EIO;
    slot_clear(slot);
    SHA256((const unsigned char *)code, VS_CODE_CHARS, slot->digest);
    slot->expires = now + codes->ttl_s;
    slot->grant = *grant;
    return CONG_OK;
}

vs_code_status_t vs_codes_redeem(vs_codes_t *codes, const char *code, int64_t now, vs_grant_t *out)
{
    if (strlen(code) != VS_CODE_CHARS)
        return VS_CODE_UNKNOWN;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)code, VS_CODE_CHARS, digest);
    for (size_t i = 0; i < codes->capacity; i++) {
        vs_code_slot_t *s = &codes->slots[i];
        if (s->expires == 0 || CRYPTO_memcmp(s->digest, digest, sizeof digest) != 0)
            continue;
        if (s->used)
            return VS_CODE_USED;
        s->used = 1;
        if (now >= s->expires)
            return VS_CODE_EXPIRED;
        *out = s->grant;
        return VS_CODE_OK;
    }
    return VS_CODE_UNKNOWN;
}
