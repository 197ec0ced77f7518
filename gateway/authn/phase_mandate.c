/* Phase: mandate, between authenticate and authorize. A token that acts for someone (RFC 8693: "sub" is whose
 * affairs, "act"."sub" who acts; auth/ verified its "mandate" claim) passes only when
 *   - its mandate has not ended: withdrawn, declined, expired or used-up mandates are revoked as "mandate:<id>" on the
 *     session-revocation channel, which every worker of every instance follows (revocation.h), so the very next request
 *     after a withdrawal is refused here, from memory;
 *   - now is within the mandate's time ("until", inclusive);
 *   - the route declares the action it performs (cong_route_def_t.mandate_action) and the mandate includes it. A route
 *     that declares none is nobody's to call for someone else.
 * Refusals are 403 problems naming what is missing ("missing": "action", "action": the route's, as the modules'
 * refusals name theirs). No store is asked: the hot path costs one set lookup. The
 * procedure scope is the module's to check (mandate_covers), uses are counted in its transaction (cong_mandate_use). */
#include <jansson.h>
#include <stdio.h>
#include <time.h>

#include "common/common.h"
#include "gateway/http/http.h"
#include "token_cache.h"

static cong_phase_result_t not_active(cong_req_t *r, const char *why)
{
    cong_log(CONG_LOG_DEBUG, "mandate", "request %s: mandate %s refused (%s)", r->id, r->claims.mandate_id, why);
    cong_reply_problem(r, 403, "mandate-not-active", NULL, NULL, 0);
    return CONG_PHASE_DONE;
}

static cong_phase_result_t action_missing(cong_req_t *r, unsigned action)
{
    const char *name = cong_mandate_action_name(action);
    char vi[160], en[160];
    if (name != NULL) {
        snprintf(vi, sizeof vi, "Văn bản ủy quyền không bao gồm thao tác \"%s\".", name);
        snprintf(en, sizeof en, "The mandate does not include the action \"%s\".", name);
    } else {
        snprintf(vi, sizeof vi, "Không thể thực hiện thao tác này thay người khác.");
        snprintf(en, sizeof en, "This operation cannot be performed for someone else.");
    }
    json_t *ext = json_pack("{s:s, s:s?}", "missing", "action", "action", name); /* as modules name it (openapi) */
    cong_reply_problem_ext(r, 403, "mandate-does-not-cover", vi, en, 0, ext);
    return CONG_PHASE_DONE;
}

cong_phase_result_t cong_phase_mandate(cong_req_t *r)
{
    const cong_jwt_claims_t *c = &r->claims;
    if (r->principal.actor == NULL || r->route == NULL)
        return CONG_PHASE_NEXT; /* one's own affairs; or no route: the route phase answers 404/405 */
    int64_t now = (int64_t)time(NULL);
    char revocation_id[48];
    snprintf(revocation_id, sizeof revocation_id, "mandate:%s", c->mandate_id);
    if (cong_token_cache_session_revoked(r->worker->tokens, revocation_id, now))
        return not_active(r, "ended");
    if (c->mandate_until != 0 && now > c->mandate_until)
        return not_active(r, "past its last day");
    unsigned needed = r->route->mandate_action;
    if (needed == 0 || (c->mandate_actions & needed) == 0)
        return action_missing(r, needed);
    return CONG_PHASE_NEXT;
}
