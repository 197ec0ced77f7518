/* modules/queue: a ticket as its holder is shown it (place.c), and the ticket ids a path may name (number.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "modules/queue/queue.h"

#define TICKET "\"id\":\"2f6b1c9e-4a7d-4e2b-8c3f-5d0a9b8e7c6d\",\"unit\":\"HN-W-001\",\"number\":17"

/* The keys of an object, sorted and joined by spaces. */
static void keys_of(const json_t *o, char *out, size_t size)
{
    const char *names[32];
    size_t n = 0;
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)o, key, value)
    {
        (void)value;
        if (n < 32)
            names[n++] = key;
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strncat(out, names[i], size - strlen(out) - 1);
        if (i + 1 < n)
            strncat(out, " ", size - strlen(out) - 1);
    }
}

static void waiting_ticket(void **state)
{
    (void)state;
    char keys[256];
    /* 3 ahead, 2 counters, 4 minutes configured, not measured: 3 × 4 / 2 = 6 */
    json_t *t = json_loads("{" TICKET ",\"state\":\"waiting\",\"ahead\":3,\"counters\":2,\"measured_s\":0,"
                           "\"measured_n\":0}", 0, NULL);
    assert_int_equal(queue_place(t, 5, 4), 0);
    assert_int_equal(json_integer_value(json_object_get(t, "ahead")), 3);
    assert_int_equal(json_integer_value(json_object_get(t, "estimated_wait_minutes")), 6);
    keys_of(t, keys, sizeof keys);
    assert_string_equal(keys, "ahead estimated_wait_minutes id number state unit"); /* the figures dropped */
    json_decref(t);
    /* measured: 6 served in 120 s each (enough at 5), 1 counter, 2 ahead: 4 minutes whatever is configured */
    t = json_loads("{" TICKET ",\"ahead\":2,\"counters\":1,\"measured_s\":120.0,\"measured_n\":6}", 0, NULL);
    assert_int_equal(queue_place(t, 5, 30), 0);
    assert_int_equal(json_integer_value(json_object_get(t, "estimated_wait_minutes")), 4);
    json_decref(t);
    /* first in line: no wait */
    t = json_loads("{" TICKET ",\"ahead\":0,\"counters\":0,\"measured_s\":0,\"measured_n\":0}", 0, NULL);
    assert_int_equal(queue_place(t, 5, 4), 0);
    assert_int_equal(json_integer_value(json_object_get(t, "estimated_wait_minutes")), 0);
    json_decref(t);
}

static void ticket_not_waiting(void **state)
{
    (void)state;
    char keys[256];
    /* called, served, absent, cancelled: the SQL gives no place; both fields are null, never a stale estimate */
    json_t *t = json_loads("{" TICKET ",\"state\":\"called\",\"counter\":\"3\"}", 0, NULL);
    assert_int_equal(queue_place(t, 5, 4), 0);
    assert_true(json_is_null(json_object_get(t, "ahead")));
    assert_true(json_is_null(json_object_get(t, "estimated_wait_minutes")));
    keys_of(t, keys, sizeof keys);
    assert_string_equal(keys, "ahead counter estimated_wait_minutes id number state unit");
    json_decref(t);
    /* not an object */
    assert_int_equal(queue_place(NULL, 5, 4), -1);
    json_t *a = json_array();
    assert_int_equal(queue_place(a, 5, 4), -1);
    json_decref(a);
}

static void ticket_ids(void **state)
{
    (void)state;
    assert_true(queue_id_ok("2f6b1c9e-4a7d-4e2b-8c3f-5d0a9b8e7c6d"));
    assert_true(queue_id_ok("2F6B1C9E-4A7D-4E2B-8C3F-5D0A9B8E7C6D"));
    assert_false(queue_id_ok(NULL));
    assert_false(queue_id_ok(""));
    assert_false(queue_id_ok("not-a-uuid"));
    assert_false(queue_id_ok("2f6b1c9e-4a7d-4e2b-8c3f-5d0a9b8e7c6"));   /* 35 */
    assert_false(queue_id_ok("2f6b1c9e-4a7d-4e2b-8c3f-5d0a9b8e7c6d0")); /* 37 */
    assert_false(queue_id_ok("2f6b1c9e4a7d-4e2b-8c3f-5d0a9b8e7c6d-"));  /* hyphens elsewhere */
    assert_false(queue_id_ok("2f6b1c9e-4a7d-4e2b-8c3f-5d0a9b8e7c6g"));  /* not hex */
    assert_false(queue_id_ok("2f6b1c9e-4a7d-4e2b-8c3f-5d0a9b8e7c6-"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(waiting_ticket),
        cmocka_unit_test(ticket_not_waiting),
        cmocka_unit_test(ticket_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
