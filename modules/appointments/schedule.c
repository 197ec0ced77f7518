/* A unit's schedule for a domain as its JSON says it (see appointments.h): what an official PUTs (desk.c) and what
 * GET slots reads back from PostgreSQL (availability.c). The same checks both ways, so that the grid slots.c
 * generates is always one the SQL's appointment_slot_offered accepts. */
#include <jansson.h>
#include <string.h>

#include "appointments.h"

static int refuse(const char **field, const char **code, const char *f, const char *c)
{
    *field = f;
    *code = c;
    return -1;
}

static int read_weekdays(const json_t *list, unsigned *bits)
{
    size_t i;
    const json_t *v;
    *bits = 0;
    if (list == NULL) {
        *bits = 0x3e; /* Monday..Friday: weekends only when the schedule lists them */
        return 0;
    }
    if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > 7)
        return -1;
    json_array_foreach(list, i, v) {
        json_int_t d = json_is_integer(v) ? json_integer_value(v) : 0;
        if (d < 1 || d > 7 || (*bits & (1u << d)))
            return -1;
        *bits |= 1u << d;
    }
    return 0;
}

static int read_periods(const json_t *list, appt_schedule_t *s)
{
    size_t i;
    const json_t *v;
    if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > APPT_PERIODS_MAX)
        return -1;
    s->nperiods = 0;
    json_array_foreach(list, i, v) {
        appt_period_t *p = &s->periods[s->nperiods];
        if (!json_is_object(v) ||
            appt_hhmm_parse(json_string_value(json_object_get(v, "start")), &p->start_min) != 0 ||
            appt_hhmm_parse(json_string_value(json_object_get(v, "end")), &p->end_min) != 0 ||
            p->end_min <= p->start_min)
            return -1;
        if (s->nperiods > 0 && p->start_min < s->periods[s->nperiods - 1].end_min)
            return -1; /* sorted and disjoint */
        s->nperiods++;
    }
    return 0;
}

int appt_schedule_parse(const json_t *j, appt_schedule_t *s, const char **field, const char **code)
{
    memset(s, 0, sizeof *s);
    if (!json_is_object(j))
        return refuse(field, code, "", "not-an-object");
    if (read_weekdays(json_object_get(j, "weekdays"), &s->weekdays) != 0)
        return refuse(field, code, "weekdays", "invalid");
    const json_t *slot = json_object_get(j, "slot_minutes"), *capacity = json_object_get(j, "capacity");
    if (!json_is_integer(slot) || json_integer_value(slot) < 5 || json_integer_value(slot) > 480)
        return refuse(field, code, "slot_minutes", "out-of-range");
    s->slot_minutes = (int)json_integer_value(slot);
    if (!json_is_integer(capacity) || json_integer_value(capacity) < 1 || json_integer_value(capacity) > 10000)
        return refuse(field, code, "capacity", "out-of-range");
    s->capacity = (int)json_integer_value(capacity);
    if (read_periods(json_object_get(j, "periods"), s) != 0)
        return refuse(field, code, "periods", "invalid");
    for (int i = 0; i < s->nperiods; i++)
        if (s->periods[i].end_min - s->periods[i].start_min < s->slot_minutes)
            return refuse(field, code, "periods", "shorter-than-a-slot");
    return 0;
}
