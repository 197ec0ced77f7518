/*
 * auth/jwks_source.c — a JWKS kept current by a background thread (see jwks_source.h for the contract).
 *
 * State is guarded by one mutex: the current keyset pointer, the pending-refresh flag, the timing and the counters.
 * The thread never holds the mutex while fetching or parsing; it swaps the pointer under the mutex and releases the
 * old set after unlocking, so a worker still using the old set keeps it alive through its own reference.
 * Timing runs on CLOCK_MONOTONIC (a wall-clock jump neither stalls nor storms refreshes); the counters report
 * wall-clock seconds.
 */
#include "jwks_source.h"

#include "jwks_fetch.h"

#include "cong/errors.h"
#include "common/common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_INTERVAL_MS (10 * 60 * 1000)
#define DEFAULT_COOLDOWN_MS (30 * 1000)
#define MAX_TIMEOUT_MS 5000
#define MAX_PERIOD_MS (7LL * 24 * 3600 * 1000) /* interval and cooldown are capped at a week */
#define ERROR_TEXT 128

struct cong_jwks_source {
    char *location, *ca_file;
    int64_t interval_ms, cooldown_ms, timeout_ms;

    pthread_mutex_t lock;
    pthread_cond_t wake;      /* on CLOCK_MONOTONIC */
    cong_jwks_t *current;     /* one reference held by the source; NULL until a good load */
    int refresh_pending;      /* a worker asked for a refresh */
    int failing;              /* the last attempt failed: retry at the cooldown pace */
    int64_t last_attempt_ms;  /* monotonic */
    cong_jwks_source_stats_t stats;

    atomic_int pending_hint;  /* mirrors refresh_pending, read without the lock by request_refresh */
    _Atomic int64_t pending_due_ms; /* when the pending fetch starts (monotonic), valid while pending_hint is set */
    atomic_uint_least64_t generation; /* loads finished; bumped after the outcome is installed */
    atomic_int stop;          /* set by free(); also cancels a transfer under way */
    pthread_t thread;
};

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *error_name(int rc)
{
    switch (rc) {
    case CONG_EIO:
        return "fetch failed";
    case CONG_ETOOBIG:
        return "too large";
    case CONG_EPARSE:
        return "not a JWKS document";
    case CONG_EEXIST:
        return "duplicate kid";
    case CONG_ENOTFOUND:
        return "no usable key";
    case CONG_ENOMEM:
        return "out of memory";
    default:
        return "error";
    }
}

/* Fetches and parses the document. Never holds the lock. */
static int load(cong_jwks_source_t *src, cong_jwks_t **set, char *error, size_t error_cap)
{
    cong_jwks_fetch_opts_t opts = {
        .timeout_ms = src->timeout_ms, .ca_file = src->ca_file, .cancel = &src->stop,
        .error = error, .error_cap = error_cap,
    };
    char *body = NULL;
    size_t len = 0;
    error[0] = '\0';
    pthread_mutex_lock(&src->lock); /* the location may be replaced by a reload (set_location) */
    char *location = strdup(src->location);
    pthread_mutex_unlock(&src->lock);
    if (location == NULL)
        return CONG_ENOMEM;
    int rc = cong_jwks_fetch(location, &opts, &body, &len);
    free(location);
    if (rc == CONG_OK)
        rc = cong_jwks_parse(body, len, set);
    free(body);
    if (rc == CONG_OK)
        cong_jwks_prepare(*set); /* here, off the workers: ~20 ms per P-256 key */
    return rc;
}

/* Same kids in the same order: a refresh that changed nothing is logged quietly. */
static int same_kids(const cong_jwks_t *a, const cong_jwks_t *b)
{
    if (cong_jwks_count(a) != cong_jwks_count(b))
        return 0;
    for (size_t i = 0; i < cong_jwks_count(a); i++)
        if (strcmp(cong_jwks_kid(a, i), cong_jwks_kid(b, i)) != 0)
            return 0;
    return 1;
}

/* Records the outcome of a load and installs `set` when it succeeded. Takes the lock itself. */
static void install(cong_jwks_source_t *src, int rc, cong_jwks_t *set, const char *error)
{
    pthread_mutex_lock(&src->lock);
    cong_jwks_t *old = src->current;
    int64_t now = (int64_t)time(NULL);
    src->stats.last_attempt = now;
    src->failing = rc != CONG_OK;
    if (rc == CONG_OK) {
        src->current = set;
        src->stats.last_success = now;
        src->stats.successes++;
        src->stats.keys = cong_jwks_count(set);
    } else {
        src->stats.failures++;
        old = NULL;
    }
    size_t kept = src->stats.keys;
    atomic_fetch_add(&src->generation, 1); /* under the lock: whoever sees it move gets the new set from current() */
    pthread_mutex_unlock(&src->lock);

    if (rc != CONG_OK)
        cong_log(CONG_LOG_WARN, "jwks", "refresh failed (%s%s%s); keeping the last good keyset (%zu keys)",
                 error_name(rc), error[0] ? ": " : "", error, kept);
    else
        cong_log(old && same_kids(old, set) ? CONG_LOG_DEBUG : CONG_LOG_INFO, "jwks",
                 "keyset loaded: %zu keys, %zu skipped", cong_jwks_count(set), cong_jwks_skipped(set));
    cong_jwks_release(old);
}

