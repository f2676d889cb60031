/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IP addresses and CIDR ranges, for `server.trusted_proxies`: the peers whose
 * X-Forwarded-For header names the real client.
 */
#ifndef BASE_NETADDR_H
#define BASE_NETADDR_H

#include <stddef.h>

#define NETADDR_MAX 32

struct netaddr_list {
    int n;
    struct {
        int family;                /* AF_INET or AF_INET6 */
        unsigned char addr[16];
        int prefix;                /* bits */
    } e[NETADDR_MAX];
};

/* "10.0.0.0/8, 127.0.0.1 ::1" (commas and/or spaces). 0, or -1 with err set. */
int netaddr_parse_list(const char *s, struct netaddr_list *out, char *err, size_t errlen);
/* 1 when the textual address `ip` lies in one of the ranges. */
int netaddr_match(const struct netaddr_list *l, const char *ip);
/* 1 when `ip` is a valid IPv4 or IPv6 address; its canonical text goes to out[64]. */
int netaddr_canonical(const char *ip, size_t len, char out[64]);

#endif
