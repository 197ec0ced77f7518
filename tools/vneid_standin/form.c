/* tools/vneid_standin/form.c — its form fields, and URL-encoding onto a page (see form.h). */
#include "form.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "standin_form.h"

vs_form_result_t vs_form_parse(const char *text, size_t len, vs_form_t *form)
{
    memset(form, 0, sizeof *form);
    size_t i = 0;
    while (i < len) {
        const char *field = text + i;
        const char *amp = memchr(field, '&', len - i);
        size_t field_len = amp ? (size_t)(amp - field) : len - i;
        i += field_len + 1;
        if (field_len == 0)
            continue;
        if (form->count == VS_FORM_MAX_FIELDS)
            return VS_FORM_BAD_ENCODING;
        const char *eq = memchr(field, '=', field_len);
        size_t name_len = eq ? (size_t)(eq - field) : field_len;
        int bad = 0;
        char *name = standin_form_decode(field, name_len, &bad);
        char *value = name ? standin_form_decode(eq ? eq + 1 : "", eq ? field_len - name_len - 1 : 0, &bad) : NULL;
        if (!name || !value) {
            free(name);
            return bad ? VS_FORM_BAD_ENCODING : VS_FORM_NO_MEMORY;
        }
        int duplicate = vs_form_get(form, name) != NULL;
        form->names[form->count] = name;
        form->values[form->count++] = value;
        if (duplicate)
            return VS_FORM_DUPLICATE;
    }
    return VS_FORM_OK;
}

void vs_form_free(vs_form_t *form)
{
    for (size_t i = 0; i < form->count; i++) {
        free(form->names[i]);
        free(form->values[i]);
    }
    form->count = 0;
}

const char *vs_form_get(const vs_form_t *form, const char *name)
{
    for (size_t i = 0; i < form->count; i++)
        if (strcmp(form->names[i], name) == 0)
            return form->values[i];
    return NULL;
}

void vs_buf_add_url(standin_buf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-._~", c)) {
            standin_buf_add_n(b, s, 1);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            standin_buf_add_n(b, esc, 3);
        }
    }
}
