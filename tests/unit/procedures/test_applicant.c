/* modules/procedures/applicant.c: who may have dossiers (organization by the "org:" subject, plain API client,
 * citizen) and who may apply for a procedure (its applicants, then the level of the person behind the request), with
 * a stub API table that records the one answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "modules/procedures/catalog_index.h"
#include "modules/procedures/procedures.h"

static cong_principal_t principal;
static int answered, status;
static char problem[64], challenge[160], applicants_said[32];

static const cong_principal_t *stub_principal(cong_req_t *req)
{
    (void)req;
    return &principal;
}

static int stub_header(cong_req_t *req, const char *name, const char *value)
{
    (void)req;
    if (strcmp(name, "www-authenticate") == 0)
        snprintf(challenge, sizeof challenge, "%s", value);
    return 0;
}

static int stub_problem_ext(cong_req_t *req, int st, const char *slug, const char *vi, const char *en, json_t *ext)
{
    (void)req, (void)vi, (void)en;
    answered++;
    status = st;
    snprintf(problem, sizeof problem, "%s", slug);
    const char *who = json_string_value(json_object_get(ext, "applicants"));
    snprintf(applicants_said, sizeof applicants_said, "%s", who != NULL ? who : "");
    json_decref(ext);
    return 0;
}

static int stub_problem(cong_req_t *req, int st, const char *slug, const char *vi, const char *en)
{
    return stub_problem_ext(req, st, slug, vi, en, NULL);
}

static cong_api_t stub = {.req_principal = stub_principal, .reply_header = stub_header,
                          .reply_problem = stub_problem, .reply_problem_ext = stub_problem_ext};

/* A request of subject `subject` (client_id, actor: NULL when none) at level `loa`. */
static void as(const char *subject, const char *client_id, const char *actor, int loa)
{
    principal = (cong_principal_t){.size = sizeof principal, .authenticated = 1, .subject = subject,
                                   .client_id = client_id, .actor = actor, .loa = loa, .scopes = ""};
    answered = status = 0;
    problem[0] = challenge[0] = applicants_said[0] = '\0';
    procedures_api = &stub;
}

#define CITIZEN CATALOG_APPLICANT_CITIZEN
#define ORGANIZATION CATALOG_APPLICANT_ORGANIZATION
#define BOTH (CATALOG_APPLICANT_CITIZEN | CATALOG_APPLICANT_ORGANIZATION)

/* the kind of party: the subject decides an organization, whatever client_id says */
static void test_party(void **state)
{
    (void)state;
    as("org:6f1c0d2e-0000-4000-8000-000000000001", "c_erp", NULL, 0);
    assert_int_equal(procedures_party(NULL), PROCEDURES_PARTY_ORGANIZATION);
    as("org:6f1c0d2e-0000-4000-8000-000000000001", NULL, "employee-subject", 2); /* token exchange: no client */
    assert_int_equal(procedures_party(NULL), PROCEDURES_PARTY_ORGANIZATION);
    as("c_partner", "c_partner", NULL, 0);
    assert_int_equal(procedures_party(NULL), PROCEDURES_PARTY_CLIENT);
    as("citizen-subject", NULL, NULL, 1);
    assert_int_equal(procedures_party(NULL), PROCEDURES_PARTY_CITIZEN);
    as("org", NULL, NULL, 1); /* no prefix: a citizen */
    assert_int_equal(procedures_party(NULL), PROCEDURES_PARTY_CITIZEN);
}

/* the routes: an organization at level 0 passes, a plain client is 403, a citizen needs level 1 */
static void test_party_allowed(void **state)
{
    (void)state;
    as("org:x", "c_erp", NULL, 0);
    assert_int_equal(procedures_party_allowed(NULL), 1);
    assert_int_equal(answered, 0);
    as("c_partner", "c_partner", NULL, 0);
    assert_int_equal(procedures_party_allowed(NULL), 0);
    assert_int_equal(status, 403);
    assert_string_equal(problem, "applicant-not-allowed");
    as("citizen-subject", NULL, NULL, 0);
    assert_int_equal(procedures_party_allowed(NULL), 0);
    assert_int_equal(status, 401);
    assert_string_equal(problem, "step-up-required");
    assert_non_null(strstr(challenge, "acr_values=\"1\""));
    as("citizen-subject", NULL, NULL, 1);
    assert_int_equal(procedures_party_allowed(NULL), 1);
    assert_int_equal(answered, 0);
}

/* a submission: applicants first (403 names who may apply), then the level of a person (401 for the procedure's) */
static void test_may_apply(void **state)
{
    (void)state;
    as("org:x", "c_erp", NULL, 0); /* an organization's own client: no level asked */
    assert_int_equal(procedures_may_apply(NULL, "P", ORGANIZATION, 2), 1);
    assert_int_equal(procedures_may_apply(NULL, "P", BOTH, 2), 1);
    assert_int_equal(procedures_may_apply(NULL, "P", CITIZEN, 1), 0);
    assert_int_equal(status, 403);
    assert_string_equal(problem, "applicant-not-allowed");
    assert_string_equal(applicants_said, "citizen");

    as("citizen-subject", NULL, NULL, 1);
    assert_int_equal(procedures_may_apply(NULL, "P", CITIZEN, 1), 1);
    assert_int_equal(procedures_may_apply(NULL, "P", BOTH, 1), 1);
    assert_int_equal(procedures_may_apply(NULL, "P", ORGANIZATION, 2), 0); /* 403 before any step-up */
    assert_int_equal(status, 403);
    assert_string_equal(applicants_said, "organization");
    as("citizen-subject", NULL, NULL, 1);
    assert_int_equal(procedures_may_apply(NULL, "P", CITIZEN, 2), 0);
    assert_int_equal(status, 401);
    assert_string_equal(problem, "step-up-required");
    assert_non_null(strstr(challenge, "acr_values=\"2\""));

    as("org:x", NULL, "employee-subject", 1); /* a person acting for the organization: the procedure's level */
    assert_int_equal(procedures_may_apply(NULL, "P", ORGANIZATION, 2), 0);
    assert_int_equal(status, 401);
    as("org:x", NULL, "employee-subject", 2);
    assert_int_equal(procedures_may_apply(NULL, "P", ORGANIZATION, 2), 1);

    as("grantor-subject", NULL, "grantee-subject", 1); /* a citizen acting for a citizen: as before */
    assert_int_equal(procedures_may_apply(NULL, "P", CITIZEN, 1), 1);
    assert_int_equal(procedures_may_apply(NULL, "P", ORGANIZATION, 1), 0);
    assert_int_equal(status, 403);

    as("c_partner", "c_partner", NULL, 2); /* a plain client never files */
    assert_int_equal(procedures_may_apply(NULL, "P", BOTH, 1), 0);
    assert_int_equal(status, 403);
    assert_string_equal(problem, "applicant-not-allowed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_party),
        cmocka_unit_test(test_party_allowed),
        cmocka_unit_test(test_may_apply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
