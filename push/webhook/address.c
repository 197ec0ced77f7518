/* push/webhook/address.c — the addresses a webhook delivery may connect to (address.h). */
#include "address.h"

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

static int v4_allowed(uint32_t a, int allow_loopback)
{
    unsigned b0 = a >> 24, b1 = (a >> 16) & 0xff, b2 = (a >> 8) & 0xff;
    if (b0 == 127)
        return allow_loopback;
    return !(b0 == 0 || b0 == 10 || (b0 == 100 && (b1 & 0xc0) == 64) || (b0 == 169 && b1 == 254) ||
             (b0 == 172 && (b1 & 0xf0) == 16) || (b0 == 192 && b1 == 0 && b2 == 0) || (b0 == 192 && b1 == 168) ||
             (b0 == 198 && (b1 & 0xfe) == 18) || b0 >= 224);
}

int webhook_address_allowed(const struct sockaddr *addr, int allow_loopback)
{
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
        return v4_allowed(ntohl(in->sin_addr.s_addr), allow_loopback);
    }
    if (addr->sa_family != AF_INET6)
        return 0;
    const unsigned char *b = ((const struct sockaddr_in6 *)addr)->sin6_addr.s6_addr;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char zeros[15] = {0};
    if (memcmp(b, mapped, sizeof mapped) == 0)
        return v4_allowed((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15], allow_loopback);
    if (memcmp(b, zeros, sizeof zeros) == 0)
        return b[15] == 1 ? allow_loopback : 0; /* ::1 loopback, :: unspecified */
    return !((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || b[0] == 0xff);
}