/* When the next fetch is due (monotonic ms). Called with the lock held. */
static int64_t next_due(const cong_jwks_source_t *src)
{
    if (src->last_attempt_ms == 0) /* never tried (a new location): now, whatever the clock's origin — the
                                      monotonic clock counts from boot, so "0 + pace" was still ahead on a machine
                                      up for less than one refresh interval */
        return 0;
    int64_t pace = src->failing || !src->current ? src->cooldown_ms : src->interval_ms;
    if (src->refresh_pending && src->cooldown_ms < pace)
        pace = src->cooldown_ms;
    return src->last_attempt_ms + pace;
}

/* Sleeps until due_ms (monotonic, like the condition variable's clock), a request or a stop. */
static void wait_until(cong_jwks_source_t *src, int64_t due_ms)
{
    struct timespec ts = {.tv_sec = (time_t)(due_ms / 1000), .tv_nsec = (long)(due_ms % 1000) * 1000000};
    pthread_cond_timedwait(&src->wake, &src->lock, &ts);
}

static void *refresher(void *arg)
{
    cong_jwks_source_t *src = arg;
    char error[ERROR_TEXT];
    pthread_mutex_lock(&src->lock);
    while (!atomic_load(&src->stop)) {
        int64_t due = next_due(src);
        if (monotonic_ms() < due) {
            wait_until(src, due);
            continue;
        }
        src->refresh_pending = 0;
        atomic_store(&src->pending_hint, 0);
        src->last_attempt_ms = monotonic_ms();
        pthread_mutex_unlock(&src->lock);

        cong_jwks_t *set = NULL;
        int rc = load(src, &set, error, sizeof error);
        if (atomic_load(&src->stop)) { /* cancelled mid-transfer: not a provider failure */
            cong_jwks_release(set);
            pthread_mutex_lock(&src->lock);
            break;
        }
        install(src, rc, set, error);
        pthread_mutex_lock(&src->lock);
    }
    pthread_mutex_unlock(&src->lock);
    return NULL;
}

static int init_sync(cong_jwks_source_t *src)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return CONG_ENOMEM;
    int ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 && pthread_cond_init(&src->wake, &attr) == 0;
    pthread_condattr_destroy(&attr);
    if (!ok)
        return CONG_ENOMEM;
    if (pthread_mutex_init(&src->lock, NULL) != 0) {
        pthread_cond_destroy(&src->wake);
        return CONG_ENOMEM;
    }
    return CONG_OK;
}

static void free_fields(cong_jwks_source_t *src)
{
    cong_jwks_release(src->current);
    free(src->location);
    free(src->ca_file);
    free(src);
}

int cong_jwks_source_new(const cong_jwks_source_config_t *config, cong_jwks_source_t **out)
{
    if (!out)
        return CONG_EINVAL;
    *out = NULL;
    if (!config || !config->location || !*config->location || config->refresh_interval_ms < 0 ||
        config->cooldown_ms < 0 || config->timeout_ms < 0)
        return CONG_EINVAL;
    if (strstr(config->location, "://") && !cong_jwks_location_is_http(config->location) &&
        strncmp(config->location, "file://", 7) != 0)
        return CONG_EINVAL; /* ftp://, ldap://... */
    if (cong_jwks_location_is_http(config->location) && cong_jwks_fetch_global_init() != CONG_OK)
        return CONG_EIO;

    cong_jwks_source_t *src = calloc(1, sizeof *src);
    if (!src)
        return CONG_ENOMEM;
    src->location = strdup(config->location);
    src->ca_file = config->ca_file ? strdup(config->ca_file) : NULL;
    src->interval_ms = config->refresh_interval_ms ? config->refresh_interval_ms : DEFAULT_INTERVAL_MS;
    src->cooldown_ms = config->cooldown_ms ? config->cooldown_ms : DEFAULT_COOLDOWN_MS;
    src->interval_ms = src->interval_ms < MAX_PERIOD_MS ? src->interval_ms : MAX_PERIOD_MS;
    src->cooldown_ms = src->cooldown_ms < MAX_PERIOD_MS ? src->cooldown_ms : MAX_PERIOD_MS;
    src->timeout_ms = config->timeout_ms && config->timeout_ms < MAX_TIMEOUT_MS ? config->timeout_ms : MAX_TIMEOUT_MS;
    atomic_init(&src->pending_hint, 0);
    atomic_init(&src->pending_due_ms, 0);
    atomic_init(&src->generation, 0);
    atomic_init(&src->stop, 0);
    if (!src->location || (config->ca_file && !src->ca_file)) {
        free_fields(src);
        return CONG_ENOMEM;
    }

    char error[ERROR_TEXT];
    cong_jwks_t *set = NULL;
    src->last_attempt_ms = monotonic_ms();
    int rc = load(src, &set, error, sizeof error);
    src->stats.last_attempt = (int64_t)time(NULL);
    if (rc == CONG_OK) {
        src->current = set;
        src->stats.last_success = src->stats.last_attempt;
        src->stats.successes = 1;
        src->stats.keys = cong_jwks_count(set);
        cong_log(CONG_LOG_INFO, "jwks", "keyset loaded: %zu keys, %zu skipped", cong_jwks_count(set),
                 cong_jwks_skipped(set));
    } else {
        src->failing = 1;
        src->stats.failures = 1;
        cong_log(config->allow_empty_start ? CONG_LOG_WARN : CONG_LOG_ERROR, "jwks", "first load failed (%s%s%s)",
                 error_name(rc), error[0] ? ": " : "", error);
        if (!config->allow_empty_start) {
            free_fields(src);
            return rc;
        }
    }
    atomic_store(&src->generation, 1);
    rc = init_sync(src);
    if (rc == CONG_OK && pthread_create(&src->thread, NULL, refresher, src) != 0) {
        pthread_cond_destroy(&src->wake);
        pthread_mutex_destroy(&src->lock);
        rc = CONG_ENOMEM;
    }
    if (rc != CONG_OK) {
        free_fields(src);
        return rc;
    }
    *out = src;
    return CONG_OK;
}

