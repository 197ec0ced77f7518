/*
 * tools/fcm_standin/oauth.c — POST /token, Google's OAuth 2.0 token endpoint for service accounts: the form
 * grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT> → 200 {"access_token", "expires_in",
 * "token_type": "Bearer"}, or 400 {"error", "error_description"} (assertion.h says what is checked).
 */
#include "assertion.h"
#include "grant_form.h"
#include "handlers.h"
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void reply_oauth_error(fcm_app_t *app, h2o_req_t *req, const char *error, const char *description)
{
    app->assertions_refused++;
    standin_header(req, "cache-control", "no-cache, no-store, max-age=0, must-revalidate");
    standin_reply_json(req, 400, json_pack("{s:s, s:s}", "error", error, "error_description", description));
}

/* The grant's assertion (malloc'd), or NULL after replying 400. */
static char *read_grant(fcm_app_t *app, h2o_req_t *req)
{
    if (!standin_content_type_is(req, "application/x-www-form-urlencoded")) {
        reply_oauth_error(app, req, "invalid_request", "The request body must be application/x-www-form-urlencoded.");
        return NULL;
    }
    char *grant_type = NULL, *assertion = NULL;
    fcm_form_result_t g = fcm_form_get(req->entity.base, req->entity.len, "grant_type", &grant_type);
    fcm_form_result_t a = fcm_form_get(req->entity.base, req->entity.len, "assertion", &assertion);
    const char *error = "invalid_request", *description = NULL;
    if (g == FCM_FORM_NOMEM || a == FCM_FORM_NOMEM)
        description = "out of memory";
    else if (g != FCM_FORM_FOUND || a == FCM_FORM_BAD)
        description = "Required parameter is missing or repeated: grant_type";
    else if (strcmp(grant_type, FCM_GRANT_TYPE_JWT_BEARER) != 0)
        error = "unsupported_grant_type", description = "Invalid grant_type: the stand-in knows jwt-bearer only";
    else if (a != FCM_FORM_FOUND)
        description = "Missing required parameter: assertion";
    free(grant_type);
    if (!description)
        return assertion;
    free(assertion);
    reply_oauth_error(app, req, error, description);
    return NULL;
}

void fcm_serve_token(fcm_app_t *app, h2o_req_t *req)
{
    char *assertion = read_grant(app, req);
    if (!assertion)
        return;
    int64_t now = (int64_t)time(NULL);
    fcm_grant_result_t r = fcm_assertion_check(&app->config.account, assertion, strlen(assertion), now);
    free(assertion);
    if (r != FCM_GRANT_OK) {
        fprintf(stderr, "fcm-standin: assertion refused: %s\n", fcm_grant_result_name(r));
        reply_oauth_error(app, req, fcm_grant_error(r), fcm_grant_description(r));
        return;
    }
    char token[FCM_ACCESS_TOKEN_LEN + 1];
    if (fcm_token_issue(app, now, token) != 0) {
        standin_reply_error(req, 503, "no randomness");
        return;
    }
    standin_header(req, "cache-control", "no-cache, no-store, max-age=0, must-revalidate");
    standin_reply_json(req, 200, json_pack("{s:s, s:i, s:s}", "access_token", token, "expires_in",
                                           app->config.token_ttl_s, "token_type", "Bearer"));
    memset(token, 0, sizeof token);
}
