/* Unit tests for the client's address behind trusted proxies (gateway/http/client_address.h): only a trusted peer's
 * headers count, the rightmost untrusted hop is the client, Forwarded before X-Forwarded-For, CIDR edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cong/module.h"
#include "gateway/config/config.h"
#include "gateway/http/client_address.h"

static cong_trusted_proxies_t proxies_of(const char *const *items, size_t n)
{
    cong_strlist_t list = {(char **)items, n};
    cong_trusted_proxies_t p;
    assert_int_equal(cong_trusted_proxies_parse(&list, &p), 0);
    return p;
}

static const char *client(const cong_trusted_proxies_t *p, const char *peer, const char *fwd, const char *xff)
{
    static char out[CONG_ADDRESS_TEXT_MAX];
    cong_client_address(p, peer, fwd, fwd ? strlen(fwd) : 0, xff, xff ? strlen(xff) : 0, out);
    return out;
}

static void untrusted_peer_headers_are_ignored(void **state)
{
    (void)state;
    cong_trusted_proxies_t none = {0};
    assert_string_equal(client(&none, "203.0.113.9", NULL, "1.2.3.4"), "203.0.113.9");
    static const char *const lb[] = {"10.0.0.0/8"};
    cong_trusted_proxies_t p = proxies_of(lb, 1);
    assert_string_equal(client(&p, "203.0.113.9", "for=1.2.3.4", "1.2.3.4"), "203.0.113.9");
    cong_trusted_proxies_free(&p);
}

static void rightmost_untrusted_hop_is_the_client(void **state)
{
    (void)state;
    static const char *const lb[] = {"10.0.0.0/8", "192.168.1.7"};
    cong_trusted_proxies_t p = proxies_of(lb, 2);
    assert_string_equal(client(&p, "10.1.2.3", NULL, "198.51.100.4"), "198.51.100.4");
    /* a client that writes its own X-Forwarded-For only adds hops to the left of the one the proxy saw */
    assert_string_equal(client(&p, "10.1.2.3", NULL, "6.6.6.6, 198.51.100.4"), "198.51.100.4");
    assert_string_equal(client(&p, "10.1.2.3", NULL, "6.6.6.6, 198.51.100.4, 192.168.1.7"), "198.51.100.4");
    assert_string_equal(client(&p, "10.1.2.3", NULL, "198.51.100.4:5555"), "198.51.100.4");
    /* every hop trusted: the leftmost is all we know */
    assert_string_equal(client(&p, "10.1.2.3", NULL, "10.9.9.9, 192.168.1.7"), "10.9.9.9");
    /* garbage or "unknown": the last trusted hop */
    assert_string_equal(client(&p, "10.1.2.3", NULL, "unknown, 192.168.1.7"), "192.168.1.7");
    assert_string_equal(client(&p, "10.1.2.3", NULL, "not an address"), "10.1.2.3");
    assert_string_equal(client(&p, "10.1.2.3", NULL, ""), "10.1.2.3");
    cong_trusted_proxies_free(&p);
}

static void forwarded_header(void **state)
{
    (void)state;
    static const char *const lb[] = {"127.0.0.1", "2001:db8:ffff::/48"};
    cong_trusted_proxies_t p = proxies_of(lb, 2);
    assert_string_equal(client(&p, "127.0.0.1", "for=192.0.2.60;proto=https;by=203.0.113.43", NULL), "192.0.2.60");
    assert_string_equal(client(&p, "127.0.0.1", "for=192.0.2.60, for=\"[2001:db8:cafe::17]:4711\"", NULL),
                        "2001:db8:cafe::17");
    assert_string_equal(client(&p, "127.0.0.1", "proto=https;For=\"198.51.100.17:8080\"", NULL), "198.51.100.17");
    assert_string_equal(client(&p, "127.0.0.1", "for=_hidden", NULL), "127.0.0.1");
    assert_string_equal(client(&p, "127.0.0.1", "for=192.0.2.1, for=\"[2001:db8:ffff::1]\"", NULL), "192.0.2.1");
    /* Forwarded wins over X-Forwarded-For */
    assert_string_equal(client(&p, "127.0.0.1", "for=192.0.2.60", "198.51.100.1"), "192.0.2.60");
    cong_trusted_proxies_free(&p);
}

static void cidr_edges(void **state)
{
    (void)state;
    static const char *const lb[] = {"172.16.0.0/12", "fc00::/7", "0.0.0.0/0"};
    cong_trusted_proxies_t p = proxies_of(lb, 2);
    assert_true(cong_trusted_proxies_contain(&p, "172.16.0.0"));
    assert_true(cong_trusted_proxies_contain(&p, "172.31.255.255"));
    assert_false(cong_trusted_proxies_contain(&p, "172.32.0.0"));
    assert_false(cong_trusted_proxies_contain(&p, "172.15.255.255"));
    assert_true(cong_trusted_proxies_contain(&p, "fdff::1"));
    assert_false(cong_trusted_proxies_contain(&p, "fe80::1"));
    assert_false(cong_trusted_proxies_contain(&p, "::ffff:172.32.0.1"));
    assert_true(cong_trusted_proxies_contain(&p, "::ffff:172.20.0.1")); /* IPv4-mapped is the same address */
    assert_false(cong_trusted_proxies_contain(&p, "garbage"));
    cong_trusted_proxies_free(&p);
    cong_trusted_proxies_t all = proxies_of(lb + 2, 1);
    assert_true(cong_trusted_proxies_contain(&all, "8.8.8.8"));
    assert_false(cong_trusted_proxies_contain(&all, "2001:db8::1")); /* a v4 range never covers v6 addresses */
    cong_trusted_proxies_free(&all);
}

static void long_chains_are_cut(void **state)
{
    (void)state;
    static const char *const lb[] = {"10.0.0.0/8"};
    cong_trusted_proxies_t p = proxies_of(lb, 1);
    char chain[4096] = "198.51.100.4";
    for (int i = 0; i < 100; i++)
        strcat(chain, ", 10.0.0.1");
    assert_string_equal(client(&p, "10.1.2.3", NULL, chain), "10.0.0.1");
    cong_trusted_proxies_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(untrusted_peer_headers_are_ignored),
        cmocka_unit_test(rightmost_untrusted_hop_is_the_client),
        cmocka_unit_test(forwarded_header),
        cmocka_unit_test(cidr_edges),
        cmocka_unit_test(long_chains_are_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
