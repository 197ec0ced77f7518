/*
 * gateway/stores/postgres_result.h — (internal to gateway/stores/) what a query's caller sees of the server's reply.
 *
 * One statement can bring more than one result: its own, then an error raised when its implicit transaction commits
 * (a deferred constraint, a serialization failure). Any error in the reply makes the query a failure, so a
 * commit-time error can never become a 2xx.
 */
#ifndef CONG_GATEWAY_POSTGRES_RESULT_H
#define CONG_GATEWAY_POSTGRES_RESULT_H

#include <libpq-fe.h>

/** Folds the next result of a reply into the one kept so far (NULL at first): keeps the first failed result, else the
 *  first result; clears the other. Returns the one to keep. */
PGresult *cong_pg_result_fold(PGresult *kept, PGresult *next);
/** The query's outcome from the result kept: 0, CONG_EQUERY (an SQL error), CONG_ETIMEDOUT (the statement was
 *  cancelled: statement_timeout or pg_cancel_backend), or CONG_EIO (no result at all). Logs the SQLSTATE of errors. */
int cong_pg_result_error(const PGresult *kept);

#endif
