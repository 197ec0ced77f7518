/* modules/appointments/schedule.c and slots.c: a schedule read from its JSON (weekdays defaulting to Monday..Friday,
 * periods sorted and disjoint) and the slot grid generated from it — listed weekdays only, no closed day, each period
 * every slot_minutes while the whole slot fits, nothing at or before `not_before`, a bound on the count. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "modules/appointments/appointments.h"

#define MONDAY_2026_12_07 (1796515200LL / 86400 + 1)
#define HANOI_MIDNIGHT(day) ((day) * 86400LL - 7 * 3600)

static int parse(const char *text, appt_schedule_t *s, const char **field, const char **code)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    int rc = appt_schedule_parse(j, s, field, code);
    json_decref(j);
    return rc;
}

static void schedule_json(void **state)
{
    (void)state;
    appt_schedule_t s;
    const char *field = NULL, *code = NULL;
    assert_int_equal(parse("{\"periods\":[{\"start\":\"08:00\",\"end\":\"11:30\"},{\"start\":\"13:30\",\"end\":\"17:00\"}],"
                           "\"slot_minutes\":30,\"capacity\":5}", &s, &field, &code), 0);
    assert_int_equal(s.weekdays, 0x3e); /* no weekdays given: Monday..Friday */
    assert_int_equal(s.nperiods, 2);
    assert_int_equal(s.periods[1].start_min, 810);
    assert_int_equal(s.periods[1].end_min, 1020);
    assert_int_equal(parse("{\"weekdays\":[6,7],\"periods\":[{\"start\":\"00:00\",\"end\":\"24:00\"}],"
                           "\"slot_minutes\":480,\"capacity\":1}", &s, &field, &code), 0);
    assert_int_equal(s.weekdays, 0xc0);
    struct { const char *json, *field; } bad[] = {
        {"{\"weekdays\":[0],\"periods\":[{\"start\":\"08:00\",\"end\":\"09:00\"}],\"slot_minutes\":30,\"capacity\":1}", "weekdays"},
        {"{\"weekdays\":[1,1],\"periods\":[{\"start\":\"08:00\",\"end\":\"09:00\"}],\"slot_minutes\":30,\"capacity\":1}", "weekdays"},
        {"{\"weekdays\":[],\"periods\":[{\"start\":\"08:00\",\"end\":\"09:00\"}],\"slot_minutes\":30,\"capacity\":1}", "weekdays"},
        {"{\"periods\":[{\"start\":\"08:00\",\"end\":\"09:00\"}],\"slot_minutes\":4,\"capacity\":1}", "slot_minutes"},
        {"{\"periods\":[{\"start\":\"08:00\",\"end\":\"09:00\"}],\"slot_minutes\":30,\"capacity\":0}", "capacity"},
        {"{\"periods\":[{\"start\":\"09:00\",\"end\":\"08:00\"}],\"slot_minutes\":30,\"capacity\":1}", "periods"},
        {"{\"periods\":[{\"start\":\"08:00\",\"end\":\"10:00\"},{\"start\":\"09:00\",\"end\":\"11:00\"}],"
         "\"slot_minutes\":30,\"capacity\":1}", "periods"},
        {"{\"periods\":[{\"start\":\"08:00\",\"end\":\"08:20\"}],\"slot_minutes\":30,\"capacity\":1}", "periods"},
        {"{\"periods\":[],\"slot_minutes\":30,\"capacity\":1}", "periods"},
        {"{\"slot_minutes\":30,\"capacity\":1}", "periods"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        field = NULL;
        assert_int_equal(parse(bad[i].json, &s, &field, &code), -1);
        assert_string_equal(field, bad[i].field);
    }
}

