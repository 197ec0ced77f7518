/*
 * push/webhook/address.h — where a webhook may be delivered: an organization names its endpoint's host, so without a
 * check a delivery could be aimed at cong's own network (a database, an admin listener, a cloud metadata service:
 * server-side request forgery). The worker checks every address libcurl is about to connect to, after DNS, so a name
 * that resolves to an internal address is refused too. Pure; any thread.
 *
 * Refused: IPv4 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.0.0/24, 192.168/16, 198.18/15, 224/4 and
 * above; IPv6 ::, ::1, fc00::/7, fe80::/10, ff00::/8, and IPv4-mapped (::ffff:0:0/96) by their IPv4 rule. Loopback
 * (127/8, ::1) is allowed when allow_loopback is set (development: the stand-in receivers).
 */
#ifndef CONG_PUSH_WEBHOOK_ADDRESS_H
#define CONG_PUSH_WEBHOOK_ADDRESS_H

#include <sys/socket.h>

/** 1 when a delivery may connect to addr (AF_INET or AF_INET6; any other family: 0). */
int webhook_address_allowed(const struct sockaddr *addr, int allow_loopback);

#endif
