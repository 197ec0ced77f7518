/*
 * push/delivery/fcm_account.c — reading the service account key file (contract in fcm_account.h). Errors name the
 * member at fault, never a value: the file is a secret.
 */
#include "fcm_account.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"
#include "fcm_http.h"

static char *member(json_t *doc, const char *name, char *err, size_t err_size)
{
    const char *v = json_string_value(json_object_get(doc, name));
    if (v == NULL || v[0] == '\0') {
        snprintf(err, err_size, "service_account_file: no %s", name);
        return NULL;
    }
    return strdup(v);
}

int fcm_account_load(const char *path, fcm_account_t *out, char *err, size_t err_size)
{
    *out = (fcm_account_t){0};
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        snprintf(err, err_size, "service_account_file: not readable as a JSON object");
        return CONG_EIO;
    }
    int rc = CONG_EINVAL;
    const char *pem = json_string_value(json_object_get(doc, "private_key"));
    if ((out->client_email = member(doc, "client_email", err, err_size)) == NULL ||
        (out->private_key_id = member(doc, "private_key_id", err, err_size)) == NULL ||
        (out->token_uri = member(doc, "token_uri", err, err_size)) == NULL ||
        (out->project_id = member(doc, "project_id", err, err_size)) == NULL)
        goto done;
    if (!fcm_url_allowed(out->token_uri)) {
        snprintf(err, err_size, "service_account_file: token_uri must be https (http only to 127.0.0.1)");
        goto done;
    }
    if (pem == NULL || cong_jwt_key_load_private_pem(pem, strlen(pem), &out->key) != 0 ||
        cong_jwt_key_kind(out->key) != CONG_JWT_KEY_RSA) {
        snprintf(err, err_size, "service_account_file: private_key is not an RSA private key (PEM)");
        goto done;
    }
    rc = 0;
done:
    json_decref(doc); /* jansson does not wipe the PEM it held; the key object keeps its own copy */
    if (rc != 0)
        fcm_account_free(out);
    return rc;
}

void fcm_account_free(fcm_account_t *a)
{
    if (a == NULL)
        return;
    free(a->client_email);
    free(a->private_key_id);
    free(a->token_uri);
    free(a->project_id);
    cong_jwt_key_free(a->key);
    *a = (fcm_account_t){0};
}
