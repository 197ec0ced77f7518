/*
 * auth/signed_document.c — signing and verifying documents with cong's document keys (contract in signed_document.h).
 *
 * The header is written and checked here rather than by the JWT code: a document is not a JWT (no iss, aud or exp)
 * and its "typ" is what keeps it apart from access tokens, so it is pinned exactly, both ways.
 */
#include "signed_document.h"

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"
#include "jwt_key_internal.h"

static int signer_from(cong_jwt_key_t *key, cong_document_signer_t *out)
{
    memset(out, 0, sizeof *out);
    if (cong_jwt_key_kind(key) != CONG_JWT_KEY_EC_P256 || cong_jwt_key_id(key, out->kid) != 0) {
        cong_jwt_key_free(key);
        return CONG_EINVAL;
    }
    out->key = key;
    return 0;
}

int cong_document_signer_load(const char *path, cong_document_signer_t *out)
{
    cong_jwt_key_t *key = NULL;
    memset(out, 0, sizeof *out);
    int rc = cong_jwt_key_load_private_file(path, &key);
    return rc != 0 ? rc : signer_from(key, out);
}

int cong_document_signer_generate(cong_document_signer_t *out)
{
    memset(out, 0, sizeof *out);
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem = NULL;
    long pem_len = 0;
    cong_jwt_key_t *key = NULL;
    int rc = CONG_EIO;
    if (pkey != NULL && bio != NULL && PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) == 1 &&
        (pem_len = BIO_get_mem_data(bio, &pem)) > 0 && cong_jwt_key_load_private_pem(pem, (size_t)pem_len, &key) == 0)
        rc = signer_from(key, out);
    BIO_free_all(bio);
    EVP_PKEY_free(pkey);
    return rc;
}

void cong_document_signer_free(cong_document_signer_t *signer)
{
    if (signer != NULL) {
        cong_jwt_key_free(signer->key);
        memset(signer, 0, sizeof *signer);
    }
}

/* Compact JSON in a malloc'd buffer of our own (not jansson's allocator, which the process may have replaced). */
static char *dump_compact(const json_t *json, size_t *len)
{
    size_t n = json_dumpb(json, NULL, 0, JSON_COMPACT);
    char *buf = n ? malloc(n) : NULL;
    if (buf && json_dumpb(json, buf, n, JSON_COMPACT) != n) {
        free(buf);
        buf = NULL;
    }
    *len = n;
    return buf;
}

/* base64url(header) "." base64url(payload) "." base64url(signature) of the two texts. */
static int sign_parts(const cong_document_signer_t *signer, const char *head, size_t head_len, const char *body,
                      size_t body_len, char **out)
{
    size_t cap = cong_b64url_encoded_len(head_len) + cong_b64url_encoded_len(body_len) +
                 cong_b64url_encoded_len(CONG_JWS_SIG_MAX) + 3;
    char *jws = malloc(cap);
    if (jws == NULL)
        return CONG_ENOMEM;
    size_t n = cong_b64url_encode((const unsigned char *)head, head_len, jws);
    jws[n++] = '.';
    n += cong_b64url_encode((const unsigned char *)body, body_len, jws + n);
    unsigned char sig[CONG_JWS_SIG_MAX];
    size_t sig_len = 0;
    int rc = cong_jws_sign(signer->key, CONG_JWT_ALG_ES256, jws, n, sig, &sig_len);
    if (rc != CONG_OK) {
        free(jws);
        return rc;
    }
    jws[n++] = '.';
    n += cong_b64url_encode(sig, sig_len, jws + n);
    jws[n] = '\0';
    *out = jws;
    return 0;
}

int cong_document_sign(const cong_document_signer_t *signer, const char *payload_json, char **out)
{
    *out = NULL;
    if (signer == NULL || signer->key == NULL || !cong_jwt_key_is_private(signer->key))
        return CONG_ENOTFOUND;
    if (payload_json == NULL || cong_jwt_key_kind(signer->key) != CONG_JWT_KEY_EC_P256)
        return CONG_EINVAL;
    json_t *payload = json_loads(payload_json, JSON_REJECT_DUPLICATES, NULL);
    json_t *header = json_pack("{s:s, s:s, s:s}", "alg", "ES256", "typ", CONG_DOCUMENT_TYP, "kid", signer->kid);
    int rc = json_is_object(payload) && header != NULL ? CONG_ENOMEM : CONG_EINVAL;
    size_t head_len = 0, body_len = 0;
    char *head = rc == CONG_ENOMEM ? dump_compact(header, &head_len) : NULL;
    char *body = head != NULL ? dump_compact(payload, &body_len) : NULL;
    if (body != NULL)
        rc = sign_parts(signer, head, head_len, body, body_len, out);
    free(head);
    free(body);
    json_decref(header);
    json_decref(payload);
    return rc;
}

