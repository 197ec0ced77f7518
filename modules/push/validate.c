/*
 * What the push module accepts from a client before anything reaches PostgreSQL: platforms, device tokens as each
 * provider issues them, locales, and the ids of its paths. Pure: unit-tested (tests/unit/push/test_push_validate.c).
 */
#include <string.h>

#include "push.h"

int push_platform_ok(const char *platform)
{
    return platform != NULL && (strcmp(platform, "fcm") == 0 || strcmp(platform, "apns") == 0);
}

static int fcm_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == ':' ||
           c == '-';
}

static int hex_char(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* 1..max characters, each accepted by ok. */
static int all_of(const char *s, size_t min, size_t max, int (*ok)(char))
{
    size_t n = 0;
    for (; s[n] != '\0'; n++)
        if (n >= max || !ok(s[n]))
            return 0;
    return n >= min;
}

int push_token_ok(const char *platform, const char *token)
{
    if (!push_platform_ok(platform) || token == NULL)
        return 0;
    if (strcmp(platform, "fcm") == 0)
        return all_of(token, 1, PUSH_FCM_TOKEN_MAX, fcm_char);
    return all_of(token, PUSH_APNS_TOKEN_MIN, PUSH_APNS_TOKEN_MAX, hex_char) && strlen(token) % 2 == 0;
}

int push_locale_ok(const char *locale)
{
    return locale != NULL && (strcmp(locale, "vi") == 0 || strcmp(locale, "en") == 0);
}

int push_uuid_ok(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !hex_char(s[i]))
            return 0;
    }
    return 1;
}

static int digit(char c) { return c >= '0' && c <= '9'; }

int push_item_id_ok(const char *s)
{
    return s != NULL && s[0] != '0' && all_of(s, 1, 18, digit);
}

int push_ward_code_ok(const char *s)
{
    size_t n = 0;
    for (; s != NULL && s[n] != '\0'; n++)
        if (n >= PUSH_WARD_CODE_MAX || !((s[n] >= 'A' && s[n] <= 'Z') || digit(s[n]) || s[n] == '-'))
            return 0;
    return n > 0;
}

/* The length of the UTF-8 sequence starting at s (a well-formed one, no overlong form or surrogate), else 0. */
static size_t utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t n = s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (n == 3 && s[0] == 0xed && s[1] >= 0xa0) ||
        (n == 4 && s[0] == 0xf0 && s[1] < 0x90) || (n == 4 && s[0] == 0xf4 && s[1] >= 0x90))
        return 0;
    return n;
}

const char *push_text_problem(const char *s, size_t max_chars, int multiline)
{
    if (s == NULL || s[0] == '\0')
        return "required";
    size_t chars = 0, visible = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; chars++) {
        size_t n = utf8_len(p);
        if (n == 0 || (*p < 0x20 && !(multiline && *p == '\n')) || *p == 0x7f)
            return "invalid-text";
        visible += *p > ' ';
        p += n;
    }
    if (visible == 0)
        return "required";
    return chars > max_chars ? "too-long" : NULL;
}
