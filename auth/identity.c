#include "identity.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"
#include "jwt_key_internal.h"
#include "mandate_claim.h"

int cong_jwt_key_id(const cong_jwt_key_t *key, char *out)
{
    unsigned char *der = NULL, digest[SHA256_DIGEST_LENGTH];
    int len = i2d_PUBKEY(key->pkey, &der);
    if (len <= 0)
        return CONG_EIO;
    SHA256(der, (size_t)len, digest);
    OPENSSL_free(der);
    char b64[48];
    cong_b64url_encode(digest, sizeof digest, b64);
    memcpy(out, b64, CONG_KID_LEN);
    out[CONG_KID_LEN] = '\0';
    return 0;
}

static int fail(char *err, size_t errlen, int rc, const char *what)
{
    snprintf(err, errlen, "%s", what);
    return rc;
}

static int read_secret(cong_identity_t *id, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return CONG_EIO;
    id->secret_len = fread(id->secret, 1, sizeof id->secret, f);
    fclose(f);
    while (id->secret_len > 0 && (id->secret[id->secret_len - 1] == '\n' || id->secret[id->secret_len - 1] == '\r'))
        id->secret_len--;
    return id->secret_len >= 32 ? 0 : CONG_EINVAL;
}

static int load_signing_keys(cong_identity_t *id, const cong_identity_settings_t *s)
{
    if (cong_jwt_key_load_private_file(s->signing_key_file, &id->signing) != 0 ||
        cong_jwt_key_kind(id->signing) != CONG_JWT_KEY_EC_P256 || cong_jwt_key_id(id->signing, id->kid) != 0)
        return CONG_EINVAL;
    if (s->previous_key_file != NULL && s->previous_key_file[0] != '\0' &&
        (cong_jwt_key_load_private_file(s->previous_key_file, &id->previous) != 0 ||
         cong_jwt_key_id(id->previous, id->previous_kid) != 0))
        return CONG_EINVAL;
    const cong_jwt_key_t *keys[2] = {id->signing, id->previous};
    const char *kids[2] = {id->kid, id->previous_kid};
    size_t n = id->previous != NULL ? 2 : 1;
    if (cong_jwks_public_json(keys, n, kids, NULL, &id->jwks_json) != 0)
        return CONG_EIO;
    int rc = cong_jwks_parse(id->jwks_json, strlen(id->jwks_json), &id->own_keys);
    cong_jwks_prepare(id->own_keys); /* cong's own tokens are verified with these: tables now, not on a request */
    return rc;
}

int cong_identity_init(cong_identity_t *id, const cong_identity_settings_t *s, char *err, size_t errlen)
{
    memset(id, 0, sizeof *id);
    id->issuer = strdup(s->issuer);
    id->audience = strdup(s->audience);
    id->vneid_issuer = strdup(s->vneid_issuer ? s->vneid_issuer : "");
    id->vneid_client_id = strdup(s->vneid_client_id ? s->vneid_client_id : "");
    if (!id->issuer || !id->audience || !id->vneid_issuer || !id->vneid_client_id)
        return fail(err, errlen, CONG_ENOMEM, "out of memory");
    id->access_ttl_s = s->access_ttl_s;
    id->vneid_clock_skew_s = s->vneid_clock_skew_s;
    if (load_signing_keys(id, s) != 0)
        return fail(err, errlen, CONG_EINVAL, "auth.signing_key_file: cannot load a P-256 private key");
    if (read_secret(id, s->subject_secret_file) != 0)
        return fail(err, errlen, CONG_EINVAL, "auth.subject_secret_file: cannot read at least 32 bytes");
    if (s->vneid_jwks != NULL && s->vneid_jwks[0] != '\0') {
        cong_jwks_source_config_t src = {.location = s->vneid_jwks, .refresh_interval_ms = s->vneid_refresh_ms,
                                         .cooldown_ms = s->vneid_cooldown_ms, .allow_empty_start = 1};
        if (cong_jwks_source_new(&src, &id->vneid) != 0)
            return fail(err, errlen, CONG_EINVAL, "vneid.jwks: cannot use this location");
    }
    return 0;
}

void cong_identity_free(cong_identity_t *id)
{
    cong_jwks_source_free(id->vneid);
    if (id->own_keys != NULL)
        cong_jwks_release(id->own_keys);
    cong_jwt_key_free(id->signing);
    cong_jwt_key_free(id->previous);
    free(id->jwks_json);
    free(id->issuer);
    free(id->audience);
    free(id->vneid_issuer);
    free(id->vneid_client_id);
    OPENSSL_cleanse(id->secret, sizeof id->secret);
    memset(id, 0, sizeof *id);
}

static int has_admin(const char *scope)
{
    return cong_word_in_list(scope, "admin", 5);
}

/* "act" and "mandate": a grantee acting for `sub` under a mandate; never for oneself, never with "admin". */
static int add_acting_for(json_t *claims, const cong_access_grant_t *g)
{
    if (g->actor[0] == '\0' || strcmp(g->actor, g->sub) == 0 || (g->scope != NULL && has_admin(g->scope)))
        return -1;
    json_t *m = cong_mandate_claim_build(g->mandate_id, g->mandate_actions, g->mandate_procedures, g->mandate_domains,
                                         g->mandate_until);
    if (m == NULL)
        return -1;
    json_object_set_new(claims, "mandate", m);
    json_object_set_new(claims, "act", json_pack("{s:s}", "sub", g->actor));
    return 0;
}

int cong_identity_issue(const cong_identity_t *id, const cong_access_grant_t *g, int64_t now, char **token,
                        int64_t *exp)
{
    *token = NULL;
    int64_t until = now + id->access_ttl_s;
    if (g->not_after != 0 && g->not_after < until)
        until = g->not_after;
    if (until <= now)
        return CONG_EINVAL;
    unsigned char raw[16];
    char jti[32];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return CONG_EIO;
    jti[cong_b64url_encode(raw, sizeof raw, jti)] = '\0';
    char acr[2] = {(char)('0' + (g->loa >= 0 && g->loa <= 2 ? g->loa : 0)), '\0'};
    json_t *claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s}", "iss", id->issuer, "aud", id->audience,
                               "sub", g->sub, "iat", (json_int_t)now, "exp", (json_int_t)until, "jti", jti, "scope",
                               g->scope ? g->scope : "", "acr", acr);
    if (claims == NULL)
        return CONG_ENOMEM;
    if (g->sid != NULL)
        json_object_set_new(claims, "sid", json_string(g->sid));
    if (g->client_id != NULL)
        json_object_set_new(claims, "client_id", json_string(g->client_id));
    if (g->auth_time > 0)
        json_object_set_new(claims, "auth_time", json_integer((json_int_t)g->auth_time));
    if (g->actor != NULL && add_acting_for(claims, g) != 0) {
        json_decref(claims);
        return CONG_EINVAL;
    }
    char *text = json_dumps(claims, JSON_COMPACT);
    json_decref(claims);
    if (text == NULL)
        return CONG_ENOMEM;
    int rc = cong_jwt_sign_typed(id->signing, CONG_JWT_ALG_ES256, "at+jwt", id->kid, text, token);
    free(text);
    if (rc == 0 && exp != NULL)
        *exp = until;
    return rc;
}
