/*
 * common/relay_runtime/relay_runtime.h — the runtime of cong's out-of-process relays and workers (cong-portal-sync,
 * cong-push-relay, cong-push-worker, cong-push-fanout): one blocking PostgreSQL connection and one Redis connection,
 * each reconnected with backoff, a failure log rate-limited per class, the stop flag that SIGTERM/SIGINT set, an
 * interruptible sleep, flags with their environment variables, and the pass loop.
 *
 * Blocking by design, so never linked into the gateway (cong_relay_runtime is its own library, linked by the relays
 * alone; tests/house/layering.py lets only program folders include this header). Single-threaded: every function is
 * called from the program's main thread. A module's own program (modules/<name>/<program>/) may include this header
 * besides the cong/ headers: it sees include/ and this folder, nothing else of the tree.
 *
 * Everything returns 0 or a negative CONG_E* code (include/cong/errors.h). Never log a conninfo, a token, a payload or
 * a citizen number: libpq's messages are cut to their first line, which never holds the conninfo.
 */
#ifndef CONG_RELAY_RUNTIME_H
#define CONG_RELAY_RUNTIME_H

#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#define RELAY_LOG_INTERVAL_S 10 /* at most one line per failure class per interval */

/* log.c — the program owns its line format (its writer); the runtime owns the rate limit. */
/** Writes one line: `cls` is the failure class, or NULL for an info line; held_back counts the lines of that class
 *  not written since its last one. `msg` is formatted and NUL-terminated. */
typedef void relay_log_writer_fn(const char *cls, long held_back, const char *msg);
/** Sets the writer (before any other call of this header logs). */
void relay_log_set_writer(relay_log_writer_fn *writer);
/** Logs once per class per RELAY_LOG_INTERVAL_S; class is a static string ("postgres", "redis"...). */
void relay_log_failure(const char *cls, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Logs always (start, stop, recoveries). */
void relay_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* process.c — stop flag, sleeping, the clock. */
/** Ignores SIGPIPE; SIGTERM/SIGINT set the stop flag (no SA_RESTART: sleeps and blocking calls wake up). */
void relay_catch_stop_signals(void);
/** 1 once SIGTERM/SIGINT arrived: the program finishes its current record or pass, commits and exits 0. */
int relay_stopping(void);
/** Sleeps up to ms, waking early when a stop is requested. */
void relay_sleep_ms(int ms);
/** Monotonic clock in milliseconds. */
int64_t relay_now_ms(void);

/* pg.c — one blocking PostgreSQL connection, reconnected with backoff. */
typedef struct relay_pg {
    PGconn *conn;                 /* NULL or a connection that was OK when last used */
    const char *conninfo;         /* borrowed; never logged */
    const char *application_name; /* the program's name, as pg_stat_activity shows it */
    int backoff_ms;               /* current reconnect delay */
} relay_pg_t;

/** Connects if needed. 0, or CONG_EUNAVAILABLE after logging (the caller sleeps relay_pg_backoff and retries). */
int relay_pg_ensure(relay_pg_t *pg);
/** The delay before the next connection attempt (250 ms doubling to 5 s; reset by a successful connect). */
int relay_pg_backoff(relay_pg_t *pg);
/** Runs a query; *out is the result to PQclear. 0, or CONG_EQUERY (class "postgres-query") / CONG_EUNAVAILABLE (class
 *  "postgres"; the connection is then dropped) after logging. */
int relay_pg_query(relay_pg_t *pg, const char *sql, int nparams, const char *const *params, PGresult **out);
/** Runs a command that returns no rows (BEGIN, COMMIT, UPDATE...). Same codes as relay_pg_query. */
int relay_pg_exec(relay_pg_t *pg, const char *sql, int nparams, const char *const *params);
/** Best-effort ROLLBACK (after a failure inside a transaction). */
void relay_pg_rollback(relay_pg_t *pg);
void relay_pg_close(relay_pg_t *pg);

/* redis.c — one blocking Redis connection, reconnected with backoff (cong-push-relay, -worker, -fanout). */
typedef struct relay_redis {
    redisContext *ctx;   /* NULL when not connected */
    const char *host;    /* borrowed */
    int port;
    int timeout_ms;      /* connect and command timeout; 0: 2000 */
    int64_t retry_at_ms; /* no connection attempt before this (relay_now_ms) */
    int backoff_ms;      /* current reconnect delay */
    int generation;      /* +1 per connection made: what lives per connection (consumer groups...) is made again */
} relay_redis_t;

/** Connects if needed (not before retry_at_ms). 0, or CONG_EUNAVAILABLE after logging (class "redis"). */
int relay_redis_ensure(relay_redis_t *redis);
/** Logs why (class "redis"), drops the connection and schedules the next attempt (250 ms doubling to 5 s). */
void relay_redis_down(relay_redis_t *redis, const char *why);
void relay_redis_close(relay_redis_t *redis);

/* options.c — a relay's flags, each with its environment variable (the flag wins), read by getopt_long. */
typedef struct relay_text_option {
    const char *flag, *env; /* "pg" (for --pg), "CONG_POSTGRES_CONNINFO" (NULL: none) */
    const char **target;    /* keeps its default unless set; points into argv or the environment */
} relay_text_option_t;

typedef struct relay_int_option {
    const char *flag, *env; /* "batch" (for --batch), "CONG_..._BATCH" */
    int *target;            /* keeps its default unless set */
    long min, max;
} relay_int_option_t;

typedef struct relay_options {
    const char *program;   /* the prefix of every complaint: "cong-push-relay" */
    void (*usage)(void);   /* prints the usage to stderr */
    const relay_text_option_t *texts;
    size_t ntexts;
    const relay_int_option_t *ints;
    size_t nints;
    int *once; /* set to 1 by --once */
} relay_options_t;

/** Reads every option's variable, then the flags. 0 (operands left from argv[optind] on, for the caller to refuse),
 *  or 2 after printing what is wrong: "<program>: <VAR> must be a number from MIN to MAX", the same for --<flag>, or
 *  getopt's complaint and the usage (also for --help). */
int relay_parse_options(int argc, char **argv, const relay_options_t *o);

/* run.c — the pass loop. */
/** One pass of the program over its outbox: *worked = the records it handled (0 when nothing was due). 0, or the
 *  failure that makes a --once run exit 1. */
typedef int relay_pass_fn(void *ctx, int *worked);
/** Passes until stopped, connecting first (sleeping the backoff while PostgreSQL is down) and sleeping poll_ms after
 *  a pass that handled nothing. With `once`: returns after the first pass that handled nothing, 1 if it failed or
 *  PostgreSQL went away, else 0; 1 at once when PostgreSQL cannot be reached. Without: 0 when stopped. */
int relay_run(relay_pg_t *pg, int once, int poll_ms, relay_pass_fn *pass, void *ctx);

#endif
