/*
 * A test module (a shared object built against include/cong/module.h alone) that probes the module host's 1.4
 * members for tests/integration/test_module_host.sh: it names itself, runs per-worker hooks and timers, registers a
 * command, and records what the load-time calls answered. Not an example to copy: it exists to be looked at.
 *
 *   GET  /v1/probe/state    counters over every worker, and the asking worker's own ticks
 *   POST /v1/probe/timers   from a handler (req_worker): a one-shot timer stopped at once (must never fire) and a
 *                           later one that checks, from a timer of its own, that its id has run out
 *   GET  /v1/probe/v16      1.6: req_client_address, req_query, and the document the job probe_jws signed with
 *                           job_jws_sign (verified here with jws_verify)
 *   GET  /v1/probe/v17      1.7: what register_channel answered at load and after, and what the channel
 *                           modules.host_probe.channel brought every worker (messages, subscriptions, the last one)
 *   GET  /v1/probe/v18      1.8: what register_session_listener answered at load and after, and the revoked
 *                           sessions named "probe-..." every worker heard of (calls, the last one)
 *   cong probe ...          `cong probe load`: the load-time answers; `cong probe sql TEXT`: job_pg_exec in a
 *                           command; `cong probe subject NUMBER`: citizen_subject; `cong probe exit N`: exits N
 *   modules.host_probe.route_class   if set, a route with that rate-limit class (the load must then fail)
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cong/module.h"

static const cong_api_t *api;
static char load_answers[256];
static atomic_int inits, disposes, three_fires, late_fires, cancelled_fired, later_fired, later_id_gone;

static _Thread_local cong_worker_t *my_worker; /* set by on_init */

/* This worker's own state (hooks run on each worker's thread). */
static _Thread_local struct {
    int index, disposed;
    long ticks;
    cong_timer_id_t tick, three;
} mine;

static void on_tick(cong_worker_t *w, cong_timer_id_t id, void *udata)
{
    (void)w, (void)id, (void)udata;
    if (mine.disposed)
        atomic_fetch_add(&late_fires, 1);
    mine.ticks++;
}

/* A repeating timer that stops itself on its third run: a fourth is a late fire. */
static void on_three(cong_worker_t *w, cong_timer_id_t id, void *udata)
{
    (void)udata;
    int n = atomic_fetch_add(&three_fires, 1) + 1;
    static _Thread_local int here;
    if (++here > 3)
        atomic_fetch_add(&late_fires, 1);
    if (here == 3 && api->timer_stop(w, id) != 0)
        atomic_fetch_add(&late_fires, 1000 + n);
}

static void on_init(cong_worker_t *w, int index, void *udata)
{
    (void)udata;
    mine.index = index;
    my_worker = w;
    if (api->timer_start(w, 20, 20, on_tick, NULL, &mine.tick) != 0 ||
        api->timer_start(w, 5, 5, on_three, NULL, &mine.three) != 0)
        api->log(CONG_LOG_ERROR, "host_probe", "worker %d: timers did not start", index);
    atomic_fetch_add(&inits, 1);
}

static void on_dispose(cong_worker_t *w, int index, void *udata)
{
    (void)udata;
    mine.disposed = 1;
    int stop = api->timer_stop(w, mine.tick);
    int start = api->timer_start(w, 0, 0, on_tick, NULL, NULL);
    atomic_fetch_add(&disposes, 1);
    api->log(CONG_LOG_INFO, "host_probe", "worker %d disposed (index %d): tick timer_stop %s, timer_start %s, "
             "late fires %d", mine.index, index, api->strerror(stop), api->strerror(start), atomic_load(&late_fires));
}

static void state(cong_req_t *req, void *udata)
{
    (void)udata;
    char body[512];
    int n = snprintf(body, sizeof body,
                     "{\"inits\":%d,\"disposes\":%d,\"worker\":%d,\"ticks\":%ld,\"three_fires\":%d,\"late_fires\":%d,"
                     "\"cancelled_fired\":%d,\"later_fired\":%d,\"later_id_gone\":%d}",
                     atomic_load(&inits), atomic_load(&disposes), mine.index, mine.ticks, atomic_load(&three_fires),
                     atomic_load(&late_fires), atomic_load(&cancelled_fired), atomic_load(&later_fired),
                     atomic_load(&later_id_gone));
    api->reply_text(req, 200, "application/json", body, (size_t)n);
}

static void on_cancelled(cong_worker_t *w, cong_timer_id_t id, void *udata)
{
    (void)w, (void)id, (void)udata;
    atomic_fetch_add(&cancelled_fired, 1);
}

