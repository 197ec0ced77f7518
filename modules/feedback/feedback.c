/*
 * modules/feedback — the entry point: the module's name, its configuration keys (modules.feedback.*), its migrations,
 * then each file's routes, and the replies the files share. Needs ABI 1.5 (acting for someone: mandate_covers).
 * Loaded for a command, it declares its keys and migrations only.
 *
 *   POST /v1/feedback                         a citizen rates a finished dossier or a unit          give.c
 *   GET  /v1/me/feedback                      the citizen's own feedback, newest first              read.c
 *   GET  /v1/desk/units/{code}/feedback       officials: the unit's feedback (?week=&cursor=)       read.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedback.h"

const cong_api_t *feedback_api;
feedback_config_t feedback_config;

#define KEY(name, type, def, help) {sizeof(cong_config_key_def_t), name, type, def, help}
static const cong_config_key_def_t config_keys[] = {
    KEY("migrations_dir", CONG_CONFIG_STRING, "modules/feedback/migrations", "the module's SQL migrations"),
    KEY("comment_max_chars", CONG_CONFIG_INT, "1000",
        "longest comment, in Unicode characters (not bytes) (1..10000)"),
    KEY("unit_weekly_max", CONG_CONFIG_INT, "1",
        "feedbacks on a unit without a dossier per citizen, unit and ISO week in Hanoi (1..50)"),
    KEY("page_size", CONG_CONFIG_INT, "20", "items per page of the feedback lists (1..100)"),
};

/* An organization's subject (modules/orgs/orgs.h ORGS_SUBJECT_PREFIX; a module includes no other's header). */
#define ORG_SUBJECT_PREFIX "org:"

int feedback_rater_allowed(cong_req_t *req)
{
    const cong_principal_t *p = feedback_api->req_principal(req);
    if (strncmp(p->subject, ORG_SUBJECT_PREFIX, sizeof ORG_SUBJECT_PREFIX - 1) == 0)
        return 1;
    if (p->client_id != NULL && p->client_id[0] != '\0') {
        feedback_api->reply_problem(req, 403, "applicant-not-allowed",
                                    "Ứng dụng này không thuộc tổ chức nào nên không có hồ sơ để đánh giá.",
                                    "This API client belongs to no organization, so it has no dossiers to rate.");
        return 0;
    }
    if (p->loa >= 1)
        return 1;
    feedback_api->reply_header(req, "www-authenticate",
                               "Bearer realm=\"cong\", error=\"insufficient_user_authentication\", acr_values=\"1\"");
    feedback_api->reply_problem(req, 401, "step-up-required", NULL, NULL);
    return 0;
}

void feedback_reply_store_error(cong_req_t *req, int err)
{
    const cong_api_t *api = feedback_api;
    if (err == CONG_EUNAVAILABLE || err == CONG_ETIMEDOUT || err == CONG_EBUSY) {
        api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
        return;
    }
    api->log(CONG_LOG_ERROR, FEEDBACK_MODULE, "store error %s (request %s)", api->strerror(err), api->req_id(req));
    api->reply_problem(req, 500, "internal-error", NULL, NULL);
}

void feedback_query(cong_req_t *req, const char *sql, int nparams, const char *const *params, cong_pg_cb cb,
                    void *udata)
{
    int rc = feedback_api->pg_query(req, sql, nparams, params, cb, udata);
    if (rc != 0)
        feedback_reply_store_error(req, rc);
}

char *feedback_strdup(cong_req_t *req, const char *s)
{
    size_t n = strlen(s);
    char *copy = feedback_api->req_alloc(req, n + 1);
    if (copy != NULL)
        memcpy(copy, s, n + 1);
    return copy;
}

void feedback_reply_outcome(cong_req_t *req, const char *status_text, const char *body_text)
{
    const cong_api_t *api = feedback_api;
    int status = status_text != NULL ? atoi(status_text) : 0;
    json_t *body = body_text != NULL ? json_loads(body_text, 0, NULL) : NULL;
    if (status < 200 || status > 599 || !json_is_object(body)) {
        json_decref(body);
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    api->reply_header(req, "cache-control", "no-store");
    const char *problem = json_string_value(json_object_get(body, "problem"));
    if (problem == NULL) {
        api->reply_json(req, status, body);
        return;
    }
    char slug[65];
    snprintf(slug, sizeof slug, "%s", problem);
    json_object_del(body, "problem");
    api->reply_problem_ext(req, status, slug, NULL, NULL, body);
}

static int in_range(int v, int lo, int hi) { return v >= lo && v <= hi; }

static int read_config(cong_module_ctx_t *ctx)
{
    const cong_api_t *api = feedback_api;
    for (size_t i = 0; i < sizeof config_keys / sizeof config_keys[0]; i++) {
        int rc = api->register_config(ctx, &config_keys[i]);
        if (rc != 0)
            return rc;
    }
    feedback_config_t *c = &feedback_config;
    c->comment_max_chars = atoi(api->config_get(ctx, "comment_max_chars"));
    c->unit_weekly_max = atoi(api->config_get(ctx, "unit_weekly_max"));
    c->page_size = atoi(api->config_get(ctx, "page_size"));
    if (!in_range(c->comment_max_chars, 1, 10000) || !in_range(c->unit_weekly_max, 1, 50) ||
        !in_range(c->page_size, 1, 100)) {
        api->log(CONG_LOG_ERROR, FEEDBACK_MODULE, "a configured value is out of range");
        return CONG_EINVAL;
    }
    return api->register_migrations(ctx, api->config_get(ctx, "migrations_dir"));
}

int cong_feedback_onload(cong_module_ctx_t *ctx, const cong_api_t *api)
{
    if (api->abi_major != CONG_MODULE_ABI_MAJOR || !CONG_API_HAS(api, mandate_covers))
        return CONG_EVERSION;
    feedback_api = api;
    int rc = api->declare_module(ctx, FEEDBACK_MODULE, FEEDBACK_VERSION);
    if (rc == 0)
        rc = read_config(ctx);
    if (rc != 0 || api->load_purpose(ctx) != CONG_LOAD_SERVE)
        return rc;
    rc = feedback_give_register(ctx);
    return rc == 0 ? feedback_read_register(ctx) : rc;
}
