/*
 * bench/search_inprocess.c — the catalog search alone (catalog_index_search), one thread, no HTTP: what one search
 * costs, and every answer written out so two builds of the search can be compared byte for byte (cmp).
 *
 *   search_inprocess ROWS QUERIES [ANSWERS]
 * ROWS: the catalog as catalog_live.c loads it, one procedure a line, fields separated by 0x1F (code, domain,
 * search_text, name_folded, length(name_vi), item jsonb text, unit codes, form_fields, min_loa), sorted by code;
 * QUERIES: one raw q a line. Each query is searched once, page 1 of 20 (the bench's shape), then 1 query in 4 again
 * as pages 2 and 3 of 7 (the deeper ranks); with SEARCH_INPROCESS_FIRST_PAGE set, page 1 only (one answer a line).
 * Prints "N searches, X us of CPU a search" on stdout. Built and run by bench/search.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "modules/procedures/catalog_index.h"

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n)
        free(buf), buf = NULL;
    fclose(f);
    if (buf != NULL)
        buf[n] = '\0', *len = (size_t)n;
    return buf;
}

/* splits buf in place into lines; returns how many */
static size_t split_lines(char *buf, char ***lines)
{
    size_t n = 0, cap = 1024;
    *lines = malloc(cap * sizeof **lines);
    for (char *p = buf, *nl; *p != '\0'; p = nl + 1) {
        nl = strchr(p, '\n');
        if (nl == NULL)
            nl = p + strlen(p) - 1;
        else
            *nl = '\0';
        if (n == cap)
            *lines = realloc(*lines, (cap *= 2) * sizeof **lines);
        (*lines)[n++] = p;
    }
    return n;
}

static int parse_row(char *line, catalog_row_t *row)
{
    char *f[10];
    for (int i = 0; i < 10; i++) {
        f[i] = line;
        char *sep = strchr(line, '\x1f');
        if (sep == NULL && i < 9)
            return -1;
        if (sep != NULL)
            *sep = '\0', line = sep + 1;
    }
    *row = (catalog_row_t){f[0], f[1], f[2], f[3], atol(f[4]), f[5], f[6], f[7], atoi(f[8]),
                           catalog_applicants_parse(f[9])};
    return 0;
}

/* the thread's CPU time: on a shared machine, what the searches cost rather than how long they waited for a core */
static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s ROWS QUERIES [ANSWERS]\n", argv[0]);
        return 2;
    }
    size_t rlen, qlen;
    char *rbuf = read_all(argv[1], &rlen), *qbuf = read_all(argv[2], &qlen), **rlines, **queries;
    if (rbuf == NULL || qbuf == NULL) {
        fprintf(stderr, "cannot read %s or %s\n", argv[1], argv[2]);
        return 1;
    }
    size_t nrows = split_lines(rbuf, &rlines), nq = split_lines(qbuf, &queries);
    catalog_row_t *rows = malloc((nrows + 1) * sizeof *rows);
    for (size_t i = 0; i < nrows; i++)
        if (parse_row(rlines[i], &rows[i]) != 0) {
            fprintf(stderr, "row %zu: not 9 fields\n", i + 1);
            return 1;
        }
    catalog_index_t *ix = catalog_index_build(rows, nrows, 1);
    if (ix == NULL) {
        fprintf(stderr, "catalog_index_build failed\n");
        return 1;
    }
    FILE *out = argc > 3 ? fopen(argv[3], "w") : NULL;
    size_t searches = 0;
    double spent = 0;
    int first_page_only = getenv("SEARCH_INPROCESS_FIRST_PAGE") != NULL; /* bench/search_relevance.py */
    for (size_t i = 0; i < nq; i++) {
        for (int deep = 0; deep < (i % 4 == 0 && !first_page_only ? 3 : 1); deep++) {
            catalog_search_args_t a = {queries[i], strlen(queries[i]), NULL, 0, NULL, 0,
                                       deep == 0 ? 1 : deep + 1, deep == 0 ? 20 : 7};
            size_t len = 0;
            int invalid = 0;
            double t0 = now_us();
            char *json = catalog_index_search(ix, &a, &len, &invalid);
            spent += now_us() - t0;
            searches++;
            if (out != NULL)
                fprintf(out, "%s\n", json != NULL ? json : invalid ? "invalid" : "NULL");
            free(json);
        }
    }
    printf("%zu searches, %.1f us of CPU a search\n", searches, spent / (double)searches);
    if (out != NULL)
        fclose(out);
    catalog_index_free(ix);
    free(rows), free(rlines), free(queries), free(rbuf), free(qbuf);
    return 0;
}
