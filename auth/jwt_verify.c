/*
 * auth/jwt_verify.c — verifying a compact JWS (ES256, RS256, PS256) and its claims, against one key or a keyset.
 *
 * Order: size, shape (three strict base64url parts), header (a known alg, no "crit", known "typ", at+jwt for access
 * tokens), the key (the policy's, or the keyset's by "kid") and its pinned algorithm, signature over "header.payload",
 * and only then the claims (and what a kid-less service token may not claim). Header members that point at other
 * keys (jku, jwk, x5u, x5c) are always ignored; "kid" is ignored with a single key. Both entry points share
 * verify_token below. Nothing here logs or keeps the token.
 */
#include "jwt_key_internal.h"
#include "mandate_claim.h"

#include <jansson.h>

#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_TOKEN_BYTES 8192

typedef struct segment {
    const char *text;
    size_t len;
} segment_t;

/* Splits at the two dots; anything but exactly three parts fails. */
static int split(const char *token, size_t len, segment_t part[3])
{
    const char *end = token + len, *p = token;
    for (int i = 0; i < 3; i++) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        if ((i < 2) != (dot != NULL))
            return -1;
        part[i].text = p;
        part[i].len = (size_t)((dot ? dot : end) - p);
        p = dot ? dot + 1 : end;
    }
    return 0;
}

/* A JSON string equal to the NUL-terminated `want` (a string with an embedded NUL never is). */
static int string_is(const json_t *v, const char *want)
{
    return json_is_string(v) && json_string_length(v) == strlen(want) &&
           memcmp(json_string_value(v), want, strlen(want)) == 0;
}

/* Case-insensitive (ASCII) prefix test. */
static int has_prefix(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++) {
        unsigned char x = (unsigned char)*s, y = (unsigned char)*prefix;
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return 1;
}

static int ascii_case_equal(const char *a, const char *b)
{
    return strlen(a) == strlen(b) && has_prefix(a, b);
}

enum typ_kind { TYP_BAD = -1, TYP_ABSENT, TYP_JWT, TYP_AT_JWT };

/* "typ": JWT or at+jwt, any case, with or without "application/" (RFC 7515 §4.1.9, RFC 9068 §2.1). */
static enum typ_kind typ_of(const json_t *typ)
{
    if (!typ)
        return TYP_ABSENT;
    if (!json_is_string(typ) || strlen(json_string_value(typ)) != json_string_length(typ))
        return TYP_BAD;
    const char *t = json_string_value(typ);
    if (has_prefix(t, "application/"))
        t += strlen("application/");
    return ascii_case_equal(t, "JWT") ? TYP_JWT : ascii_case_equal(t, "at+jwt") ? TYP_AT_JWT : TYP_BAD;
}

/* A JSON string without an embedded NUL, so its C string is all of it. */
static int plain_string(const json_t *v)
{
    return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v);
}

static cong_jwt_result_t check_header(const json_t *header, unsigned accepted, cong_jwt_alg_t *alg)
{
    if (!json_is_object(header))
        return CONG_JWT_MALFORMED;
    const json_t *name = json_object_get(header, "alg");
    if (!plain_string(name) || cong_jwt_alg_parse(json_string_value(name), alg) != 0 ||
        (accepted && !(accepted & CONG_JWT_ALG_BIT(*alg))))
        return CONG_JWT_BAD_ALGORITHM;
    if (json_object_get(header, "crit"))
        return CONG_JWT_UNSUPPORTED;
    if (typ_of(json_object_get(header, "typ")) == TYP_BAD)
        return CONG_JWT_MALFORMED;
    return CONG_JWT_OK;
}

/* Where the verification key comes from: the policy's one key, or a keyset by the header's "kid". */
typedef struct key_source {
    const cong_jwt_key_t *single;
    const cong_jwks_t *keyset;
    int by_kid;
    int or_single; /* by_kid, but a missing, invalid or unknown kid falls back to `single` */
} key_source_t;

/* What verification needs from a header that passed check_header: its alg and its kid. */
typedef struct header_info {
    cong_jwt_alg_t alg;
    int at_jwt;                      /* "typ" is at+jwt (an access token, RFC 9068) */
    int kid_ok;                      /* a string "kid" matching [A-Za-z0-9._-]{1,CONG_JWK_KID_MAX} */
    size_t kid_len;
    char kid[CONG_JWK_KID_MAX + 1];
} header_info_t;

