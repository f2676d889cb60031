/* SPDX-License-Identifier: Apache-2.0 */
/* Listening sockets, bound before the server accepts anything (listen.h). */
#include "server/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The backlog libmicrohttpd was given before the server bound its own sockets. */
#define LISTEN_BACKLOG 1024

/* "HOST:PORT" into *ss; -1 when it is not one (numeric addresses and "localhost"). */
static int parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[128];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof host)
        return -1;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535)
        return -1;
    memset(ss, 0, sizeof *ss);
    if (host[0] == '[') {
        size_t hl = strlen(host);
        if (hl < 3 || host[hl - 1] != ']')
            return -1;
        host[hl - 1] = '\0';
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
            return -1;
        *len = sizeof *s6;
        return 0;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
        return -1;
    *len = sizeof *s4;
    return 0;
}

ts_err listen_open(const char *addr, const char *key, int *fd, unsigned *port,
                   char *err, size_t errlen)
{
    struct sockaddr_storage ss, bound;
    socklen_t sslen, blen = sizeof bound;
    int s, one = 1;

    *fd = -1;
    *port = 0;
    if (parse_addr(addr, &ss, &sslen)) {
        snprintf(err, errlen, "cannot parse the listen address '%s' (want HOST:PORT); "
                 "the address is %s", addr, key);
        return TS_EINVAL;
    }
    s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        snprintf(err, errlen, "cannot listen on %s: %s; the address is %s", addr,
                 strerror(errno), key);
        return TS_EINVAL;
    }
    /* as libmicrohttpd binds: SO_REUSEADDR, so TIME_WAIT alone is not "in use" */
    if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        (ss.ss_family == AF_INET6 &&
         setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one)))
        goto fail;
    if (bind(s, (struct sockaddr *)&ss, sslen) != 0) {
        if (errno == EADDRINUSE) {
            snprintf(err, errlen, "cannot listen on %s: the address is already in use "
                     "(another tessera?); choose another with %s", addr,
                     !strcmp(key, "server.listen")
                         ? "--listen HOST:PORT or TESSERA_SERVER_LISTEN (make run "
                           "LISTEN=HOST:PORT)"
                         : "--set tls.plain_listen=HOST:PORT");
            close(s);
            return TS_ECONFLICT;
        }
        goto fail;
    }
    if (listen(s, LISTEN_BACKLOG) != 0 ||
        getsockname(s, (struct sockaddr *)&bound, &blen) != 0)
        goto fail;
    *port = ntohs(bound.ss_family == AF_INET6
                      ? ((struct sockaddr_in6 *)&bound)->sin6_port
                      : ((struct sockaddr_in *)&bound)->sin_port);
    *fd = s;
    return TS_OK;
fail:
    snprintf(err, errlen, "cannot listen on %s: %s; the address is %s", addr,
             strerror(errno), key);
    close(s);
    return TS_EINVAL;
}
