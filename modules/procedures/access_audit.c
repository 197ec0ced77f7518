/*
 * What a grantee saw of the grantor's affairs, in the audit log (gateway migration 0005, cong_audit): a dossier, its
 * result. The record is written before the answer leaves, so nothing is shown under a mandate that the grantor's access
 * log ("who used my data") does not hold. Writes (submit, supplement, withdraw) are recorded by cong_mandate_use in
 * their own transaction (migration 0009), officials' actions by dossier_transition.
 */
#include <jansson.h>
#include <string.h>

#include "procedures.h"

typedef struct audit_call {
    void (*then)(cong_req_t *req, void *udata);
    void *udata;
} audit_call_t;

static void on_recorded(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    audit_call_t *call = udata;
    if (!procedures_one_row(req, err, res))
        return;
    call->then(req, call->udata);
}

void procedures_audit_acting(cong_req_t *req, const char *action, const char *object,
                             void (*then)(cong_req_t *req, void *udata), void *udata)
{
    const cong_api_t *api = procedures_api;
    audit_call_t *call = api->req_alloc(req, sizeof *call);
    if (call == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    call->then = then;
    call->udata = udata;
    const char *params[] = {procedures_actor(req), procedures_applicant(req), action, object, api->req_id(req),
                            procedures_mandate(req)};
    procedures_query(req, "SELECT cong_audit('procedures', $1, 'citizen', $2, $3, $4, $5, '{}'::jsonb, $6::uuid)", 6,
                     params, on_recorded, call);
}

void procedures_reply_not_covered(cong_req_t *req, const char *procedure_code)
{
    procedures_api->reply_problem_ext(req, 403, "mandate-does-not-cover",
                                      "Ủy quyền không bao gồm thủ tục này.",
                                      "The mandate does not include this procedure.",
                                      json_pack("{s:s, s:s}", "missing", "procedure", "procedure_code",
                                                procedure_code));
}
