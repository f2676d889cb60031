/* SPDX-License-Identifier: Apache-2.0 */
/* IP addresses and CIDR ranges. */
#include "base/netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/words.h"

static int parse_addr(const char *s, int *family, unsigned char addr[16])
{
    if (inet_pton(AF_INET, s, addr) == 1) {
        *family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, s, addr) == 1) {
        *family = AF_INET6;
        return 0;
    }
    return -1;
}

int netaddr_parse_list(const char *s, struct netaddr_list *out, char *err, size_t errlen)
{
    const char *p = s ? s : "", *w;
    size_t n;
    memset(out, 0, sizeof *out);
    while (word_next(&p, 1, &w, &n)) {
        char buf[64];
        if (n >= sizeof buf || out->n == NETADDR_MAX) {
            snprintf(err, errlen, "server.trusted_proxies: too long an entry or more "
                     "than %d entries", NETADDR_MAX);
            return -1;
        }
        memcpy(buf, w, n);
        buf[n] = '\0';
        char *slash = strchr(buf, '/');
        long prefix = -1;              /* -1: none given; -2: malformed */
        if (slash) {
            char *end;
            *slash = '\0';
            prefix = strtol(slash + 1, &end, 10);
            if (end == slash + 1 || *end || prefix < 0)
                prefix = -2;
        }
        int family;
        unsigned char addr[16] = { 0 };
        int max = 0;
        if (parse_addr(buf, &family, addr) == 0)
            max = family == AF_INET ? 32 : 128;
        if (!max || prefix < -1 || prefix > max) {
            snprintf(err, errlen, "server.trusted_proxies: '%.*s' is not an IP address "
                     "or CIDR range", (int)n, w);
            return -1;
        }
        out->e[out->n].family = family;
        memcpy(out->e[out->n].addr, addr, 16);
        out->e[out->n].prefix = prefix < 0 ? max : (int)prefix;
        out->n++;
    }
    return 0;
}

static int in_range(const unsigned char *a, const unsigned char *net, int prefix)
{
    int full = prefix / 8, rest = prefix % 8;
    if (memcmp(a, net, (size_t)full) != 0)
        return 0;
    if (!rest)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[full] & mask) == (net[full] & mask);
}

int netaddr_match(const struct netaddr_list *l, const char *ip)
{
    int family;
    unsigned char addr[16] = { 0 };
    if (!l || !l->n || parse_addr(ip, &family, addr) != 0)
        return 0;
    for (int i = 0; i < l->n; i++)
        if (l->e[i].family == family && in_range(addr, l->e[i].addr, l->e[i].prefix))
            return 1;
    return 0;
}

int netaddr_canonical(const char *ip, size_t len, char out[64])
{
    char buf[64];
    int family;
    unsigned char addr[16];
    while (len && (*ip == ' ' || *ip == '\t'))
        ip++, len--;
    while (len && (ip[len - 1] == ' ' || ip[len - 1] == '\t'))
        len--;
    if (len == 0 || len >= sizeof buf)
        return 0;
    memcpy(buf, ip, len);
    buf[len] = '\0';
    if (parse_addr(buf, &family, addr) != 0)
        return 0;
    return inet_ntop(family, addr, out, 64) != NULL;
}