/* Parses and checks a decoded header into *info. */
static cong_jwt_result_t read_header(const unsigned char *text, size_t len, unsigned accepted, header_info_t *info)
{
    json_t *header = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, NULL);
    if (!header)
        return CONG_JWT_MALFORMED;
    cong_jwt_result_t r = check_header(header, accepted, &info->alg);
    if (r == CONG_JWT_OK) {
        info->at_jwt = typ_of(json_object_get(header, "typ")) == TYP_AT_JWT;
        const json_t *kid = json_object_get(header, "kid");
        info->kid_ok = json_is_string(kid) && cong_jwk_kid_ok(json_string_value(kid), json_string_length(kid));
        info->kid_len = info->kid_ok ? json_string_length(kid) : 0;
        if (info->kid_ok)
            memcpy(info->kid, json_string_value(kid), info->kid_len + 1);
    }
    json_decref(header);
    return r;
}

/* The last header that passed, per thread: tokens of one issuer share their header byte for byte, so a first-seen
 * token usually skips decoding and parsing it. Keyed by the exact base64url text and the accepted algorithms. */
#define HEADER_MEMO_MAX 256
static _Thread_local struct {
    size_t len; /* 0: empty */
    unsigned accepted;
    char text[HEADER_MEMO_MAX];
    header_info_t info;
} header_memo;

/* The key for this header, whose pinned algorithm must be the header's `alg`. */
static cong_jwt_result_t pick_key(const key_source_t *from, const header_info_t *h, const cong_jwt_key_t **key)
{
    if (from->by_kid) {
        *key = NULL;
        cong_jwt_result_t miss = CONG_JWT_MALFORMED;
        if (h->kid_ok) {
            *key = from->keyset ? cong_jwks_find(from->keyset, h->kid, h->kid_len) : NULL;
            miss = CONG_JWT_UNKNOWN_KEY;
        }
        if (!*key && from->or_single && from->single)
            *key = from->single;
        if (!*key)
            return miss;
    } else {
        *key = from->single;
        if (!*key)
            return CONG_JWT_BAD_SIGNATURE;
    }
    return cong_jwt_key_alg(*key) == h->alg ? CONG_JWT_OK : CONG_JWT_BAD_ALGORITHM;
}

static int64_t add_sat(int64_t a, int64_t b) /* b >= 0 */
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static int64_t sub_sat(int64_t a, int64_t b) /* b >= 0 */
{
    return a < INT64_MIN + b ? INT64_MIN : a - b;
}

/* A NumericDate: integer, or real rounded towards the stricter side (`up` for nbf/iat, down for exp).
 * Returns 0 absent, 1 present, -1 wrong type. */
static int numeric_date(const json_t *v, int up, int64_t *out)
{
    if (!v)
        return 0;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 1;
    }
    if (!json_is_real(v))
        return -1;
    double d = json_real_value(v); /* finite: jansson has no NaN or infinity */
    if (d >= 9223372036854775807.0) {
        *out = INT64_MAX;
    } else if (d <= -9223372036854775808.0) {
        *out = INT64_MIN;
    } else {
        int64_t t = (int64_t)d; /* towards zero; then round without libm */
        if (up && (double)t < d)
            t++;
        else if (!up && (double)t > d)
            t--;
        *out = t;
    }
    return 1;
}

static cong_jwt_result_t check_times(const json_t *claims, int64_t now, int64_t skew, cong_jwt_claims_t *c)
{
    int has_exp = numeric_date(json_object_get(claims, "exp"), 0, &c->exp);
    int has_nbf = numeric_date(json_object_get(claims, "nbf"), 1, &c->nbf);
    int has_iat = numeric_date(json_object_get(claims, "iat"), 1, &c->iat);
    int has_auth_time = numeric_date(json_object_get(claims, "auth_time"), 0, &c->auth_time);
    if (has_exp < 0 || has_nbf < 0 || has_iat < 0 || has_auth_time < 0)
        return CONG_JWT_MALFORMED;
    if (!has_exp || add_sat(c->exp, skew) <= now)
        return CONG_JWT_EXPIRED;
    if ((has_nbf && sub_sat(c->nbf, skew) > now) || (has_iat && sub_sat(c->iat, skew) > now))
        return CONG_JWT_NOT_YET_VALID;
    return CONG_JWT_OK;
}

static cong_jwt_result_t check_audience(const json_t *aud, const char *want)
{
    if (!aud || !want || !*want)
        return CONG_JWT_BAD_AUDIENCE;
    if (json_is_string(aud))
        return string_is(aud, want) ? CONG_JWT_OK : CONG_JWT_BAD_AUDIENCE;
    if (!json_is_array(aud))
        return CONG_JWT_MALFORMED;
    int found = 0;
    size_t i;
    const json_t *v;
    json_array_foreach(aud, i, v) {
        if (!json_is_string(v))
            return CONG_JWT_MALFORMED;
        found |= string_is(v, want);
    }
    return found ? CONG_JWT_OK : CONG_JWT_BAD_AUDIENCE;
}

