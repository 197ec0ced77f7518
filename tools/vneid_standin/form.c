/* tools/vneid_standin/form.c — its form fields, and URL-encoding onto a page (see form.h). */
#include "form.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "standin_form.h"

/* One field (standin_form_each): kept, then a second one of the same name refused. */
static int add_field(void *ctx, char *name, char *value)
{
    vs_form_t *form = ctx;
    int duplicate = vs_form_get(form, name) != NULL;
    form->names[form->count] = name;
    form->values[form->count++] = value;
    return duplicate ? VS_FORM_DUPLICATE : 0;
}

vs_form_result_t vs_form_parse(const char *text, size_t len, vs_form_t *form)
{
    memset(form, 0, sizeof *form);
    int rc = standin_form_each(text, len, VS_FORM_MAX_FIELDS, add_field, form);
    if (rc >= 0)
        return (vs_form_result_t)rc;
    return rc == STANDIN_FORM_NO_MEMORY ? VS_FORM_NO_MEMORY : VS_FORM_BAD_ENCODING;
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
