/*
 * auth/jwt_sign.c — signing a JSON object as a compact JWS with ES256, RS256 or PS256.
 *
 * The header is {"alg":...,"typ":"JWT"} (or the typ the caller names: "at+jwt" for access tokens) plus "kid" when
 * given; the payload is the caller's object re-serialised compactly (so the signed bytes are well-formed JSON without
 * duplicate keys). The signature itself is made by auth/jws_signature.c (JOSE R||S for ES256).
 */
#include "jwt_key_internal.h"

#include "cong/errors.h"

#include <jansson.h>

#include <stdlib.h>
#include <string.h>

/* Compact JSON text in our own malloc'd buffer (not jansson's allocator, which the process may have replaced). */
static char *dump_compact(const json_t *json, size_t *len)
{
    size_t n = json_dumpb(json, NULL, 0, JSON_COMPACT);
    if (n == 0)
        return NULL;
    char *buf = malloc(n);
    if (buf && json_dumpb(json, buf, n, JSON_COMPACT) != n) {
        free(buf);
        buf = NULL;
    }
    *len = n;
    return buf;
}

static json_t *make_header(cong_jwt_alg_t alg, const char *typ, const char *kid)
{
    json_t *h = json_object();
    if (!h || json_object_set_new(h, "alg", json_string(cong_jwt_alg_name(alg))) ||
        json_object_set_new(h, "typ", json_string(typ)) || (kid && json_object_set_new(h, "kid", json_string(kid)))) {
        json_decref(h);
        return NULL;
    }
    return h;
}

int cong_jwt_sign_typed(const cong_jwt_key_t *private_key, cong_jwt_alg_t alg, const char *typ, const char *kid,
                        const char *claims_json, char **out)
{
    if (!out)
        return CONG_EINVAL;
    *out = NULL;
    if (!private_key || !private_key->has_private || !claims_json || !typ || !*typ ||
        !cong_jwt_alg_fits(alg, private_key->kind))
        return CONG_EINVAL;

    int rc = CONG_EINVAL;
    char *head = NULL, *body = NULL, *token = NULL;
    size_t head_len = 0, body_len = 0;
    json_t *header = make_header(alg, typ, kid); /* NULL also when kid or typ is not UTF-8 */
    json_t *claims = json_loads(claims_json, JSON_REJECT_DUPLICATES, NULL);
    if (!header || !json_is_object(claims))
        goto out;
    rc = CONG_ENOMEM;
    head = dump_compact(header, &head_len);
    body = dump_compact(claims, &body_len);
    if (!head || !body)
        goto out;
    size_t cap = cong_b64url_encoded_len(head_len) + 1 + cong_b64url_encoded_len(body_len) + 1 +
                 cong_b64url_encoded_len(CONG_JWS_SIG_MAX) + 1;
    token = malloc(cap);
    if (!token)
        goto out;
    size_t n = cong_b64url_encode((const unsigned char *)head, head_len, token);
    token[n++] = '.';
    n += cong_b64url_encode((const unsigned char *)body, body_len, token + n);
    unsigned char sig[CONG_JWS_SIG_MAX];
    size_t sig_len = 0;
    rc = cong_jws_sign(private_key, alg, token, n, sig, &sig_len);
    if (rc != CONG_OK)
        goto out;
    token[n++] = '.';
    cong_b64url_encode(sig, sig_len, token + n);
    *out = token;
    token = NULL;
out:
    free(token);
    free(head);
    free(body);
    json_decref(header);
    json_decref(claims);
    return rc;
}

int cong_jwt_sign(const cong_jwt_key_t *private_key, cong_jwt_alg_t alg, const char *kid, const char *claims_json,
                  char **out)
{
    return cong_jwt_sign_typed(private_key, alg, "JWT", kid, claims_json, out);
}

int cong_jwt_sign_es256(const cong_jwt_key_t *private_key, const char *kid, const char *claims_json, char **out)
{
    return cong_jwt_sign(private_key, CONG_JWT_ALG_ES256, kid, claims_json, out);
}
