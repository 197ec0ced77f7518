/* The per-route metrics rows of partner routes (contract in upstream.h, "Reload"): the gateway's metrics have fixed
 * rows, labelled at start, so CONG_PARTNER_ROUTE_ROWS rows are reserved then (gateway.c) and each (method, template)
 * a generation routes takes one for the process's life. A reload maps its routes onto them by key: a route kept
 * keeps its row and its counts, a new template takes a free row, a removed route's row stays with its counts (a
 * Prometheus counter never goes backwards while its series exists, and comes back at the same value when the route
 * does). Past the reserve, a new template counts in the catch-all row (method "*", "/v1/partners/…"), with a warning.
 *
 * Labels are written in place into the reserved rows' own buffers (the metrics borrowed their pointers at start),
 * once, on the main thread under the generations' lock, before the generation that counts in them is published: a
 * worker counts in a row only after adopting that generation, and /metrics prints a row only once it has counts. */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "gateway/http/http.h"
#include "proxy_internal.h"

#define ROW_METHOD_CAP 16
#define ROW_PATH_CAP 256

static struct {
    size_t catch_all;
    cong_route_entry_t *rows[CONG_PARTNER_ROUTE_ROWS];
    size_t count, taken;
} rows;

int cong_partner_route_rows_reserve(size_t catch_all, cong_route_entry_t *const *reserved, size_t count)
{
    rows.catch_all = catch_all;
    rows.count = count < CONG_PARTNER_ROUTE_ROWS ? count : CONG_PARTNER_ROUTE_ROWS;
    rows.taken = 0;
    for (size_t i = 0; i < rows.count; i++) {
        cong_route_entry_t *e = reserved[i];
        char *method = calloc(1, ROW_METHOD_CAP), *path = calloc(1, ROW_PATH_CAP);
        if (method == NULL || path == NULL) {
            free(method);
            free(path);
            rows.count = i;
            return CONG_ENOMEM;
        }
        free(e->method); /* owned by the entry (freed with it); labels borrowed from here only after this */
        free(e->path);
        e->method = method;
        e->path = path;
        rows.rows[i] = e;
    }
    return 0;
}

size_t cong_partner_route_row(const char *method, const char *path, int *over)
{
    for (size_t i = 0; i < rows.taken; i++)
        if (strcmp(rows.rows[i]->method, method) == 0 && strcmp(rows.rows[i]->path, path) == 0)
            return rows.rows[i]->index;
    if (rows.taken == rows.count || strlen(method) >= ROW_METHOD_CAP || strlen(path) >= ROW_PATH_CAP) {
        *over = rows.count > 0; /* none reserved (not bound: nothing is served, unit tests): nothing to warn about */
        return rows.catch_all;
    }
    cong_route_entry_t *e = rows.rows[rows.taken++];
    memcpy(e->method, method, strlen(method) + 1);
    memcpy(e->path, path, strlen(path) + 1);
    return e->index;
}

void cong_partner_route_rows_reset(void)
{
    memset(&rows, 0, sizeof rows);
}
