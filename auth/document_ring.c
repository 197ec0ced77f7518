/*
 * auth/document_ring.c — the history of cong's document keys as an immutable, reference-counted ring, looked up by
 * kid (contract in signed_document.h).
 *
 * Unlike a provider's JWKS (auth/jwks.c, at most 64 keys), the history only grows: each rotation adds a key that
 * stays for as long as documents signed with it exist. Keys are sorted by kid and found by binary search; the
 * published JWKS is rebuilt from what was imported, so only usable public members ever leave.
 */
#include "signed_document.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"
#include "jwk_internal.h"

typedef struct ring_entry {
    char kid[CONG_JWK_KID_MAX + 1];
    size_t kid_len;
    cong_jwt_key_t key;
} ring_entry_t;

struct cong_document_ring {
    atomic_uint refs;
    size_t count, skipped;
    char *json; /* the published JWKS */
    size_t json_len;
    ring_entry_t entry[];
};

static void free_ring(cong_document_ring_t *ring)
{
    for (size_t i = 0; i < ring->count; i++) {
        cong_es256_table_free(&ring->entry[i].key);
        EVP_PKEY_free(ring->entry[i].key.pkey);
    }
    free(ring->json);
    free(ring);
}

static int by_kid(const void *a, const void *b)
{
    const ring_entry_t *x = a, *y = b;
    size_t n = x->kid_len < y->kid_len ? x->kid_len : y->kid_len;
    int c = memcmp(x->kid, y->kid, n);
    return c != 0 ? c : (x->kid_len > y->kid_len) - (x->kid_len < y->kid_len);
}

/* Imports one JWK into the next entry; 1 when it is a usable P-256 key with a well-formed kid, else 0. */
static int import_one(const json_t *jwk, ring_entry_t *e)
{
    const json_t *kid = json_object_get(jwk, "kid"), *alg = json_object_get(jwk, "alg");
    if (!json_is_string(kid) || !cong_jwk_kid_ok(json_string_value(kid), json_string_length(kid)) ||
        (alg != NULL && (!json_is_string(alg) || strcmp(json_string_value(alg), "ES256") != 0)))
        return 0;
    if (cong_jwk_import(jwk, &e->key) != CONG_OK)
        return 0;
    if (e->key.kind != CONG_JWT_KEY_EC_P256) {
        EVP_PKEY_free(e->key.pkey);
        return 0;
    }
    e->kid_len = json_string_length(kid);
    memcpy(e->kid, json_string_value(kid), e->kid_len + 1);
    return 1;
}

/* {"kty","crv","x","y","use":"sig","alg":"ES256","kid"}, or NULL (no memory). */
static json_t *public_jwk(const cong_jwt_key_t *key, const char *kid, size_t kid_len)
{
    json_t *jwk = json_object();
    if (jwk == NULL || cong_jwk_export_public(key, jwk) != CONG_OK ||
        json_object_set_new(jwk, "use", json_string("sig")) != 0 ||
        json_object_set_new(jwk, "alg", json_string("ES256")) != 0 ||
        json_object_set_new(jwk, "kid", json_stringn(kid, kid_len)) != 0) {
        json_decref(jwk);
        return NULL;
    }
    return jwk;
}

/* Compact text of `json` in a malloc'd NUL-terminated buffer of our own, or NULL. */
static char *dump(const json_t *json, size_t *len)
{
    size_t n = json != NULL ? json_dumpb(json, NULL, 0, JSON_COMPACT) : 0;
    char *text = n > 0 ? malloc(n + 1) : NULL;
    if (text != NULL && json_dumpb(json, text, n, JSON_COMPACT) != n) {
        free(text);
        return NULL;
    }
    if (text != NULL)
        text[n] = '\0', *len = n;
    return text;
}

/* The published form of the ring's keys; CONG_ENOMEM. */
static int publish(cong_document_ring_t *ring)
{
    json_t *keys = json_array(), *doc = json_pack("{s:o}", "keys", keys);
    int ok = doc != NULL;
    for (size_t i = 0; ok && i < ring->count; i++)
        ok = json_array_append_new(keys, public_jwk(&ring->entry[i].key, ring->entry[i].kid,
                                                    ring->entry[i].kid_len)) == 0;
    ring->json = ok ? dump(doc, &ring->json_len) : NULL;
    json_decref(doc);
    return ring->json != NULL ? CONG_OK : CONG_ENOMEM;
}

