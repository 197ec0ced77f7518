/* mandate_covers (ABI 1.5; contract in cong/module.h): the procedure scope of the mandate a request acts under,
 * answered from the request's verified token — the gateway holds it already, so no store is asked. */
#include <string.h>

#include "gateway/http/http.h"
#include "module_api_identity.h"

int cong_api_mandate_covers(cong_req_t *r, const char *procedure_code, const char *domain)
{
    if (procedure_code == NULL && domain == NULL)
        return CONG_EINVAL;
    const cong_jwt_claims_t *c = &r->claims;
    if (r->principal.actor == NULL || c->mandate_id[0] == '\0')
        return 0; /* one's own affairs */
    if (procedure_code != NULL && cong_word_in_list(c->mandate_procedures, procedure_code, strlen(procedure_code)))
        return 0;
    if (domain != NULL && cong_word_in_list(c->mandate_domains, domain, strlen(domain)))
        return 0;
    return CONG_EPERM;
}