static void check_gone(cong_worker_t *w, cong_timer_id_t id, void *udata)
{
    (void)id;
    cong_timer_id_t *later = udata;
    if (api->timer_stop(w, *later) == CONG_ENOTFOUND)
        atomic_fetch_add(&later_id_gone, 1);
    free(later);
}

static void on_later(cong_worker_t *w, cong_timer_id_t id, void *udata)
{
    (void)udata;
    atomic_fetch_add(&later_fired, 1);
    cong_timer_id_t *mine_id = malloc(sizeof *mine_id);
    *mine_id = id;
    if (api->timer_start(w, 0, 0, check_gone, mine_id, NULL) != 0) /* once this callback has returned */
        free(mine_id);
}

static void timers(cong_req_t *req, void *udata)
{
    (void)udata;
    cong_worker_t *w = api->req_worker(req);
    cong_timer_id_t cancelled = 0;
    int a = api->timer_start(w, 30, 0, on_cancelled, NULL, &cancelled);
    int b = api->timer_stop(w, cancelled);
    int c = api->timer_stop(w, cancelled);
    int d = api->timer_start(w, 60, 0, on_later, NULL, NULL); /* after the cancelled one would have fired */
    char body[256];
    int n = snprintf(body, sizeof body, "{\"start\":\"%s\",\"stop\":\"%s\",\"stop_again\":\"%s\",\"later\":\"%s\"}",
                     api->strerror(a), api->strerror(b), api->strerror(c), api->strerror(d));
    api->reply_text(req, 200, "application/json", body, (size_t)n);
}

/* ---- 1.7: a live channel followed by every worker ---- */
static char channel_answers[256];
static atomic_int channel_messages, channel_subscribed, channel_wrong_thread;
static cong_module_ctx_t *load_ctx; /* for a register_channel after load, which must be refused */
static _Thread_local char last_message[64];

static void on_channel(cong_worker_t *w, const char *message, size_t len, void *udata)
{
    (void)udata;
    if (w != my_worker)
        atomic_fetch_add(&channel_wrong_thread, 1);
    if (message == NULL) {
        atomic_fetch_add(&channel_subscribed, 1);
        return;
    }
    snprintf(last_message, sizeof last_message, "%.*s", (int)(len < 63 ? len : 63), message);
    atomic_fetch_add(&channel_messages, 1);
}

static void v17(cong_req_t *req, void *udata)
{
    (void)udata;
    int late = api->register_channel(load_ctx, "cong:probe:late", on_channel, NULL);
    char body[512];
    int n = snprintf(body, sizeof body, "{\"load\":\"%s\",\"late\":\"%s\",\"messages\":%d,\"subscribed\":%d,"
                     "\"wrong_thread\":%d,\"last\":\"%s\"}", channel_answers, api->strerror(late),
                     atomic_load(&channel_messages), atomic_load(&channel_subscribed),
                     atomic_load(&channel_wrong_thread), strchr(last_message, '"') == NULL ? last_message : "(quoted)");
    api->reply_text(req, 200, "application/json", body, (size_t)n);
}

/* register_channel's refusals, then the configured channel, then more until the gateway's limit. */
static int register_channels(cong_module_ctx_t *ctx)
{
    const char *channel = api->config_get(ctx, "channel");
    int bad = api->register_channel(ctx, "cong probe", on_channel, NULL);
    int reserved = api->register_channel(ctx, "cong:revocations", on_channel, NULL);
    int no_fn = api->register_channel(ctx, "cong:probe:nofn", NULL, NULL);
    int taken = api->register_channel(ctx, "cong:live", on_channel, NULL); /* the push module's, loaded before */
    int rc = api->register_channel(ctx, channel, on_channel, NULL);
    if (rc != 0)
        return rc;
    int again = api->register_channel(ctx, channel, on_channel, NULL);
    int more = 0, full = 0;
    char name[64];
    while (more < 100 && full == 0) {
        snprintf(name, sizeof name, "%s:%d", channel, more);
        if ((full = api->register_channel(ctx, name, on_channel, NULL)) == 0)
            more++;
    }
    snprintf(channel_answers, sizeof channel_answers,
             "bad %s, reserved %s, no fn %s, taken %s, again %s, %d more then %s", api->strerror(bad),
             api->strerror(reserved), api->strerror(no_fn), api->strerror(taken), api->strerror(again), more,
             api->strerror(full));
    return 0;
}

/* ---- 1.8: ended sessions heard by every worker ---- */
static char session_answers[128];
static atomic_int session_calls, session_wrong_thread;
static _Thread_local char last_session[64];

