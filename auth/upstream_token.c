/* auth/upstream_token.c — cong's token for a partner's upstream (contract in upstream_token.h). */
#include "upstream_token.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "cong/errors.h"
#include "subject.h"

/* The partner's own key: HMAC(subject secret, "upstream-sub:" partner). A partner never learns it, and one partner's
 * pseudonyms say nothing about another's. */
static int partner_key(const cong_identity_t *id, const char *partner, unsigned char key[32])
{
    static const char label[] = "upstream-sub:";
    size_t plen = strlen(partner);
    unsigned char input[sizeof label + 64];
    if (plen == 0 || plen > 64 || id->secret_len == 0)
        return CONG_EINVAL;
    memcpy(input, label, sizeof label - 1);
    memcpy(input + sizeof label - 1, partner, plen);
    unsigned int len = 0;
    if (HMAC(EVP_sha256(), id->secret, (int)id->secret_len, input, sizeof label - 1 + plen, key, &len) == NULL)
        return CONG_EIO;
    return 0;
}

int cong_upstream_pseudonym(const cong_identity_t *id, const char *partner, const char *subject, char *out)
{
    if (id == NULL || partner == NULL || subject == NULL || subject[0] == '\0' || out == NULL)
        return CONG_EINVAL;
    unsigned char key[32], mac[32];
    unsigned int len = 0;
    int rc = partner_key(id, partner, key);
    if (rc == 0 && HMAC(EVP_sha256(), key, sizeof key, (const unsigned char *)subject, strlen(subject), mac, &len) ==
                       NULL)
        rc = CONG_EIO;
    OPENSSL_cleanse(key, sizeof key);
    if (rc != 0)
        return rc;
    cong_b64url_encode(mac, sizeof mac, out);
    out[CONG_SUBJECT_LEN] = '\0';
    return 0;
}

int cong_upstream_granted_scopes(const cong_upstream_grant_t *g, char *out, size_t cap)
{
    const char *s = g->scopes != NULL ? g->scopes : "";
    size_t at = 0;
    while (*s) {
        size_t n = strcspn(s, " ");
        for (size_t i = 0; n > 0 && i < g->granted_count; i++) {
            if (strlen(g->granted[i]) == n && memcmp(g->granted[i], s, n) == 0) {
                if (at + (at > 0) + n >= cap)
                    return CONG_ETOOBIG;
                if (at > 0)
                    out[at++] = ' ';
                memcpy(out + at, s, n);
                at += n;
                break;
            }
        }
        s += n;
        s += strspn(s, " ");
    }
    if (cap == 0)
        return CONG_ETOOBIG;
    out[at] = '\0';
    return 0;
}

/* The caller's scopes that the partner was granted; malloc'd ("" when none). */
static char *granted_scopes(const cong_upstream_grant_t *g)
{
    size_t cap = (g->scopes != NULL ? strlen(g->scopes) : 0) + 1;
    char *out = malloc(cap);
    if (out != NULL && cong_upstream_granted_scopes(g, out, cap) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

static int add_pseudonyms(const cong_identity_t *id, const cong_upstream_grant_t *g, json_t *claims)
{
    char sub[CONG_SUBJECT_LEN + 1];
    if (g->subject == NULL || g->subject[0] == '\0')
        return 0;
    int rc = cong_upstream_pseudonym(id, g->partner, g->subject, sub);
    if (rc != 0)
        return rc;
    json_object_set_new(claims, "sub", json_string(sub));
    if (g->actor != NULL && g->actor[0] != '\0') {
        if ((rc = cong_upstream_pseudonym(id, g->partner, g->actor, sub)) != 0)
            return rc;
        json_object_set_new(claims, "act", json_pack("{s:s}", "sub", sub));
    }
    return 0;
}

int cong_upstream_token_issue(const cong_identity_t *id, const cong_upstream_grant_t *g, int64_t now, char **token)
{
    *token = NULL;
    if (id == NULL || id->signing == NULL || g == NULL || g->partner == NULL || g->partner[0] == '\0')
        return CONG_EINVAL;
    unsigned char raw[16];
    char jti[32];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return CONG_EIO;
    jti[cong_b64url_encode(raw, sizeof raw, jti)] = '\0';
    char acr[2] = {(char)('0' + (g->loa >= 0 && g->loa <= 2 ? g->loa : 0)), '\0'};
    char *scope = granted_scopes(g);
    json_t *claims = scope == NULL ? NULL
                   : json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s}", "iss", id->issuer, "aud", g->partner, "iat",
                               (json_int_t)now, "exp", (json_int_t)(now + CONG_UPSTREAM_TOKEN_TTL_S), "jti", jti,
                               "scope", scope, "acr", acr);
    free(scope);
    if (claims == NULL)
        return CONG_ENOMEM;
    if (g->client_id != NULL && g->client_id[0] != '\0')
        json_object_set_new(claims, "client_id", json_string(g->client_id));
    int rc = add_pseudonyms(id, g, claims);
    char *text = rc == 0 ? json_dumps(claims, JSON_COMPACT) : NULL;
    json_decref(claims);
    if (rc != 0)
        return rc;
    if (text == NULL)
        return CONG_ENOMEM;
    rc = cong_jwt_sign_es256(id->signing, id->kid, text, token);
    free(text);
    return rc;
}
