/* push/webhook/address.c: the addresses a webhook delivery may connect to (no internal network: SSRF). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "push/webhook/address.h"

static int allowed(const char *text, int allow_loopback)
{
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
    if (inet_pton(AF_INET, text, &v4.sin_addr) == 1)
        return webhook_address_allowed((const struct sockaddr *)&v4, allow_loopback);
    assert_int_equal(inet_pton(AF_INET6, text, &v6.sin6_addr), 1);
    return webhook_address_allowed((const struct sockaddr *)&v6, allow_loopback);
}

static void public_addresses(void **state)
{
    (void)state;
    const char *ok[] = {"8.8.8.8", "1.1.1.1", "203.113.131.1", "172.15.255.255", "172.32.0.1", "100.63.0.1",
                        "100.128.0.1", "192.169.0.1", "2001:4860:4860::8888", "2402:800::1", "::ffff:8.8.8.8"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_true(allowed(ok[i], 0));
        assert_true(allowed(ok[i], 1));
    }
}

static void internal_addresses(void **state)
{
    (void)state;
    const char *no[] = {"0.0.0.0", "10.1.2.3", "100.64.0.1", "169.254.169.254", "172.16.0.1", "172.31.255.255",
                        "192.168.1.1", "192.0.0.8", "198.18.0.1", "224.0.0.1", "255.255.255.255", "::", "fc00::1",
                        "fd12::1", "fe80::1", "ff02::1", "::ffff:10.0.0.1", "::ffff:169.254.169.254"};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        assert_false(allowed(no[i], 0));
        assert_false(allowed(no[i], 1));
    }
}

static void loopback_only_when_allowed(void **state)
{
    (void)state;
    const char *lo[] = {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"};
    for (size_t i = 0; i < sizeof lo / sizeof lo[0]; i++) {
        assert_false(allowed(lo[i], 0));
        assert_true(allowed(lo[i], 1));
    }
    struct sockaddr other = {.sa_family = AF_UNIX};
    assert_false(webhook_address_allowed(&other, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(public_addresses),
        cmocka_unit_test(internal_addresses),
        cmocka_unit_test(loopback_only_when_allowed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
