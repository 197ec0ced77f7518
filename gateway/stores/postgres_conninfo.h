/*
 * gateway/stores/postgres_conninfo.h — (internal to gateway/stores/) the parameters the pool's connections are opened
 * with: the configured conninfo
 * (key=value or URI) with "-c statement_timeout=N" added to its options, so the server itself ends a statement that
 * outlives the pool's deadline even when no cancel reaches it (postgres.c, postgres_cancel.h).
 */
#ifndef CONG_GATEWAY_POSTGRES_CONNINFO_H
#define CONG_GATEWAY_POSTGRES_CONNINFO_H

#include <libpq-fe.h>

typedef struct cong_pg_conninfo {
    PQconninfoOption *parsed;        /* NULL when the text does not parse: connecting then fails as it would anyway */
    char *text, *options;
    const char **keywords, **values; /* NULL-terminated, pointing into parsed and options */
    char instance[96];               /* fallback_application_name "cong <host>:<pid>": names this instance in
                                        pg_stat_activity and in the audit records it writes (cong_audit) */
} cong_pg_conninfo_t;

/** 0, or CONG_ENOMEM (then call cong_pg_conninfo_free). `conninfo` is copied. */
int cong_pg_conninfo_init(cong_pg_conninfo_t *ci, const char *conninfo, int statement_timeout_ms);
/** PQconnectStart with these parameters (never blocks). */
PGconn *cong_pg_conninfo_connect_start(const cong_pg_conninfo_t *ci);
void cong_pg_conninfo_free(cong_pg_conninfo_t *ci);

#endif
