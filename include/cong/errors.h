/*
 * cong/errors.h — how cong reports errors: the CONG_E* codes every call returns and the levels of the error log.
 *
 * Part of the public module ABI (include/cong/module.h includes it) and shared by every room of cong: the host,
 * auth/, push/ and common/ include this header, not module.h, when they only need the codes. Depends on nothing
 * (not even libc). The values never change: a module built against an older header reads them the same way.
 */
#ifndef CONG_ERRORS_H
#define CONG_ERRORS_H

/** Errors: 0 is success, these are negative. */
enum {
    CONG_OK = 0,
    CONG_EINVAL = -1,       /* an argument is invalid */
    CONG_ENOMEM = -2,       /* out of memory */
    CONG_EEXIST = -3,       /* already registered / already exists */
    CONG_ENOTFOUND = -4,    /* no such thing */
    CONG_ETIMEDOUT = -5,    /* the store did not answer in time */
    CONG_EUNAVAILABLE = -6, /* the store is down or reconnecting */
    CONG_ESTATE = -7,       /* not allowed now (e.g. registering a route after load, replying twice) */
    CONG_EVERSION = -8,     /* ABI version mismatch */
    CONG_ETOOBIG = -9,      /* over a configured limit */
    CONG_EGONE = -10,       /* the request's client has gone */
    CONG_EIO = -11,         /* I/O or protocol error talking to a store */
    CONG_EPARSE = -12,      /* input could not be parsed */
    CONG_EQUERY = -13,      /* the store rejected the command/query (SQL error, Redis error reply) */
    CONG_EBUSY = -14,       /* a queue is full */
    CONG_EPERM = -15,       /* not permitted: outside what the principal's mandate covers (added with ABI 1.5) */
};

/** Levels of the error log (api->log in module.h; lines above the configured level are dropped). */
enum cong_log_level { CONG_LOG_ERROR = 0, CONG_LOG_WARN = 1, CONG_LOG_INFO = 2, CONG_LOG_DEBUG = 3 };

#endif