cong_jwks_t *cong_jwks_source_current(cong_jwks_source_t *src)
{
    if (!src)
        return NULL;
    pthread_mutex_lock(&src->lock);
    cong_jwks_t *set = cong_jwks_retain(src->current);
    pthread_mutex_unlock(&src->lock);
    return set;
}

static int64_t ms_until(int64_t due_ms)
{
    int64_t left = due_ms - monotonic_ms();
    return left > 0 ? left : 0;
}

int64_t cong_jwks_source_request_refresh(cong_jwks_source_t *src)
{
    if (!src)
        return -1;
    /* A flood of unknown kids costs two atomic loads each once a refresh is pending. */
    if (atomic_load_explicit(&src->pending_hint, memory_order_acquire))
        return ms_until(atomic_load_explicit(&src->pending_due_ms, memory_order_relaxed));
    pthread_mutex_lock(&src->lock);
    if (!src->refresh_pending) {
        src->refresh_pending = 1;
        atomic_store_explicit(&src->pending_due_ms, next_due(src), memory_order_relaxed);
        atomic_store_explicit(&src->pending_hint, 1, memory_order_release);
        pthread_cond_signal(&src->wake);
    }
    int64_t due = next_due(src);
    pthread_mutex_unlock(&src->lock);
    return ms_until(due);
}

int cong_jwks_source_set_location(cong_jwks_source_t *src, const char *location)
{
    if (!src || !location || !*location)
        return CONG_EINVAL;
    if (strstr(location, "://") && !cong_jwks_location_is_http(location) && strncmp(location, "file://", 7) != 0)
        return CONG_EINVAL;
    if (cong_jwks_location_is_http(location) && cong_jwks_fetch_global_init() != CONG_OK)
        return CONG_EIO;
    char *copy = strdup(location);
    if (!copy)
        return CONG_ENOMEM;
    pthread_mutex_lock(&src->lock);
    free(src->location);
    src->location = copy;
    src->last_attempt_ms = 0; /* no cooldown for a new location: fetch it now */
    src->refresh_pending = 1;
    atomic_store_explicit(&src->pending_due_ms, monotonic_ms(), memory_order_relaxed);
    atomic_store_explicit(&src->pending_hint, 1, memory_order_release);
    pthread_cond_signal(&src->wake);
    pthread_mutex_unlock(&src->lock);
    return 0;
}

uint64_t cong_jwks_source_generation(cong_jwks_source_t *src)
{
    return src ? atomic_load(&src->generation) : 0;
}

void cong_jwks_source_stats(cong_jwks_source_t *src, cong_jwks_source_stats_t *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!src)
        return;
    pthread_mutex_lock(&src->lock);
    *out = src->stats;
    pthread_mutex_unlock(&src->lock);
}

void cong_jwks_source_free(cong_jwks_source_t *src)
{
    if (!src)
        return;
    pthread_mutex_lock(&src->lock);
    atomic_store(&src->stop, 1);
    pthread_cond_signal(&src->wake);
    pthread_mutex_unlock(&src->lock);
    pthread_join(src->thread, NULL);
    pthread_cond_destroy(&src->wake);
    pthread_mutex_destroy(&src->lock);
    free_fields(src);
}