static void on_session_ended(cong_worker_t *w, const char *session_id, void *udata)
{
    (void)udata;
    if (strncmp(session_id, "probe-", 6) != 0) /* other tests' revocations share the test Redis */
        return;
    if (w != my_worker)
        atomic_fetch_add(&session_wrong_thread, 1);
    snprintf(last_session, sizeof last_session, "%s", session_id);
    atomic_fetch_add(&session_calls, 1);
}

static void v18(cong_req_t *req, void *udata)
{
    (void)udata;
    int late = api->register_session_listener(load_ctx, on_session_ended, NULL);
    char body[512];
    int n = snprintf(body, sizeof body, "{\"load\":\"%s\",\"late\":\"%s\",\"calls\":%d,\"wrong_thread\":%d,"
                     "\"last\":\"%s\"}", session_answers, api->strerror(late), atomic_load(&session_calls),
                     atomic_load(&session_wrong_thread), strchr(last_session, '"') == NULL ? last_session : "(quoted)");
    api->reply_text(req, 200, "application/json", body, (size_t)n);
}

static int register_session_listener(cong_module_ctx_t *ctx)
{
    int no_fn = api->register_session_listener(ctx, NULL, NULL);
    int rc = api->register_session_listener(ctx, on_session_ended, NULL);
    if (rc != 0)
        return rc;
    int again = api->register_session_listener(ctx, on_session_ended, NULL);
    snprintf(session_answers, sizeof session_answers, "no fn %s, again %s", api->strerror(no_fn),
             api->strerror(again));
    return 0;
}

/* ---- 1.6: job_jws_sign on the job thread (its first run signs; later runs do nothing), req_client_address ---- */
static char *job_signed;          /* the job's document, malloc'd by job_jws_sign; set once, then only read */
static atomic_int job_sign_rc = 1; /* 1 until the job ran */

static void probe_jws(cong_job_t *job, void *udata)
{
    (void)udata;
    if (atomic_load(&job_sign_rc) != 1)
        return;
    static const char doc[] = "{\"probe\":\"signed on the job thread\"}";
    char *jws = NULL, *not_object = NULL;
    int rc = api->job_jws_sign(job, doc, sizeof doc - 1, &jws);
    if (rc == 0 && api->job_jws_sign(job, "[1]", 3, &not_object) != CONG_EINVAL)
        rc = CONG_EIO; /* a payload that is no object must be refused */
    free(not_object);
    job_signed = jws;
    atomic_store(&job_sign_rc, rc);
}

static void v16(cong_req_t *req, void *udata)
{
    (void)udata;
    const char *payload = "";
    size_t len = 0;
    int sign = atomic_load(&job_sign_rc), verify = CONG_ENOTFOUND;
    if (sign == 0)
        verify = api->jws_verify(req, job_signed, strlen(job_signed), &payload, &len);
    size_t qlen = 0;
    const char *query = api->req_query(req, &qlen);
    char body[512];
    int n = snprintf(body, sizeof body, "{\"client_address\":\"%s\",\"job_sign\":\"%s\",\"verify\":\"%s\","
                     "\"payload\":%s,\"query\":\"%s\",\"query_len\":%zu}", api->req_client_address(req),
                     sign == 1 ? "pending" : api->strerror(sign), api->strerror(verify), verify == 0 ? payload : "null",
                     strchr(query, '"') == NULL && strchr(query, '\\') == NULL ? query : "(quoted)", qlen);
    api->reply_text(req, 200, "application/json", body, (size_t)n);
}

static int probe_sql(cong_job_t *job, const char *text)
{
    const char *params[] = {text};
    cong_pg_result_t *res = NULL;
    int rc = api->job_pg_exec(job, "SELECT $1::text || ' from PostgreSQL'", 1, params, &res);
    if (rc != 0) {
        fprintf(stderr, "probe: %s\n", api->strerror(rc));
        return CONG_COMMAND_FAILURE;
    }
    printf("%s (stopping %d)\n", api->pg_value(res, 0, 0), api->job_stopping(job));
    api->job_pg_clear(res);
    return CONG_COMMAND_OK;
}