/* Copies an optional string member into dst; 0 when absent or copied, -1 on a wrong type, NUL or overflow. */
static int copy_string(const json_t *obj, const char *name, char *dst, size_t cap)
{
    const json_t *v = json_object_get(obj, name);
    if (!v)
        return 0;
    if (!json_is_string(v))
        return -1;
    size_t n = json_string_length(v);
    if (n >= cap || memchr(json_string_value(v), '\0', n))
        return -1;
    memcpy(dst, json_string_value(v), n);
    dst[n] = '\0';
    return 0;
}

/* The space-separated `scope` contains exactly `want`. */
static int has_scope(const char *scope, const char *want)
{
    size_t n = strlen(want);
    for (const char *p = scope; (p = strstr(p, want)) != NULL; p += n)
        if ((p == scope || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
            return 1;
    return 0;
}

/* Level of assurance from "acr": 1 or 2, or a string ending in a lone "1"/"2" ("2", "loa2", ".../loa/2"). */
static int loa_of(const json_t *acr)
{
    if (json_is_integer(acr)) {
        json_int_t v = json_integer_value(acr);
        return v == 1 || v == 2 ? (int)v : 0;
    }
    if (!json_is_string(acr) || json_string_length(acr) == 0)
        return 0;
    const char *s = json_string_value(acr);
    size_t n = json_string_length(acr);
    char last = s[n - 1], before = n > 1 ? s[n - 2] : '\0';
    if ((last != '1' && last != '2') || (before >= '0' && before <= '9'))
        return 0;
    return last - '0';
}

/* `unprivileged`: the token was verified with a key that may not vouch for acting on someone's behalf, for level 2
 * or for administration (auth.public_key_file unless auth.public_key_privileged). */
static cong_jwt_result_t check_claims(const cong_jwt_policy_t *policy, const json_t *claims, int64_t now,
                                      int unprivileged, cong_jwt_claims_t *c)
{
    if (!json_is_object(claims))
        return CONG_JWT_MALFORMED;
    int64_t skew = policy->clock_skew_s > 0 ? policy->clock_skew_s : 0;
    cong_jwt_result_t r = check_times(claims, now, skew, c);
    if (r != CONG_JWT_OK)
        return r;
    const json_t *iss = json_object_get(claims, "iss");
    if (iss && !json_is_string(iss))
        return CONG_JWT_MALFORMED;
    if (!iss || !policy->issuer || !*policy->issuer || !string_is(iss, policy->issuer))
        return CONG_JWT_BAD_ISSUER;
    r = check_audience(json_object_get(claims, "aud"), policy->audience);
    if (r != CONG_JWT_OK)
        return r;
    const json_t *act = json_object_get(claims, "act");
    if (act && !json_is_object(act))
        return CONG_JWT_MALFORMED;
    if (copy_string(claims, "sub", c->sub, sizeof c->sub) || copy_string(claims, "sid", c->sid, sizeof c->sid) ||
        copy_string(claims, "client_id", c->client_id, sizeof c->client_id) ||
        copy_string(claims, "scope", c->scope, sizeof c->scope) ||
        copy_string(claims, "jti", c->jti, sizeof c->jti) || copy_string(claims, "nonce", c->nonce, sizeof c->nonce) ||
        (act && copy_string(act, "sub", c->act, sizeof c->act)))
        return CONG_JWT_MALFORMED;
    /* acting for someone (RFC 8693 "act" names the actor) is only ever under a mandate, and never for oneself */
    const json_t *mandate = json_object_get(claims, "mandate");
    if ((act != NULL) != (mandate != NULL) || (act && (c->act[0] == '\0' || strcmp(c->act, c->sub) == 0)) ||
        (mandate && cong_mandate_claim_read(mandate, c) != 0))
        return CONG_JWT_MALFORMED;
    c->loa = loa_of(json_object_get(claims, "acr"));
    if (unprivileged && (act || c->loa >= 2 || has_scope(c->scope, "admin")))
        return CONG_JWT_PRIVILEGED;
    return CONG_JWT_OK;
}

static cong_jwt_result_t verify_token(const cong_jwt_policy_t *policy, const key_source_t *from, const char *token,
                                      size_t len, int64_t now, cong_jwt_claims_t *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!policy || !token)
        return CONG_JWT_MALFORMED;
    size_t max = policy->max_token_bytes ? policy->max_token_bytes : DEFAULT_MAX_TOKEN_BYTES;
    if (len > max || len > SIZE_MAX / 2)
        return CONG_JWT_TOO_LARGE;
    segment_t part[3];
    if (split(token, len, part) != 0)
        return CONG_JWT_MALFORMED;

    /* Each part decodes to at most len*3/4 + 1 bytes, so the three fit in len + 3 (on the stack for usual sizes). */
    unsigned char stack_buf[4096];
    unsigned char *buf = len + 3 <= sizeof stack_buf ? stack_buf : malloc(len + 3);
    if (!buf)
        return CONG_JWT_MALFORMED;
    unsigned char *dec[3];
    long dec_len[3];
    size_t used = 0;
    int memo_hit = part[0].len > 0 && header_memo.len == part[0].len && header_memo.accepted == policy->accepted_algs &&
                   memcmp(header_memo.text, part[0].text, part[0].len) == 0;
    for (int i = 0; i < 3; i++) {
        dec[i] = buf + used;
        dec_len[i] = i == 0 && memo_hit ? 0 : cong_b64url_decode(part[i].text, part[i].len, dec[i]);
        used += part[i].len * 3 / 4 + 1;
    }
    json_t *claims = NULL;
    cong_jwt_claims_t c = {0};
    header_info_t h;
    const cong_jwt_key_t *key = NULL;
    cong_jwt_result_t r = CONG_JWT_MALFORMED;
    if (dec_len[0] < 0 || dec_len[1] < 0 || dec_len[2] < 0)
        goto out;
    if (memo_hit) {
        h = header_memo.info;
    } else {
        r = read_header(dec[0], (size_t)dec_len[0], policy->accepted_algs, &h);
        if (r != CONG_JWT_OK)
            goto out;
        if (part[0].len <= HEADER_MEMO_MAX) {
            memcpy(header_memo.text, part[0].text, part[0].len);
            header_memo.len = part[0].len;
            header_memo.accepted = policy->accepted_algs;
            header_memo.info = h;
        }
    }
    r = policy->require_at_jwt && !h.at_jwt ? CONG_JWT_BAD_TYPE : pick_key(from, &h, &key);
    if (r != CONG_JWT_OK)
        goto out;
    r = CONG_JWT_BAD_SIGNATURE;
    if (!cong_jws_verify(key, h.alg, token, part[0].len + 1 + part[1].len, dec[2], (size_t)dec_len[2]))
        goto out;
    claims = json_loadb((const char *)dec[1], (size_t)dec_len[1], JSON_REJECT_DUPLICATES, NULL);
    r = check_claims(policy, claims, now, policy->key_unprivileged && key == from->single, &c);
    if (r == CONG_JWT_OK && out)
        *out = c;
out:
    json_decref(claims);
    if (buf != stack_buf)
        free(buf);
    return r;
}

cong_jwt_result_t cong_jwt_verify(const cong_jwt_policy_t *policy, const char *token, size_t len, int64_t now,
                                  cong_jwt_claims_t *out)
{
    key_source_t from = {.single = policy ? policy->key : NULL};
    return verify_token(policy, &from, token, len, now, out);
}

cong_jwt_result_t cong_jwt_verify_keyset(const cong_jwt_policy_t *policy, const cong_jwks_t *keyset, const char *token,
                                         size_t len, int64_t now, cong_jwt_claims_t *out)
{
    key_source_t from = {.keyset = keyset, .by_kid = 1};
    return verify_token(policy, &from, token, len, now, out);
}

cong_jwt_result_t cong_jwt_verify_keyset_or_key(const cong_jwt_policy_t *policy, const cong_jwks_t *keyset,
                                                const char *token, size_t len, int64_t now, cong_jwt_claims_t *out)
{
    key_source_t from = {.keyset = keyset, .by_kid = 1, .or_single = 1, .single = policy ? policy->key : NULL};
    return verify_token(policy, &from, token, len, now, out);
}

const char *cong_jwt_result_name(cong_jwt_result_t r)
{
    static const char *const names[] = {
        [CONG_JWT_OK] = "ok",
        [CONG_JWT_MALFORMED] = "malformed",
        [CONG_JWT_TOO_LARGE] = "too-large",
        [CONG_JWT_BAD_ALGORITHM] = "bad-algorithm",
        [CONG_JWT_UNSUPPORTED] = "unsupported",
        [CONG_JWT_BAD_SIGNATURE] = "bad-signature",
        [CONG_JWT_EXPIRED] = "expired",
        [CONG_JWT_NOT_YET_VALID] = "not-yet-valid",
        [CONG_JWT_BAD_ISSUER] = "bad-issuer",
        [CONG_JWT_BAD_AUDIENCE] = "bad-audience",
        [CONG_JWT_UNKNOWN_KEY] = "unknown-key",
        [CONG_JWT_BAD_TYPE] = "bad-type",
        [CONG_JWT_PRIVILEGED] = "privileged-claims",
    };
    if ((unsigned)r >= sizeof names / sizeof names[0] || !names[r])
        return "unknown";
    return names[r];
}
