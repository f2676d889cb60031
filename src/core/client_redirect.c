/* SPDX-License-Identifier: Apache-2.0 */
/* Redirect URIs of clients: what may be registered, and the exact match against the
 * registered list (RFC 6749 3.1.2, RFC 9700 2.1, RFC 8252 7.3). */
#include <string.h>

#include "core/client.h"
#include "base/words.h"

#define MAX_URI 1000

/* Length of the host after "scheme://" in p (up to '/', '?', '#' or the end, a port
 * included), or -1 when it holds anything but a host name, an IP literal and a port
 * (user info, ';' ...): an origin made of it goes into a CSP header unquoted. */
static long authority_len(const char *p, size_t n)
{
    size_t i = 0;
    for (; i < n && p[i] != '/' && p[i] != '?' && p[i] != '#'; i++) {
        char ch = p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == ':' ||
              ch == '[' || ch == ']'))
            return -1;
    }
    return (long)i;
}

/* 1 when the authority a[0..n) is host `h` with an optional :port (1-5 digits). */
static int host_is(const char *a, size_t n, const char *h)
{
    size_t hl = strlen(h);
    if (n < hl || memcmp(a, h, hl) != 0)
        return 0;
    if (n == hl)
        return 1;
    if (a[hl] != ':' || n - hl - 1 < 1 || n - hl - 1 > 5)
        return 0;
    for (size_t i = hl + 1; i < n; i++)
        if (a[i] < '0' || a[i] > '9')
            return 0;
    return 1;
}

int client_redirect_uri_ok(const char *uri, size_t n)
{
    if (n < 1 || n > MAX_URI)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)uri[i];
        if (ch < 0x21 || ch > 0x7e || ch == '#' || ch == '\\' || ch == ',')
            return 0;
    }
    if (n > 8 && !memcmp(uri, "https://", 8)) {
        long al = authority_len(uri + 8, n - 8);
        return al > 0 && uri[8] != ':';
    }
    if (n > 7 && !memcmp(uri, "http://", 7)) {
        long al = authority_len(uri + 7, n - 7);
        return al > 0 && (host_is(uri + 7, (size_t)al, "127.0.0.1") ||
                          host_is(uri + 7, (size_t)al, "[::1]") ||
                          host_is(uri + 7, (size_t)al, "localhost"));
    }
    return 0;
}

/* The loopback prefix of an http URI on 127.0.0.1 or [::1] ("http://127.0.0.1"),
 * its length in *plen, and in *rest where the part after the port starts; NULL for
 * any other URI. */
static const char *loopback(const char *uri, size_t *plen, const char **rest)
{
    static const char *const hosts[] = { "http://127.0.0.1", "http://[::1]" };
    for (int i = 0; i < 2; i++) {
        size_t hl = strlen(hosts[i]);
        if (strncmp(uri, hosts[i], hl) != 0)
            continue;
        const char *p = uri + hl;
        if (*p == ':') {
            const char *d = ++p;
            while (*p >= '0' && *p <= '9')
                p++;
            if (p == d || p - d > 5)
                return NULL;
        }
        if (*p && *p != '/' && *p != '?')
            return NULL;
        *plen = hl;
        *rest = p;
        return hosts[i];
    }
    return NULL;
}

static int in_list(const char *list, const char *uri, int loopback_ports)
{
    size_t un = strlen(uri), n;
    const char *p = list, *w;

    if (un < 1 || un > MAX_URI)
        return 0;
    while (word_next(&p, 0, &w, &n)) {
        if (n == un && memcmp(w, uri, n) == 0)
            return 1;
        if (!loopback_ports)
            continue;
        /* RFC 8252 7.3: the same loopback URI on any port. */
        char reg[MAX_URI + 1];
        size_t rl, ul;
        const char *rrest, *urest;
        if (n > MAX_URI)
            continue;
        memcpy(reg, w, n);
        reg[n] = '\0';
        const char *rh = loopback(reg, &rl, &rrest), *uh = loopback(uri, &ul, &urest);
        if (rh && uh && rh == uh && strcmp(rrest, urest) == 0)
            return 1;
    }
    return 0;
}

int client_redirect_allowed(const struct client_rec *c, const char *uri)
{
    return in_list(c->redirect_uris, uri, 1);
}

int client_post_logout_allowed(const struct client_rec *c, const char *uri)
{
    return in_list(c->post_logout_redirect_uris, uri, 0);
}