static int probe(cong_job_t *job, int argc, char **argv, void *udata)
{
    (void)udata;
    char subject[CONG_SUBJECT_SIZE];
    if (argc == 1 && strcmp(argv[0], "load") == 0)
        return printf("%s\n", load_answers) > 0 ? CONG_COMMAND_OK : CONG_COMMAND_FAILURE;
    if (argc == 2 && strcmp(argv[0], "sql") == 0)
        return probe_sql(job, argv[1]);
    if (argc == 2 && strcmp(argv[0], "subject") == 0) {
        int rc = api->citizen_subject(argv[1], subject, sizeof subject);
        printf("%s\n", rc == 0 ? subject : api->strerror(rc));
        return rc == 0 ? CONG_COMMAND_OK : CONG_COMMAND_FAILURE;
    }
    if (argc == 1 && strcmp(argv[0], "jws") == 0) { /* a command loads no document key */
        char *jws = NULL;
        int rc = api->job_jws_sign(job, "{}", 2, &jws);
        free(jws);
        printf("%s\n", api->strerror(rc));
        return CONG_COMMAND_OK;
    }
    if (argc == 2 && strcmp(argv[0], "exit") == 0)
        return atoi(argv[1]);
    return CONG_COMMAND_USAGE;
}

int cong_module_onload(cong_module_ctx_t *ctx, const cong_api_t *a)
{
    if (a->abi_major != CONG_MODULE_ABI_MAJOR || !CONG_API_HAS(a, register_session_listener))
        return CONG_EVERSION;
    api = a;
    int rc = api->declare_module(ctx, "host_probe", "2.5.1-test");
    if (rc != 0)
        return rc;
    cong_config_key_def_t key = {.size = sizeof key, .name = "route_class", .type = CONG_CONFIG_STRING,
                                 .default_value = "", .help = "a route with this rate-limit class, if set"};
    cong_config_key_def_t channel = {.size = sizeof channel, .name = "channel", .type = CONG_CONFIG_STRING,
                                     .default_value = "cong:probe", .help = "the live channel the probe follows"};
    if ((rc = api->register_config(ctx, &key)) != 0 || (rc = api->register_config(ctx, &channel)) != 0)
        return rc;
    const cong_route_def_t routes[] = {
        {sizeof(cong_route_def_t), "GET", "/v1/probe/state", state, NULL, CONG_AUTH_NONE, NULL, 0, "upload",
         "probeState", 0, NULL},
        {sizeof(cong_route_def_t), "POST", "/v1/probe/timers", timers, NULL, CONG_AUTH_NONE, NULL, 0, NULL,
         "probeTimers", 0, NULL},
        {sizeof(cong_route_def_t), "GET", "/v1/probe/v16", v16, NULL, CONG_AUTH_NONE, NULL, 0, NULL, "probeV16", 0,
         NULL},
        {sizeof(cong_route_def_t), "GET", "/v1/probe/v17", v17, NULL, CONG_AUTH_NONE, NULL, 0, NULL, "probeV17", 0,
         NULL},
        {sizeof(cong_route_def_t), "GET", "/v1/probe/v18", v18, NULL, CONG_AUTH_NONE, NULL, 0, NULL, "probeV18", 0,
         NULL},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if ((rc = api->register_route(ctx, &routes[i])) != 0)
            return rc;
    const char *cls = api->config_get(ctx, "route_class");
    if (cls[0] != '\0') {
        cong_route_def_t bad = {sizeof bad, "GET", "/v1/probe/classy", state, NULL, CONG_AUTH_NONE, NULL, 0, cls,
                                "probeClassy", 0, NULL};
        if ((rc = api->register_route(ctx, &bad)) != 0)
            return rc;
    }
    int again = api->declare_module(ctx, "host_probe", "2.5.2");
    int taken = api->register_command(ctx, "official", "cong official (a second one)", probe, NULL);
    int bad_name = api->register_command(ctx, "--probe", "cong --probe", probe, NULL);
    snprintf(load_answers, sizeof load_answers, "declare again %s, command official %s, command --probe %s, purpose %d",
             api->strerror(again), api->strerror(taken), api->strerror(bad_name), api->load_purpose(ctx));
    if (api->load_purpose(ctx) == CONG_LOAD_SERVE &&
        (rc = api->register_job(ctx, "probe_jws", 100, probe_jws, NULL)) != 0)
        return rc;
    if ((rc = api->register_worker_hooks(ctx, on_init, on_dispose, NULL)) != 0)
        return rc;
    load_ctx = ctx;
    if ((rc = register_channels(ctx)) != 0)
        return rc;
    if ((rc = register_session_listener(ctx)) != 0)
        return rc;
    if (api->register_worker_hooks(ctx, on_init, on_dispose, NULL) != CONG_EEXIST)
        return CONG_EINVAL;
    return api->register_command(ctx, "probe",
                                 "cong probe load | sql TEXT | subject NUMBER | jws | exit N   the host probe (tests)\n",
                                 probe, NULL);
}
