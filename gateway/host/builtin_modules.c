#include "builtin_modules.h"
#include "gateway/upstream/upstream.h"

const cong_builtin_module_t cong_builtin_modules[] = {
    {"identity", cong_identity_onload},
    {"audit", cong_audit_onload},
    {"mandates", cong_mandates_onload},
    {"ping", cong_ping_onload},
    {"procedures", cong_procedures_onload},
    {"payments", cong_payments_onload},
    {"queue", cong_queue_onload},
    {"feedback", cong_feedback_onload},
    {"appointments", cong_appointments_onload},
    {"push", cong_push_onload}, /* after procedures: its migration puts a trigger on push_outbox */
    /* after identity (its migration adds api_clients.organization_id, which identity reads), procedures and push (its
       webhooks' migration puts a trigger on push_outbox and a text in push_templates) */
    {"orgs", cong_orgs_onload},
    {"partners", cong_partner_routes_onload}, /* the configured partner routes (gateway/upstream/) */
};

const size_t cong_builtin_module_count = sizeof(cong_builtin_modules) / sizeof(cong_builtin_modules[0]);
