#include "postgres_conninfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cong/errors.h"

int cong_pg_conninfo_init(cong_pg_conninfo_t *ci, const char *conninfo, int statement_timeout_ms)
{
    char *error = NULL;
    *ci = (cong_pg_conninfo_t){0};
    if ((ci->text = strdup(conninfo)) == NULL)
        return CONG_ENOMEM;
    if ((ci->parsed = PQconninfoParse(conninfo, &error)) == NULL) {
        PQfreemem(error);
        return 0;
    }
    size_t n = 0;
    const char *options = "";
    for (PQconninfoOption *o = ci->parsed; o->keyword != NULL; o++, n++)
        if (strcmp(o->keyword, "options") == 0 && o->val != NULL)
            options = o->val;
    size_t len = strlen(options) + 48;
    ci->options = malloc(len);
    ci->keywords = calloc(n + 1, sizeof *ci->keywords);
    ci->values = calloc(n + 1, sizeof *ci->values);
    if (ci->options == NULL || ci->keywords == NULL || ci->values == NULL)
        return CONG_ENOMEM;
    snprintf(ci->options, len, "%s%s-c statement_timeout=%d", options, options[0] ? " " : "", statement_timeout_ms);
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    snprintf(ci->instance, sizeof ci->instance, "cong %s:%ld", host, (long)getpid());
    size_t k = 0;
    for (PQconninfoOption *o = ci->parsed; o->keyword != NULL; o++) {
        const char *value = strcmp(o->keyword, "options") == 0 ? ci->options : o->val;
        if (value == NULL && strcmp(o->keyword, "fallback_application_name") == 0)
            value = ci->instance;
        if (value != NULL) {
            ci->keywords[k] = o->keyword;
            ci->values[k++] = value;
        }
    }
    return 0;
}

PGconn *cong_pg_conninfo_connect_start(const cong_pg_conninfo_t *ci)
{
    return ci->keywords != NULL ? PQconnectStartParams(ci->keywords, ci->values, 0) : PQconnectStart(ci->text);
}

void cong_pg_conninfo_free(cong_pg_conninfo_t *ci)
{
    if (ci->parsed != NULL)
        PQconninfoFree(ci->parsed);
    free(ci->text);
    free(ci->options);
    free(ci->keywords);
    free(ci->values);
    *ci = (cong_pg_conninfo_t){0};
}
