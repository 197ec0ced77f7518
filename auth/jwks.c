/*
 * auth/jwks.c — JWKS keysets (RFC 7517 §5): parsing into an immutable, reference-counted cong_jwks_t, lookup by kid,
 * and publishing public keys as a JWKS document.
 *
 * A set is built completely before anyone sees it and never changes afterwards, so readers need no lock; the atomic
 * reference count lets a refresher swap in a new set while workers finish with the old one. Unusable keys are skipped
 * (see auth.h); a duplicate kid refuses the whole document, since it would make "kid" ambiguous.
 */
#include "jwk_internal.h"

#include "cong/errors.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct jwks_entry {
    char kid[CONG_JWK_KID_MAX + 1];
    size_t kid_len;
    cong_jwt_key_t key;
} jwks_entry_t;

struct cong_jwks {
    atomic_uint refs;
    size_t count;   /* usable keys in entry[] */
    size_t skipped; /* keys in the document that were not usable */
    jwks_entry_t entry[];
};

static void free_set(cong_jwks_t *set)
{
    for (size_t i = 0; i < set->count; i++) {
        cong_es256_table_free(&set->entry[i].key);
        EVP_PKEY_free(set->entry[i].key.pkey);
    }
    free(set);
}

/* The kid of a JWK when it is well formed, else NULL. */
static const char *kid_of(const json_t *jwk, size_t *len)
{
    const json_t *kid = json_is_object(jwk) ? json_object_get(jwk, "kid") : NULL;
    if (!json_is_string(kid) || !cong_jwk_kid_ok(json_string_value(kid), json_string_length(kid)))
        return NULL;
    *len = json_string_length(kid);
    return json_string_value(kid);
}

/* Any two well-formed kids equal? (At most CONG_JWKS_MAX_KEYS keys: quadratic is fine.) */
static int has_duplicate_kid(const json_t *keys)
{
    size_t n = json_array_size(keys);
    for (size_t i = 0; i < n; i++) {
        size_t a_len, b_len;
        const char *a = kid_of(json_array_get(keys, i), &a_len);
        for (size_t j = i + 1; a && j < n; j++) {
            const char *b = kid_of(json_array_get(keys, j), &b_len);
            if (b && a_len == b_len && memcmp(a, b, a_len) == 0)
                return 1;
        }
    }
    return 0;
}

static int build(const json_t *keys, cong_jwks_t **out)
{
    size_t n = json_array_size(keys);
    cong_jwks_t *set = calloc(1, sizeof *set + n * sizeof set->entry[0]);
    if (!set)
        return CONG_ENOMEM;
    atomic_init(&set->refs, 1);
    for (size_t i = 0; i < n; i++) {
        const json_t *jwk = json_array_get(keys, i);
        jwks_entry_t *e = &set->entry[set->count];
        const char *kid = kid_of(jwk, &e->kid_len);
        int rc = kid ? cong_jwk_import(jwk, &e->key) : CONG_EINVAL;
        if (rc == CONG_ENOMEM) {
            free_set(set);
            return rc;
        }
        if (rc != CONG_OK) {
            set->skipped++;
            continue;
        }
        memcpy(e->kid, kid, e->kid_len);
        e->kid[e->kid_len] = '\0';
        set->count++;
    }
    if (set->count == 0) {
        free_set(set);
        return CONG_ENOTFOUND;
    }
    *out = set;
    return CONG_OK;
}

int cong_jwks_parse(const char *json, size_t len, cong_jwks_t **out)
{
    if (!out)
        return CONG_EINVAL;
    *out = NULL;
    if (!json)
        return CONG_EINVAL;
    if (len > CONG_JWKS_MAX_BYTES)
        return CONG_ETOOBIG;
    json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    const json_t *keys = json_is_object(doc) ? json_object_get(doc, "keys") : NULL;
    int rc;
    if (!json_is_array(keys))
        rc = CONG_EPARSE;
    else if (json_array_size(keys) > CONG_JWKS_MAX_KEYS)
        rc = CONG_ETOOBIG;
    else if (has_duplicate_kid(keys))
        rc = CONG_EEXIST;
    else
        rc = build(keys, out);
    json_decref(doc);
    return rc;
}

