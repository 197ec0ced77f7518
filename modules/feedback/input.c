/*
 * The request's fields, checked before anything reaches PostgreSQL (pure: tests/unit/feedback/test_input.c).
 *
 * Tags are a fixed list, the aspects the city asks about (issue 15): waiting_time (the wait at the office or for the
 * result), staff_attitude, clarity (of the procedure and its instructions), online_experience (the portal and the
 * app), documents (what had to be provided), fees, other. A tag names an aspect, not a verdict: the stars say how it
 * went. The list is the contract (openapi/cong.yaml FeedbackTag); adding one is a change of both.
 */
#include <stdio.h>
#include <string.h>

#include "feedback.h"

const char *const feedback_tags[FEEDBACK_TAG_COUNT] = {"waiting_time", "staff_attitude", "clarity",
                                                       "online_experience", "documents", "fees", "other"};

int feedback_tag_known(const char *tag)
{
    for (int i = 0; tag != NULL && i < FEEDBACK_TAG_COUNT; i++)
        if (strcmp(tag, feedback_tags[i]) == 0)
            return 1;
    return 0;
}

/* Length of the sequence starting with byte b and the smallest code point it may encode; 0 for a byte that starts
 * none. */
static int sequence_length(unsigned char b, unsigned long *min)
{
    if (b < 0x80)
        return *min = 0, 1;
    if (b >= 0xc2 && b <= 0xdf)
        return *min = 0x80, 2;
    if (b >= 0xe0 && b <= 0xef)
        return *min = 0x800, 3;
    if (b >= 0xf0 && b <= 0xf4)
        return *min = 0x10000, 4;
    return 0;
}

long feedback_utf8_chars(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    long chars = 0;
    for (size_t i = 0; i < len; chars++) {
        unsigned long min = 0;
        int n = sequence_length(p[i], &min);
        if (n == 0 || i + (size_t)n > len)
            return -1;
        unsigned long cp = n == 1 ? p[i] : p[i] & (0x7f >> n);
        for (int k = 1; k < n; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return -1;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return -1;
        i += (size_t)n;
    }
    return chars;
}

static void add_error(json_t *errors, const char *field, const char *code)
{
    json_array_append_new(errors, json_pack("{s:s, s:s}", "field", field, "code", code));
}

static int code_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n > FEEDBACK_CODE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.'))
            return 0;
    }
    return 1;
}

static void read_target(const json_t *body, feedback_input_t *in, json_t *errors)
{
    const json_t *dossier = json_object_get(body, "dossier_code"), *unit = json_object_get(body, "unit_code");
    if (dossier != NULL && unit != NULL)
        return add_error(errors, "unit_code", "one-of");
    if (dossier == NULL && unit == NULL)
        return add_error(errors, "dossier_code", "required");
    const char *field = dossier != NULL ? "dossier_code" : "unit_code";
    const char *code = json_string_value(dossier != NULL ? dossier : unit);
    if (!code_ok(code))
        return add_error(errors, field, "invalid-format");
    *(dossier != NULL ? &in->dossier_code : &in->unit_code) = code;
}

static void read_stars(const json_t *body, feedback_input_t *in, json_t *errors)
{
    const json_t *stars = json_object_get(body, "stars");
    if (stars == NULL)
        return add_error(errors, "stars", "required");
    if (!json_is_integer(stars))
        return add_error(errors, "stars", "invalid-format");
    json_int_t v = json_integer_value(stars);
    if (v < 1 || v > 5)
        return add_error(errors, "stars", "out-of-range");
    in->stars = (int)v;
}

static void read_comment(const json_t *body, int max_chars, feedback_input_t *in, json_t *errors)
{
    const json_t *comment = json_object_get(body, "comment");
    if (comment == NULL || json_is_null(comment))
        return;
    if (!json_is_string(comment))
        return add_error(errors, "comment", "invalid-format");
    const char *text = json_string_value(comment);
    size_t len = json_string_length(comment);
    long chars = strlen(text) == len ? feedback_utf8_chars(text, len) : -1; /* a NUL inside: not text */
    if (chars < 0)
        return add_error(errors, "comment", "invalid-format");
    if (chars > max_chars)
        return add_error(errors, "comment", "too-long");
    in->comment = text;
}

static void read_tags(const json_t *body, feedback_input_t *in, json_t *errors)
{
    const json_t *tags = json_object_get(body, "tags");
    if (tags == NULL || json_is_null(tags))
        return;
    if (!json_is_array(tags))
        return add_error(errors, "tags", "invalid-format");
    size_t i;
    const json_t *tag;
    json_array_foreach(tags, i, tag) {
        char field[32];
        snprintf(field, sizeof field, "tags[%zu]", i);
        const char *name = json_string_value(tag);
        if (!feedback_tag_known(name)) {
            add_error(errors, field, "unknown-tag");
            continue;
        }
        int seen = 0;
        for (int k = 0; k < in->tag_count; k++)
            seen |= strcmp(in->tags[k], name) == 0;
        if (seen)
            add_error(errors, field, "duplicate-tag");
        else
            in->tags[in->tag_count++] = name; /* distinct known tags: at most FEEDBACK_TAG_COUNT */
    }
}

json_t *feedback_input_read(const json_t *body, int comment_max_chars, feedback_input_t *in)
{
    memset(in, 0, sizeof *in);
    json_t *errors = json_array();
    if (errors == NULL)
        return NULL;
    read_target(body, in, errors);
    read_stars(body, in, errors);
    read_comment(body, comment_max_chars, in, errors);
    read_tags(body, in, errors);
    return errors;
}

int feedback_tags_literal(const feedback_input_t *in, char *out, size_t size)
{
    size_t used = 0;
    int n = snprintf(out, size, "{");
    for (int i = 0; n >= 0 && (size_t)n < size - used && i < in->tag_count; i++) {
        used += (size_t)n;
        n = snprintf(out + used, size - used, "%s%s", i > 0 ? "," : "", in->tags[i]);
    }
    if (n < 0 || (size_t)n >= size - used)
        return -1;
    used += (size_t)n;
    n = snprintf(out + used, size - used, "}");
    return n < 0 || (size_t)n >= size - used ? -1 : 0;
}
