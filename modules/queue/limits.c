/* The per-citizen limits, as iHanoi's numbers through VNeID (see queue.h). The same rule is applied again in
 * queue_ticket_take (migrations/0001_queue.sql) under a lock on the citizen: this one spares a number when the answer
 * is known before taking it. */
#include "queue.h"

enum queue_limit queue_limit_check(int today, int in_domain, int max_per_day, int max_per_domain)
{
    if (today >= max_per_day)
        return QUEUE_LIMIT_DAY;
    if (in_domain >= max_per_domain)
        return QUEUE_LIMIT_DOMAIN;
    return QUEUE_LIMIT_OK;
}

const char *queue_limit_name(enum queue_limit limit)
{
    switch (limit) {
    case QUEUE_LIMIT_DAY:
        return "per_day";
    case QUEUE_LIMIT_DOMAIN:
        return "per_domain";
    default:
        return NULL;
    }
}
