/* tools/fcm_standin/grant_form.c — one parameter of a form body (see grant_form.h). */
#include "grant_form.h"

#include "standin_form.h"

#include <stdlib.h>
#include <string.h>

fcm_form_result_t fcm_form_get(const char *body, size_t len, const char *name, char **value)
{
    *value = NULL;
    size_t i = 0;
    while (i < len) {
        const char *amp = memchr(body + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - body) : len;
        const char *eq = memchr(body + i, '=', end - i);
        size_t name_end = eq ? (size_t)(eq - body) : end;
        int bad = 0;
        char *n = standin_form_decode(body + i, name_end - i, &bad);
        if (!n) {
            free(*value);
            *value = NULL;
            return bad ? FCM_FORM_BAD : FCM_FORM_NOMEM;
        }
        int match = strcmp(n, name) == 0;
        free(n);
        if (match) {
            size_t from = eq ? name_end + 1 : end;
            char *v = *value ? NULL : standin_form_decode(body + from, end - from, &bad);
            if (!v) {
                int twice = *value != NULL;
                free(*value);
                *value = NULL;
                return twice || bad ? FCM_FORM_BAD : FCM_FORM_NOMEM;
            }
            *value = v;
        }
        i = end + 1;
    }
    return *value ? FCM_FORM_FOUND : FCM_FORM_ABSENT;
}