static void grid(void **state)
{
    (void)state;
    appt_schedule_t s = {.weekdays = 0x3e, .periods = {{480, 690}, {810, 1020}}, .nperiods = 2, .slot_minutes = 30,
                         .capacity = 5};
    appt_slot_t out[64];
    /* Monday: 08:00..11:00 (7 slots, 11:30 would end after the period) and 13:30..16:30 (7) */
    int n = appt_slots_generate(&s, MONDAY_2026_12_07, MONDAY_2026_12_07, NULL, 0, 0, out, 64);
    assert_int_equal(n, 14);
    long long midnight = HANOI_MIDNIGHT(MONDAY_2026_12_07);
    assert_int_equal(out[0].starts_at, midnight + 8 * 3600);
    assert_int_equal(out[6].starts_at, midnight + 11 * 3600);
    assert_int_equal(out[7].starts_at, midnight + 13 * 3600 + 1800);
    assert_int_equal(out[13].starts_at, midnight + 16 * 3600 + 1800);
    char iso[APPT_ISO_SIZE];
    appt_iso_format(out[0].starts_at, iso);
    assert_string_equal(iso, "2026-12-07T08:00:00+07:00");
    /* 45-minute slots: 08:00, 08:45, 09:30, 10:15 (11:00 would end at 11:45) */
    s.slot_minutes = 45;
    s.nperiods = 1;
    assert_int_equal(appt_slots_generate(&s, MONDAY_2026_12_07, MONDAY_2026_12_07, NULL, 0, 0, out, 64), 4);
    assert_int_equal(out[3].starts_at, midnight + 10 * 3600 + 15 * 60);
}

static void closed_days(void **state)
{
    (void)state;
    appt_schedule_t s = {.weekdays = 0x3e, .periods = {{480, 540}}, .nperiods = 1, .slot_minutes = 60, .capacity = 1};
    appt_slot_t out[64];
    /* Monday 7 .. Sunday 13: five working days, one of them (Wednesday) a holiday; the weekend not listed */
    long long holiday = MONDAY_2026_12_07 + 2;
    int n = appt_slots_generate(&s, MONDAY_2026_12_07, MONDAY_2026_12_07 + 6, &holiday, 1, 0, out, 64);
    assert_int_equal(n, 4);
    for (int i = 0; i < n; i++) {
        long long day = appt_day_of((time_t)out[i].starts_at);
        assert_true(day != holiday);
        assert_true(appt_weekday(day) <= 5);
    }
    /* a schedule that lists Saturday and Sunday opens them */
    s.weekdays = 0xfe;
    assert_int_equal(appt_slots_generate(&s, MONDAY_2026_12_07, MONDAY_2026_12_07 + 6, &holiday, 1, 0, out, 64), 6);
}

static void not_before_and_bound(void **state)
{
    (void)state;
    appt_schedule_t s = {.weekdays = 0xfe, .periods = {{0, 1440}}, .nperiods = 1, .slot_minutes = 30, .capacity = 1};
    appt_slot_t out[64];
    long long midnight = HANOI_MIDNIGHT(MONDAY_2026_12_07);
    /* at 10:00 exactly, 10:00 has begun: 10:30 .. 23:30 remain */
    int n = appt_slots_generate(&s, MONDAY_2026_12_07, MONDAY_2026_12_07, NULL, 0, midnight + 10 * 3600, out, 64);
    assert_int_equal(n, 27);
    assert_int_equal(out[0].starts_at, midnight + 10 * 3600 + 1800);
    assert_int_equal(appt_slots_generate(&s, MONDAY_2026_12_07, MONDAY_2026_12_07, NULL, 0, 0, out, 48), 48);
    assert_int_equal(appt_slots_generate(&s, MONDAY_2026_12_07, MONDAY_2026_12_07, NULL, 0, 0, out, 47), -1);
    assert_int_equal(appt_slots_generate(&s, MONDAY_2026_12_07 + 1, MONDAY_2026_12_07, NULL, 0, 0, out, 64), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(schedule_json),
        cmocka_unit_test(grid),
        cmocka_unit_test(closed_days),
        cmocka_unit_test(not_before_and_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
