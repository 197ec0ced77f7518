/*
 * auth/mandate_claim.c — the names of a mandate's actions, shared by the token's "mandate" claim (jwt_verify.c), the
 * signer (identity.c) and the gateway's mandate phase. The list is the one of gateway/migrations/0006_mandates.sql.
 */
#include <jansson.h>
#include <string.h>

#include "auth.h"
#include "mandate_claim.h"

static const struct {
    const char *name;
    unsigned bit;
} actions[] = {
    {"view", CONG_MANDATE_VIEW},     {"submit", CONG_MANDATE_SUBMIT}, {"pay", CONG_MANDATE_PAY},
    {"receive_result", CONG_MANDATE_RECEIVE_RESULT}, {"rate", CONG_MANDATE_RATE},
};

unsigned cong_mandate_action_bit(const char *name, size_t len)
{
    for (size_t i = 0; name != NULL && i < sizeof actions / sizeof actions[0]; i++)
        if (strlen(actions[i].name) == len && memcmp(actions[i].name, name, len) == 0)
            return actions[i].bit;
    return 0;
}

const char *cong_mandate_action_name(unsigned bit)
{
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (actions[i].bit == bit)
            return actions[i].name;
    return NULL;
}

int cong_word_in_list(const char *list, const char *word, size_t len)
{
    if (list == NULL || word == NULL || len == 0)
        return 0;
    for (const char *p = list; *p != '\0';) {
        while (*p == ' ')
            p++;
        const char *start = p;
        while (*p != '\0' && *p != ' ')
            p++;
        if ((size_t)(p - start) == len && memcmp(start, word, len) == 0)
            return 1;
    }
    return 0;
}

/* ---- the "mandate" claim ---- */

#define MAX_PROCEDURES 32
#define MAX_DOMAINS 16
#define MAX_CODE_BYTES 20

static int uuid_ok(const char *s, size_t n)
{
    if (n != 36)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    }
    return 1;
}

/* Procedure codes ("1.000001", "2.002154.000.00.00.H27") and domains ("ho-tich"): a bounded, space-free charset, so
 * a joined list is unambiguous. */
static int code_ok(const char *s, size_t n)
{
    if (n == 0 || n > MAX_CODE_BYTES)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              s[i] == '.' || s[i] == '-' || s[i] == '_'))
            return 0;
    return 1;
}

/* An array of codes joined with spaces into out (cap bytes); 0, or -1 (not an array of valid codes, too many, too
 * long). An absent member is an empty list. */
static int join_codes(const json_t *list, size_t max, char *out, size_t cap)
{
    out[0] = '\0';
    if (list == NULL)
        return 0;
    if (!json_is_array(list) || json_array_size(list) > max)
        return -1;
    size_t used = 0, i;
    const json_t *v;
    json_array_foreach(list, i, v) {
        size_t n = json_string_length(v);
        if (!json_is_string(v) || !code_ok(json_string_value(v), n) || used + n + 2 > cap)
            return -1;
        if (used > 0)
            out[used++] = ' ';
        memcpy(out + used, json_string_value(v), n);
        out[used += n] = '\0';
    }
    return 0;
}

int cong_mandate_claim_read(const json_t *m, cong_jwt_claims_t *c)
{
    const json_t *id = json_object_get(m, "id"), *actions = json_object_get(m, "actions");
    const json_t *until = json_object_get(m, "until");
    if (!json_is_object(m) || !json_is_string(id) || !uuid_ok(json_string_value(id), json_string_length(id)) ||
        !json_is_array(actions) || json_array_size(actions) == 0 || (until && !json_is_integer(until)) ||
        (until && json_integer_value(until) <= 0))
        return -1;
    unsigned bits = 0;
    size_t i;
    const json_t *a;
    json_array_foreach(actions, i, a) {
        unsigned bit = json_is_string(a) ? cong_mandate_action_bit(json_string_value(a), json_string_length(a)) : 0;
        if (bit == 0)
            return -1;
        bits |= bit;
    }
    if (join_codes(json_object_get(m, "procedures"), MAX_PROCEDURES, c->mandate_procedures,
                   sizeof c->mandate_procedures) != 0 ||
        join_codes(json_object_get(m, "domains"), MAX_DOMAINS, c->mandate_domains, sizeof c->mandate_domains) != 0 ||
        (c->mandate_procedures[0] == '\0' && c->mandate_domains[0] == '\0'))
        return -1;
    memcpy(c->mandate_id, json_string_value(id), 37);
    c->mandate_actions = bits;
    c->mandate_until = until ? (int64_t)json_integer_value(until) : 0;
    return 0;
}

/* Space-separated words → a JSON array of strings, each checked by `valid`; NULL when one is not, or over max. */
static json_t *split_words(const char *list, size_t max, int (*valid)(const char *, size_t))
{
    json_t *out = json_array();
    for (const char *p = list ? list : ""; out != NULL && *p != '\0';) {
        while (*p == ' ')
            p++;
        const char *start = p;
        while (*p != '\0' && *p != ' ')
            p++;
        size_t n = (size_t)(p - start);
        if (n == 0)
            break;
        if (!valid(start, n) || json_array_size(out) >= max || json_array_append_new(out, json_stringn(start, n))) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static int action_ok(const char *s, size_t n)
{
    return cong_mandate_action_bit(s, n) != 0;
}

json_t *cong_mandate_claim_build(const char *id, const char *actions, const char *procedures, const char *domains,
                                 int64_t until)
{
    if (id == NULL || !uuid_ok(id, strlen(id)) || until < 0)
        return NULL;
    json_t *a = split_words(actions, 5, action_ok), *p = split_words(procedures, MAX_PROCEDURES, code_ok);
    json_t *d = split_words(domains, MAX_DOMAINS, code_ok);
    json_t *m = NULL;
    if (a != NULL && p != NULL && d != NULL && json_array_size(a) > 0 && json_array_size(p) + json_array_size(d) > 0)
        m = json_pack("{s:s, s:O, s:O, s:O}", "id", id, "actions", a, "procedures", p, "domains", d);
    if (m != NULL && until > 0)
        json_object_set_new(m, "until", json_integer((json_int_t)until));
    json_decref(a);
    json_decref(p);
    json_decref(d);
    return m;
}
