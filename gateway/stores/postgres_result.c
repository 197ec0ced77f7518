#include "postgres_result.h"

#include <string.h>

#include "cong/errors.h"
#include "common/common.h"

#define SQLSTATE_QUERY_CANCELED "57014"

static int result_ok(const PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

PGresult *cong_pg_result_fold(PGresult *kept, PGresult *next)
{
    if (kept == NULL || (result_ok(kept) && !result_ok(next))) {
        PQclear(kept);
        return next;
    }
    PQclear(next);
    return kept;
}

int cong_pg_result_error(const PGresult *kept)
{
    if (kept == NULL)
        return CONG_EIO;
    if (result_ok(kept))
        return 0;
    const char *sqlstate = PQresultErrorField(kept, PG_DIAG_SQLSTATE);
    cong_log(CONG_LOG_WARN, "postgres", "query failed: %s", sqlstate ? sqlstate : "?");
    return sqlstate != NULL && strcmp(sqlstate, SQLSTATE_QUERY_CANCELED) == 0 ? CONG_ETIMEDOUT : CONG_EQUERY;
}