cong_jwks_t *cong_jwks_retain(cong_jwks_t *set)
{
    if (set)
        atomic_fetch_add_explicit(&set->refs, 1, memory_order_relaxed);
    return set;
}

void cong_jwks_release(cong_jwks_t *set)
{
    if (set && atomic_fetch_sub_explicit(&set->refs, 1, memory_order_acq_rel) == 1)
        free_set(set);
}

size_t cong_jwks_count(const cong_jwks_t *set)
{
    return set ? set->count : 0;
}

size_t cong_jwks_skipped(const cong_jwks_t *set)
{
    return set ? set->skipped : 0;
}

void cong_jwks_prepare(const cong_jwks_t *set)
{
    for (size_t i = 0; set != NULL && i < set->count; i++)
        cong_jwt_key_prepare(&set->entry[i].key);
}

const cong_jwt_key_t *cong_jwks_find(const cong_jwks_t *set, const char *kid, size_t kid_len)
{
    if (!set || !kid)
        return NULL;
    for (size_t i = 0; i < set->count; i++)
        if (set->entry[i].kid_len == kid_len && memcmp(set->entry[i].kid, kid, kid_len) == 0)
            return &set->entry[i].key;
    return NULL;
}

const char *cong_jwks_kid(const cong_jwks_t *set, size_t i)
{
    return set && i < set->count ? set->entry[i].kid : NULL;
}

const cong_jwt_key_t *cong_jwks_key(const cong_jwks_t *set, size_t i)
{
    return set && i < set->count ? &set->entry[i].key : NULL;
}

/* ---- publishing ---- */

static json_t *public_jwk(const cong_jwt_key_t *key, const char *kid, cong_jwt_alg_t alg, int *rc)
{
    *rc = CONG_EINVAL;
    if (!key || !kid || !cong_jwk_kid_ok(kid, strlen(kid)) || !cong_jwt_alg_fits(alg, cong_jwt_key_kind(key)))
        return NULL;
    json_t *jwk = json_object();
    *rc = jwk ? cong_jwk_export_public(key, jwk) : CONG_ENOMEM;
    if (*rc == CONG_OK && (json_object_set_new(jwk, "use", json_string("sig")) != 0 ||
                           json_object_set_new(jwk, "alg", json_string(cong_jwt_alg_name(alg))) != 0 ||
                           json_object_set_new(jwk, "kid", json_string(kid)) != 0))
        *rc = CONG_ENOMEM;
    if (*rc != CONG_OK) {
        json_decref(jwk);
        return NULL;
    }
    return jwk;
}

int cong_jwks_public_json(const cong_jwt_key_t *const keys[], size_t n, const char *const kids[],
                          const cong_jwt_alg_t algs[], char **out)
{
    if (!out)
        return CONG_EINVAL;
    *out = NULL;
    if (n > 0 && (!keys || !kids))
        return CONG_EINVAL;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (kids[i] && kids[j] && strcmp(kids[i], kids[j]) == 0)
                return CONG_EEXIST;
    int rc = CONG_ENOMEM;
    json_t *doc = json_object(), *list = json_array();
    if (!doc || !list || json_object_set(doc, "keys", list) != 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        json_t *jwk = public_jwk(keys[i], kids[i], algs ? algs[i] : cong_jwt_key_alg(keys[i]), &rc);
        if (!jwk)
            goto out;
        if (json_array_append_new(list, jwk) != 0) {
            rc = CONG_ENOMEM;
            goto out;
        }
    }
    /* Our own malloc'd copy, not jansson's allocator (which the process may have replaced). */
    rc = CONG_ENOMEM;
    size_t len = json_dumpb(doc, NULL, 0, JSON_COMPACT);
    char *text = len ? malloc(len + 1) : NULL;
    if (!text || json_dumpb(doc, text, len, JSON_COMPACT) != len) {
        free(text);
        goto out;
    }
    text[len] = '\0';
    *out = text;
    rc = CONG_OK;
out:
    json_decref(list);
    json_decref(doc);
    return rc;
}
