/* Unit tests for push/event.c: msgpack event encoding round trips and refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cong/module.h"
#include "common/msgpack_bounds.h"
#include "push/push.h"

static void round_trip(void **state)
{
    (void)state;
    json_t *payload = json_pack("{s:s, s:i, s:f, s:b, s:n, s:[i,s,{s:s}]}", "dossier", "HN-2026-0001234", "n", -42,
                                "x", 1.5, "ok", 1, "none", "list", 1, "hai", "k", "Đăng ký khai sinh");
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(cong_event_encode("dossier.created", 1700000000000, "req-1", payload, &buf, &len), 0);
    char topic[80];
    json_t *back = cong_event_decode(buf, len, topic, sizeof topic);
    assert_non_null(back);
    assert_string_equal(topic, "dossier.created");
    assert_true(json_equal(payload, back));
    json_decref(back);
    assert_null(cong_event_decode(buf, len - 1, NULL, 0)); /* truncated */
    free(buf);
    json_decref(payload);
}

static void refusals(void **state)
{
    (void)state;
    json_t *p = json_object();
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(cong_event_encode("Bad Topic", 0, "r", p, &buf, &len), CONG_EINVAL);
    assert_int_equal(cong_event_encode("", 0, "r", p, &buf, &len), CONG_EINVAL);
    assert_int_equal(cong_event_encode("a/b", 0, "r", p, &buf, &len), CONG_EINVAL);
    json_t *deep = json_array(), *cur = deep;
    for (int i = 0; i < 40; i++) {
        json_t *next = json_array();
        json_array_append_new(cur, next);
        cur = next;
    }
    assert_int_equal(cong_event_encode("deep", 0, "r", deep, &buf, &len), CONG_EINVAL);
    json_decref(deep);
    json_decref(p);
    assert_null(cong_event_decode("\xc1", 1, NULL, 0));
    assert_null(cong_event_decode("", 0, NULL, 0));
}

/* Found by fuzz_event: headers that declare huge containers must be refused before msgpack-c allocates for them. */
static void bounds(void **state)
{
    (void)state;
    assert_true(cong_msgpack_bounded("\x93\x01\xc0\xc3", 4));                 /* [1, nil, true] */
    assert_true(cong_msgpack_bounded("\x81\xa1k\xa1v", 5));                    /* {"k": "v"} */
    assert_false(cong_msgpack_bounded("\xdd\xa5\x74\xef\x70\x01", 6));        /* array of 2.7e9 elements */
    assert_false(cong_msgpack_bounded("\xdf\xff\xff\xff\xff", 5));             /* map of 4e9 pairs */
    assert_false(cong_msgpack_bounded("\xdb\xff\xff\xff\xff", 5));             /* str longer than the input */
    assert_false(cong_msgpack_bounded("\x93\x01\x02", 3));                     /* truncated */
    assert_false(cong_msgpack_bounded("\x01\x02", 2));                          /* two objects */
    assert_false(cong_msgpack_bounded("\xc1", 1));                              /* never-used byte */
    char deep[40];
    memset(deep, 0x91, sizeof deep - 1);
    deep[sizeof deep - 1] = (char)0xc0;
    assert_false(cong_msgpack_bounded(deep, sizeof deep)); /* nested past the limit */
    assert_null(cong_event_decode("\x85\xa1\x76\xdd\xa5\x74\xef\x70", 8, NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(round_trip), cmocka_unit_test(refusals),
                                       cmocka_unit_test(bounds)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
