#include "connection_headers.h"

#include <string.h>

static int name_is(const h2o_header_t *h, const char *name)
{
    size_t len = strlen(name);
    return h->name->len == len && h2o_lcstris(h->name->base, len, name, len);
}

int cong_has_connection_specific_header(const h2o_req_t *req)
{
    if (req->version < 0x200)
        return 0; /* hop-by-hop in HTTP/1.1: allowed there */
    for (size_t i = 0; i < req->headers.size; i++) {
        const h2o_header_t *h = &req->headers.entries[i];
        if (name_is(h, "connection") || name_is(h, "keep-alive") || name_is(h, "proxy-connection") ||
            name_is(h, "transfer-encoding") || name_is(h, "upgrade"))
            return 1;
        if (name_is(h, "te") && !h2o_lcstris(h->value.base, h->value.len, H2O_STRLIT("trailers")))
            return 1;
    }
    return 0;
}