/* Decodes one base64url segment into a malloc'd NUL-terminated buffer; NULL when it is not strict base64url. */
static unsigned char *decode_segment(const char *s, size_t len, size_t *out_len)
{
    unsigned char *buf = malloc(len * 3 / 4 + 2);
    if (buf == NULL)
        return NULL;
    long n = cong_b64url_decode(s, len, buf);
    if (n < 0) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *out_len = (size_t)n;
    return buf;
}

static int string_is(const json_t *v, const char *want)
{
    return json_is_string(v) && json_string_length(v) == strlen(want) && strcmp(json_string_value(v), want) == 0;
}

/* The key a header names: exactly {"alg":"ES256","typ":CONG_DOCUMENT_TYP,"kid":<in the ring>}, no crit. */
static const cong_jwt_key_t *header_key(const cong_document_ring_t *ring, const unsigned char *header, size_t len)
{
    json_t *h = json_loadb((const char *)header, len, JSON_REJECT_DUPLICATES, NULL);
    const json_t *kid = json_object_get(h, "kid");
    const cong_jwt_key_t *key = NULL;
    if (json_is_object(h) && string_is(json_object_get(h, "alg"), "ES256") &&
        string_is(json_object_get(h, "typ"), CONG_DOCUMENT_TYP) && json_object_get(h, "crit") == NULL &&
        json_is_string(kid))
        key = cong_document_ring_find(ring, json_string_value(kid), json_string_length(kid));
    json_decref(h);
    return key;
}

/* The three parts of a compact serialisation: dots at *dot1 and *dot2, no third. 1, or 0. */
static int split(const char *jws, size_t len, const char **dot1, const char **dot2)
{
    if (jws == NULL || len == 0 || len > CONG_DOCUMENT_MAX_BYTES || memchr(jws, '\0', len) != NULL)
        return 0;
    *dot1 = memchr(jws, '.', len);
    *dot2 = *dot1 ? memchr(*dot1 + 1, '.', len - (size_t)(*dot1 + 1 - jws)) : NULL;
    return *dot2 != NULL && memchr(*dot2 + 1, '.', len - (size_t)(*dot2 + 1 - jws)) == NULL;
}

int cong_document_kid(const char *jws, size_t len, char kid[CONG_JWK_KID_MAX + 1])
{
    const char *dot1, *dot2;
    size_t hlen = 0;
    unsigned char *header = split(jws, len, &dot1, &dot2) ? decode_segment(jws, (size_t)(dot1 - jws), &hlen) : NULL;
    json_t *h = header != NULL ? json_loadb((const char *)header, hlen, JSON_REJECT_DUPLICATES, NULL) : NULL;
    const json_t *k = json_object_get(h, "kid");
    int rc = CONG_EINVAL;
    if (json_is_string(k) && json_string_length(k) > 0 && json_string_length(k) <= CONG_JWK_KID_MAX &&
        strlen(json_string_value(k)) == json_string_length(k)) {
        memcpy(kid, json_string_value(k), json_string_length(k) + 1);
        rc = 0;
    }
    json_decref(h);
    free(header);
    return rc;
}

int cong_document_verify(const cong_document_ring_t *ring, const char *jws, size_t len, char **payload,
                         size_t *payload_len)
{
    *payload = NULL;
    if (ring == NULL)
        return CONG_ENOTFOUND;
    const char *dot1, *dot2;
    if (!split(jws, len, &dot1, &dot2))
        return CONG_EINVAL;
    size_t hlen = 0, plen = 0, slen = 0;
    unsigned char *header = decode_segment(jws, (size_t)(dot1 - jws), &hlen);
    unsigned char *body = decode_segment(dot1 + 1, (size_t)(dot2 - dot1 - 1), &plen);
    unsigned char *sig = decode_segment(dot2 + 1, len - (size_t)(dot2 + 1 - jws), &slen);
    const cong_jwt_key_t *key = header != NULL ? header_key(ring, header, hlen) : NULL;
    int rc = CONG_EINVAL;
    if (key != NULL && body != NULL && sig != NULL &&
        cong_jws_verify(key, CONG_JWT_ALG_ES256, jws, (size_t)(dot2 - jws), sig, slen)) {
        *payload = (char *)body;
        *payload_len = plen;
        body = NULL;
        rc = 0;
    }
    free(header);
    free(body);
    free(sig);
    return rc;
}
