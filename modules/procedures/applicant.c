/*
 * modules/procedures/applicant.c — who may have dossiers, and who may apply for a procedure (issue 18).
 *
 * The applicant's routes (the dossiers, uploads and the wallet) are registered with min_loa 0, so that an
 * organization's token, which carries no level, reaches them; the level the gateway checked before is checked here
 * for everyone else. Who stands behind a request, from the principal:
 *   - an organization: its subject starts with "org:" (ORGS_SUBJECT_PREFIX, modules/orgs/orgs.h) — decided by the
 *     subject, not by client_id, so that an organization's API client (client_id set, level 0) and a person acting
 *     for the organization under a mandate (token exchange: actor set, the actor's level) are the same applicant;
 *   - a plain API client: client_id set and any other subject ("c_..."): it has no affairs of its own here, and no
 *     step-up could give it any: 403 applicant-not-allowed;
 *   - a citizen: everyone else; at least level 1, as the routes required (401 step-up-required, RFC 9470).
 * On submission the procedure decides (procedures.applicants, migrations 0014): an organization needs one open to
 * organizations, a citizen one open to citizens (else 403 applicant-not-allowed naming the procedure and who may
 * apply; stepping up would not help, so this comes first); then the procedure's min_loa, for the person behind the
 * request — the citizen, or whoever acts for the organization. An organization's own client is no person and has no
 * level: the procedure's level is not asked of it.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "catalog_index.h"
#include "procedures.h"

#define ORG_SUBJECT_PREFIX "org:" /* modules/orgs/orgs.h ORGS_SUBJECT_PREFIX: a module includes no other's header */

procedures_party_t procedures_party(cong_req_t *req)
{
    const cong_principal_t *p = procedures_api->req_principal(req);
    if (strncmp(p->subject, ORG_SUBJECT_PREFIX, sizeof ORG_SUBJECT_PREFIX - 1) == 0)
        return PROCEDURES_PARTY_ORGANIZATION;
    return p->client_id != NULL && p->client_id[0] != '\0' ? PROCEDURES_PARTY_CLIENT : PROCEDURES_PARTY_CITIZEN;
}

void procedures_reply_step_up(cong_req_t *req, int level)
{
    char challenge[128];
    snprintf(challenge, sizeof challenge,
             "Bearer realm=\"cong\", error=\"insufficient_user_authentication\", acr_values=\"%d\"", level);
    procedures_api->reply_header(req, "www-authenticate", challenge);
    procedures_api->reply_problem(req, 401, "step-up-required", NULL, NULL);
}

static void refuse_client(cong_req_t *req)
{
    procedures_api->reply_problem(req, 403, "applicant-not-allowed",
                                  "Ứng dụng này không thuộc tổ chức nào nên không có hồ sơ; ứng dụng của một tổ chức "
                                  "nộp và xem hồ sơ của tổ chức đó.",
                                  "This API client belongs to no organization, so it has no dossiers; an "
                                  "organization's client files and reads that organization's dossiers.");
}

int procedures_party_allowed(cong_req_t *req)
{
    switch (procedures_party(req)) {
    case PROCEDURES_PARTY_ORGANIZATION:
        return 1;
    case PROCEDURES_PARTY_CLIENT:
        refuse_client(req);
        return 0;
    case PROCEDURES_PARTY_CITIZEN:
    default:
        if (procedures_api->req_principal(req)->loa >= 1)
            return 1;
        procedures_reply_step_up(req, 1);
        return 0;
    }
}

static void refuse_applicant(cong_req_t *req, const char *procedure_code, int applicants, int organization)
{
    const char *who = applicants == CATALOG_APPLICANT_ORGANIZATION ? "organization" : "citizen";
    json_t *ext = json_pack("{s:s, s:s}", "procedure_code", procedure_code, "applicants", who);
    if (organization)
        procedures_api->reply_problem_ext(req, 403, "applicant-not-allowed",
                                          "Thủ tục này chỉ dành cho công dân, tổ chức không nộp được.",
                                          "This procedure is for citizens only; an organization cannot apply.", ext);
    else
        procedures_api->reply_problem_ext(req, 403, "applicant-not-allowed",
                                          "Thủ tục này chỉ dành cho tổ chức; hãy nộp với tư cách tổ chức.",
                                          "This procedure is for organizations only; apply as an organization.", ext);
}

int procedures_may_apply(cong_req_t *req, const char *procedure_code, int applicants, int min_loa)
{
    const cong_principal_t *p = procedures_api->req_principal(req);
    procedures_party_t party = procedures_party(req);
    int organization = party == PROCEDURES_PARTY_ORGANIZATION;
    int needed = organization ? CATALOG_APPLICANT_ORGANIZATION : CATALOG_APPLICANT_CITIZEN;
    if (party == PROCEDURES_PARTY_CLIENT) { /* procedures_party_allowed refused it already; never file for it */
        refuse_client(req);
        return 0;
    }
    if ((applicants & needed) == 0) {
        refuse_applicant(req, procedure_code, applicants, organization);
        return 0;
    }
    int a_person = !organization || (p->actor != NULL && p->actor[0] != '\0');
    if (a_person && p->loa < min_loa) {
        procedures_reply_step_up(req, min_loa);
        return 0;
    }
    return 1;
}
