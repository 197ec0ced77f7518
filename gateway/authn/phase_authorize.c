/* Phase 5: authorize. The matched route's declared needs: a principal (401 unauthorized), every required scope (403
 * insufficient-scope), the minimum level of assurance (401 step-up-required, RFC 9470 challenge; for level 2 with
 * max_age, since a level-2 login only counts for auth.step_up_max_age_s — see phase_authenticate.c). Unmatched paths
 * go on to the route phase, which answers 400/404/405. */
#include <stdio.h>
#include <string.h>

#include "gateway/http/http.h"

static int has_scope(const char *granted, const char *scope)
{
    size_t n = strlen(scope);
    for (const char *p = granted; (p = strstr(p, scope)) != NULL; p += n) {
        int starts = p == granted || p[-1] == ' ';
        int ends = p[n] == '\0' || p[n] == ' ';
        if (starts && ends)
            return 1;
    }
    return 0;
}

static cong_phase_result_t step_up(cong_req_t *r, int level)
{
    int max_age = r->worker->gateway->config->auth.step_up_max_age_s;
    char challenge[160];
    int n = snprintf(challenge, sizeof challenge,
                     "Bearer realm=\"cong\", error=\"insufficient_user_authentication\", acr_values=\"%d\"", level);
    if (level >= 2)
        n += snprintf(challenge + n, sizeof challenge - (size_t)n, ", max_age=\"%d\"", max_age);
    cong_reply_add_header(r, H2O_STRLIT("www-authenticate"), challenge, (size_t)n);
    if (r->claims.loa >= level) { /* the level was reached, too long ago */
        char vi[160], en[160];
        snprintf(vi, sizeof vi, "Lần đăng nhập VNeID mức %d đã quá %d giây; vui lòng xác thực lại.", level, max_age);
        snprintf(en, sizeof en, "The VNeID level %d login is older than %d s; authenticate again.", level, max_age);
        cong_reply_problem(r, 401, "step-up-required", vi, en, 0);
    } else {
        cong_reply_problem(r, 401, "step-up-required", NULL, NULL, 0);
    }
    return CONG_PHASE_DONE;
}

cong_phase_result_t cong_phase_authorize(cong_req_t *r)
{
    const cong_route_entry_t *route = r->route;
    if (route == NULL || r->admin_listener) /* the admin listener's own address is its authorization (policy) */
        return CONG_PHASE_NEXT;
    const cong_principal_t *p = &r->principal;
    if ((route->auth == CONG_AUTH_REQUIRED || route->min_loa > 0) && !p->authenticated) {
        static const char challenge[] = "Bearer realm=\"cong\"";
        cong_reply_add_header(r, H2O_STRLIT("www-authenticate"), challenge, sizeof challenge - 1);
        cong_reply_problem(r, 401, "unauthorized", NULL, NULL, 0);
        return CONG_PHASE_DONE;
    }
    for (size_t i = 0; i < route->scope_count; i++) {
        if (!has_scope(p->scopes, route->scope_list[i])) {
            char challenge[512];
            int n = snprintf(challenge, sizeof challenge, "Bearer realm=\"cong\", error=\"insufficient_scope\", scope=\"%s\"",
                             route->scopes);
            if (n > 0 && (size_t)n < sizeof challenge)
                cong_reply_add_header(r, H2O_STRLIT("www-authenticate"), challenge, (size_t)n);
            cong_reply_problem(r, 403, "insufficient-scope", NULL, NULL, 0);
            return CONG_PHASE_DONE;
        }
    }
    if (p->loa < route->min_loa)
        return step_up(r, route->min_loa);
    return CONG_PHASE_NEXT;
}
