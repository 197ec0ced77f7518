/* modules/identity/org_claims.c — the organization claims of a verified VNeID ID token (org_claims.h). */
#include "org_claims.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "cong/errors.h"

int cong_idm_tax_code_valid(const char *code)
{
    size_t n = code != NULL ? strlen(code) : 0;
    if ((n != 10 && n != 14) || strspn(code, "0123456789") != 10)
        return 0;
    return n == 10 || (code[10] == '-' && strspn(code + 11, "0123456789") == 3 && strcmp(code + 11, "000") != 0);
}

/* Characters of a UTF-8 string jansson has validated: the bytes that do not continue a sequence. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* The payload (the part between the two dots) as JSON, or NULL. The decoded bytes are wiped. */
static json_t *payload_of(const char *token, size_t len)
{
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (dot2 == NULL)
        return NULL;
    size_t n = (size_t)(dot2 - dot1 - 1);
    unsigned char *raw = malloc(n / 4 * 3 + 3);
    long got = raw != NULL ? cong_idm_b64url_decode(dot1 + 1, n, raw) : -1;
    json_t *payload = got > 0 ? json_loadb((const char *)raw, (size_t)got, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (raw != NULL) {
        OPENSSL_cleanse(raw, n / 4 * 3 + 3);
        free(raw);
    }
    return payload;
}

static int read_claims(const json_t *payload, cong_idm_org_claims_t *out)
{
    const json_t *type = json_object_get(payload, "account_type");
    if (type == NULL || (json_is_string(type) && strcmp(json_string_value(type), "citizen") == 0))
        return 0;
    if (!json_is_string(type) || strcmp(json_string_value(type), "organization") != 0)
        return CONG_EINVAL;
    const char *code = json_string_value(json_object_get(payload, "org_tax_code"));
    const char *name = json_string_value(json_object_get(payload, "org_name"));
    if (!cong_idm_tax_code_valid(code) || name == NULL || name[0] == '\0' || strlen(name) >= sizeof out->name ||
        utf8_chars(name) > CONG_IDM_ORG_NAME_CHARS)
        return CONG_EINVAL;
    out->organization = 1;
    strcpy(out->tax_code, code);
    strcpy(out->name, name);
    return 0;
}

int cong_idm_org_claims(const char *id_token, size_t len, cong_idm_org_claims_t *out)
{
    memset(out, 0, sizeof *out);
    if (id_token == NULL)
        return CONG_EINVAL;
    json_t *payload = payload_of(id_token, len);
    if (!json_is_object(payload)) {
        json_decref(payload);
        return CONG_EINVAL;
    }
    int rc = read_claims(payload, out);
    json_t *sub = json_object_get(payload, "sub"); /* the citizen number: wiped before the object is freed */
    if (json_is_string(sub))
        OPENSSL_cleanse((char *)json_string_value(sub), json_string_length(sub));
    json_decref(payload);
    if (rc != 0)
        memset(out, 0, sizeof *out);
    return rc;
}
