/*
 * auth/signed_document.c — documents cong vouches for (electronic results of dossiers): a JSON object signed with
 * cong's current key as a JWS compact serialisation, and verified against cong's own keys (current and previous).
 *
 * Unlike an access token, a signed document has no audience and no expiry to check here: it says "cong issued this
 * object"; what the object means (a dossier's result with its SHA-256) is the caller's business.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cong/module.h"
#include "identity.h"
#include "jwt_key_internal.h"

#define SIGNED_DOCUMENT_MAX_BYTES 16384

int cong_identity_sign_document(const cong_identity_t *id, const char *payload_json, char **out)
{
    *out = NULL;
    if (id == NULL || id->signing == NULL)
        return CONG_ENOTFOUND;
    return cong_jwt_sign(id->signing, CONG_JWT_ALG_ES256, id->kid, payload_json, out);
}

/* Decodes one base64url segment into a malloc'd NUL-terminated buffer. */
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

/* The key a header names: {"alg":"ES256","kid":<one of cong's>}; no other algorithm, no crit. */
static const cong_jwt_key_t *header_key(const cong_identity_t *id, const unsigned char *header, size_t len)
{
    json_t *h = json_loadb((const char *)header, len, JSON_REJECT_DUPLICATES, NULL);
    const cong_jwt_key_t *key = NULL;
    const char *alg = json_string_value(json_object_get(h, "alg"));
    const char *kid = json_string_value(json_object_get(h, "kid"));
    if (json_is_object(h) && alg != NULL && strcmp(alg, "ES256") == 0 && kid != NULL &&
        json_object_get(h, "crit") == NULL)
        key = cong_jwks_find(id->own_keys, kid, strlen(kid));
    json_decref(h);
    return key;
}

int cong_identity_verify_document(const cong_identity_t *id, const char *jws, size_t len, char **payload,
                                  size_t *payload_len)
{
    *payload = NULL;
    if (id == NULL || id->own_keys == NULL)
        return CONG_ENOTFOUND;
    if (jws == NULL || len == 0 || len > SIGNED_DOCUMENT_MAX_BYTES || memchr(jws, '\0', len) != NULL)
        return CONG_EINVAL;
    const char *dot1 = memchr(jws, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - jws)) : NULL;
    if (dot1 == NULL || dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - jws)) != NULL)
        return CONG_EINVAL;
    size_t hlen = 0, plen = 0, slen = 0;
    unsigned char *header = decode_segment(jws, (size_t)(dot1 - jws), &hlen);
    unsigned char *body = decode_segment(dot1 + 1, (size_t)(dot2 - dot1 - 1), &plen);
    unsigned char *sig = decode_segment(dot2 + 1, len - (size_t)(dot2 + 1 - jws), &slen);
    const cong_jwt_key_t *key = header != NULL ? header_key(id, header, hlen) : NULL;
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
