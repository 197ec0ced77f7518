/* A ticket's place as its holder is shown it (see queue.h): the SQL gives the figures of the wait estimate
 * (queue_ticket_position), the answer gives the estimate alone. Pure: unit-tested. */
#include "queue.h"

static const char *const internal_figures[] = {"counters", "measured_s", "measured_n"};

int queue_place(json_t *ticket, int min_measured, int minutes_per_ticket)
{
    if (!json_is_object(ticket))
        return -1;
    const json_t *ahead = json_object_get(ticket, "ahead");
    if (json_is_integer(ahead)) {
        int wait = queue_wait_minutes((int)json_integer_value(ahead),
                                      (int)json_integer_value(json_object_get(ticket, "counters")),
                                      json_number_value(json_object_get(ticket, "measured_s")),
                                      (int)json_integer_value(json_object_get(ticket, "measured_n")), min_measured,
                                      minutes_per_ticket);
        json_object_set_new(ticket, "estimated_wait_minutes", json_integer(wait));
    } else {
        json_object_set_new(ticket, "ahead", json_null());
        json_object_set_new(ticket, "estimated_wait_minutes", json_null());
    }
    for (size_t i = 0; i < sizeof internal_figures / sizeof internal_figures[0]; i++)
        json_object_del(ticket, internal_figures[i]);
    return 0;
}
