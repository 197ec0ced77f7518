/* Fuzz target: the client address behind trusted proxies — Forwarded and X-Forwarded-For are written by whoever sits
 * on the path. The input is split at its first NUL into the two headers. The answer must always be an address (the
 * peer's or one that parses), and never one of the trusted ranges unless every hop was trusted. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gateway/config/config.h"
#include "gateway/http/client_address.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int parses(const char *text)
{
    unsigned char b[16];
    return inet_pton(AF_INET, text, b) == 1 || inet_pton(AF_INET6, text, b) == 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const items[] = {"10.0.0.0/8", "2001:db8::/32", "127.0.0.1"};
    cong_strlist_t list = {(char **)items, 3};
    cong_trusted_proxies_t proxies;
    if (cong_trusted_proxies_parse(&list, &proxies) != 0)
        __builtin_trap();
    const char *text = (const char *)data;
    const char *nul = memchr(text, 0, size);
    size_t first = nul ? (size_t)(nul - text) : size;
    const char *second = nul ? nul + 1 : NULL;
    size_t second_len = nul ? size - first - 1 : 0;
    char out[CONG_ADDRESS_TEXT_MAX];
    cong_client_address(&proxies, "10.1.1.1", text, first, second, second_len, out);
    if (!parses(out))
        __builtin_trap();
    cong_client_address(&proxies, "10.1.1.1", NULL, 0, text, first, out);
    if (!parses(out))
        __builtin_trap();
    cong_client_address(&proxies, "198.51.100.1", text, first, second, second_len, out);
    if (strcmp(out, "198.51.100.1") != 0) /* an untrusted peer's headers never count */
        __builtin_trap();
    cong_trusted_proxies_free(&proxies);
    return 0;
}
