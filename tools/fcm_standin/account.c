/* tools/fcm_standin/account.c — reading the service account's JSON key file (see account.h). */
#include "account.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES (64 * 1024)

/* The string member `name` copied into out (at most max bytes), or a problem. */
static const char *copy_member(json_t *doc, const char *name, char *out, size_t max, int required)
{
    json_t *v = json_object_get(doc, name);
    if (!v && !required)
        return NULL;
    const char *s = json_string_value(v);
    size_t n = s ? json_string_length(v) : 0;
    if (!s || n == 0 || n > max || strlen(s) != n)
        return "a member is missing, not a string, or too long (client_email, private_key, token_uri, project_id)";
    memcpy(out, s, n + 1);
    return NULL;
}

/* The public half of the PEM private key as a one-key keyset; the private key is freed here. */
static const char *load_public_key(fcm_account_t *a, const char *pem)
{
    cong_jwt_key_t *private_key = NULL;
    if (cong_jwt_key_load_private_pem(pem, strlen(pem), &private_key) != 0 ||
        cong_jwt_key_kind(private_key) != CONG_JWT_KEY_RSA) {
        cong_jwt_key_free(private_key);
        return "private_key is not an unencrypted PEM RSA key of 2048 to 8192 bits";
    }
    const cong_jwt_key_t *keys[1] = {private_key};
    const char *kids[1] = {a->key_id[0] ? a->key_id : "standin"};
    const cong_jwt_alg_t algs[1] = {CONG_JWT_ALG_RS256};
    char *jwks = NULL;
    int rc = cong_jwks_public_json(keys, 1, kids, algs, &jwks);
    cong_jwt_key_free(private_key);
    if (rc == 0)
        rc = cong_jwks_parse(jwks, strlen(jwks), &a->keyset);
    free(jwks);
    if (rc != 0)
        return "private_key_id must be 1 to 128 of [A-Za-z0-9._-]";
    a->key = cong_jwks_key(a->keyset, 0);
    return NULL;
}

static const char *check_project(const char *p)
{
    size_t n = strlen(p);
    return strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789-") == n ? NULL
                                                                   : "project_id must be lower-case letters, digits, -";
}

int fcm_account_parse(const char *json, size_t len, fcm_account_t *out, const char **problem)
{
    *out = (fcm_account_t){0};
    json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    const char *p = json_is_object(doc) ? NULL : "not a JSON object";
    const char *type = json_string_value(json_object_get(doc, "type"));
    if (!p && type && strcmp(type, "service_account") != 0)
        p = "type is not service_account";
    if (!p)
        p = copy_member(doc, "client_email", out->client_email, FCM_EMAIL_MAX, 1);
    if (!p)
        p = copy_member(doc, "token_uri", out->token_uri, FCM_URI_MAX, 1);
    if (!p)
        p = copy_member(doc, "project_id", out->project_id, FCM_PROJECT_MAX, 1);
    if (!p)
        p = copy_member(doc, "private_key_id", out->key_id, FCM_KEY_ID_MAX, 0);
    if (!p)
        p = check_project(out->project_id);
    if (!p && strncmp(out->token_uri, "http://", 7) != 0 && strncmp(out->token_uri, "https://", 8) != 0)
        p = "token_uri must be an http:// or https:// URL";
    const char *pem = json_string_value(json_object_get(doc, "private_key"));
    if (!p && !pem)
        p = "private_key is missing";
    if (!p)
        p = load_public_key(out, pem);
    json_decref(doc);
    if (p) {
        fcm_account_free(out);
        *problem = p;
        return -1;
    }
    return 0;
}

int fcm_account_load(const char *path, fcm_account_t *out, const char **problem)
{
    FILE *f = fopen(path, "r");
    char *text = malloc(MAX_FILE_BYTES + 1);
    size_t n = f && text ? fread(text, 1, MAX_FILE_BYTES + 1, f) : 0;
    if (f)
        fclose(f);
    int rc = -1;
    if (!f || !text)
        *problem = "cannot read the file";
    else if (n == 0 || n > MAX_FILE_BYTES)
        *problem = "the file is empty or over 64 KiB";
    else
        rc = fcm_account_parse(text, n, out, problem);
    if (text)
        OPENSSL_cleanse(text, MAX_FILE_BYTES + 1);
    free(text);
    return rc;
}

void fcm_account_free(fcm_account_t *a)
{
    cong_jwks_release(a->keyset);
    *a = (fcm_account_t){0};
}