/* The signer's public key as one more entry (its kid is not in the ring yet). */
static int add_signer(cong_document_ring_t *ring, const cong_document_signer_t *signer)
{
    char *text = NULL;
    int rc = cong_document_public_jwk(signer, &text);
    json_t *jwk = rc == CONG_OK ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (jwk == NULL)
        return rc != CONG_OK ? rc : CONG_ENOMEM;
    rc = import_one(jwk, &ring->entry[ring->count]) ? CONG_OK : CONG_EINVAL;
    ring->count += rc == CONG_OK;
    json_decref(jwk);
    return rc;
}

static int build(const json_t *list, const cong_document_signer_t *extra, cong_document_ring_t **out)
{
    size_t n = json_array_size(list);
    if (n > CONG_DOCUMENT_RING_MAX_KEYS)
        return CONG_ETOOBIG;
    cong_document_ring_t *ring = calloc(1, sizeof *ring + (n + 1) * sizeof(ring_entry_t));
    if (ring == NULL)
        return CONG_ENOMEM;
    atomic_init(&ring->refs, 1);
    for (size_t i = 0; i < n; i++) {
        if (import_one(json_array_get(list, i), &ring->entry[ring->count]))
            ring->count++;
        else
            ring->skipped++;
    }
    qsort(ring->entry, ring->count, sizeof ring->entry[0], by_kid);
    int rc = CONG_OK;
    for (size_t i = 1; i < ring->count && rc == CONG_OK; i++)
        if (by_kid(&ring->entry[i - 1], &ring->entry[i]) == 0)
            rc = CONG_EEXIST;
    if (rc == CONG_OK && extra != NULL && extra->key != NULL &&
        cong_document_ring_find(ring, extra->kid, strlen(extra->kid)) == NULL) {
        rc = add_signer(ring, extra);
        qsort(ring->entry, ring->count, sizeof ring->entry[0], by_kid);
    }
    if (rc == CONG_OK)
        rc = publish(ring);
    if (rc != CONG_OK) {
        free_ring(ring);
        return rc;
    }
    *out = ring;
    return CONG_OK;
}

int cong_document_ring_parse_with(const char *jwks, size_t len, const cong_document_signer_t *extra,
                                  cong_document_ring_t **out)
{
    *out = NULL;
    if (jwks == NULL)
        return CONG_EINVAL;
    json_t *doc = json_loadb(jwks, len, JSON_REJECT_DUPLICATES, NULL);
    const json_t *list = json_object_get(doc, "keys");
    int rc = json_is_object(doc) && json_is_array(list) ? build(list, extra, out) : CONG_EPARSE;
    json_decref(doc);
    return rc;
}

int cong_document_ring_parse(const char *jwks, size_t len, cong_document_ring_t **out)
{
    return cong_document_ring_parse_with(jwks, len, NULL, out);
}

cong_document_ring_t *cong_document_ring_retain(cong_document_ring_t *ring)
{
    if (ring != NULL)
        atomic_fetch_add(&ring->refs, 1);
    return ring;
}

void cong_document_ring_release(cong_document_ring_t *ring)
{
    if (ring != NULL && atomic_fetch_sub(&ring->refs, 1) == 1)
        free_ring(ring);
}

size_t cong_document_ring_count(const cong_document_ring_t *ring)
{
    return ring != NULL ? ring->count : 0;
}

size_t cong_document_ring_skipped(const cong_document_ring_t *ring)
{
    return ring != NULL ? ring->skipped : 0;
}

const cong_jwt_key_t *cong_document_ring_find(const cong_document_ring_t *ring, const char *kid, size_t kid_len)
{
    if (ring == NULL || kid == NULL || kid_len == 0 || kid_len > CONG_JWK_KID_MAX)
        return NULL;
    ring_entry_t probe;
    memcpy(probe.kid, kid, kid_len);
    probe.kid_len = kid_len;
    const ring_entry_t *e = bsearch(&probe, ring->entry, ring->count, sizeof ring->entry[0], by_kid);
    return e != NULL ? &e->key : NULL;
}

const char *cong_document_ring_json(const cong_document_ring_t *ring, size_t *len)
{
    if (len != NULL)
        *len = ring != NULL ? ring->json_len : 0;
    return ring != NULL ? ring->json : NULL;
}

int cong_document_public_jwk(const cong_document_signer_t *signer, char **out)
{
    *out = NULL;
    if (signer == NULL || signer->key == NULL || cong_jwt_key_kind(signer->key) != CONG_JWT_KEY_EC_P256 ||
        !cong_jwk_kid_ok(signer->kid, strlen(signer->kid)))
        return CONG_EINVAL;
    json_t *jwk = public_jwk(signer->key, signer->kid, strlen(signer->kid));
    size_t len = 0;
    *out = dump(jwk, &len);
    json_decref(jwk);
    return *out != NULL ? CONG_OK : CONG_ENOMEM;
}
