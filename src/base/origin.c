/* SPDX-License-Identifier: Apache-2.0 */
/* Web origins: canonical text and the allowed list (origin.h). */
#include "base/origin.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int origin_canonical(const char *in, size_t n, char out[ORIGIN_MAX])
{
    const char *end = in + n;
    const char *p;
    const char *scheme;
    const char *defport;

    if (n > 8 && strncasecmp(in, "https://", 8) == 0) {
        scheme = "https";
        defport = "443";
        p = in + 8;
    } else if (n > 7 && strncasecmp(in, "http://", 7) == 0) {
        scheme = "http";
        defport = "80";
        p = in + 7;
    } else {
        return -1;
    }
    /* host */
    const char *host = p;
    if (*p == '[') {
        p++;
        while (p < end && (isxdigit((unsigned char)*p) || *p == ':' || *p == '.'))
            p++;
        if (p == end || *p != ']' || p == host + 1)
            return -1;
        p++;
    } else {
        while (p < end && (isalnum((unsigned char)*p) || *p == '-' || *p == '.'))
            p++;
        if (p == host || *host == '.' || *host == '-')
            return -1;
    }
    size_t hostlen = (size_t)(p - host);
    /* port */
    const char *port = NULL;
    size_t portlen = 0;
    if (p < end && *p == ':') {
        port = ++p;
        while (p < end && isdigit((unsigned char)*p))
            p++;
        portlen = (size_t)(p - port);
        if (portlen == 0 || portlen > 5 || *port == '0')
            return -1;
        char num[6];
        memcpy(num, port, portlen);
        num[portlen] = '\0';
        long v = strtol(num, NULL, 10);
        if (v < 1 || v > 65535)
            return -1;
        if (strcmp(num, defport) == 0)
            port = NULL;
    }
    if (p != end)
        return -1;                 /* a path, query, user info or stray byte */
    size_t slen = strlen(scheme);
    size_t need = slen + 3 + hostlen + (port ? 1 + portlen : 0) + 1;
    if (need > ORIGIN_MAX)
        return -1;
    char *o = out;
    memcpy(o, scheme, slen);
    o += slen;
    memcpy(o, "://", 3);
    o += 3;
    for (size_t i = 0; i < hostlen; i++)
        *o++ = (char)tolower((unsigned char)host[i]);
    if (port) {
        *o++ = ':';
        memcpy(o, port, portlen);
        o += portlen;
    }
    *o = '\0';
    return 0;
}

int origin_list_has(const char *list, const char *o)
{
    size_t n = strlen(o);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, " ");
        if (len == n && memcmp(p, o, n) == 0)
            return 1;
        p += len;
        while (*p == ' ')
            p++;
    }
    return 0;
}

int origin_list_canonical(char *list, size_t size, char *err, size_t errlen)
{
    char *out = malloc(size);
    if (!out) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t used = 0;
    out[0] = '\0';
    for (const char *p = list; *p;) {
        p += strspn(p, " ,\t");
        if (!*p)
            break;
        size_t len = strcspn(p, " ,\t");
        char o[ORIGIN_MAX];
        if (origin_canonical(p, len, o) != 0) {
            snprintf(err, errlen, "cors.allowed_origins: '%.*s' is not an origin "
                     "(scheme://host[:port], http or https, no path; '*' is not "
                     "accepted)", (int)(len > 200 ? 200 : len), p);
            free(out);
            return -1;
        }
        p += len;
        if (origin_list_has(out, o))
            continue;
        size_t ol = strlen(o);
        if (used + (used ? 1 : 0) + ol + 1 > size) {
            snprintf(err, errlen, "cors.allowed_origins is too long");
            free(out);
            return -1;
        }
        if (used)
            out[used++] = ' ';
        memcpy(out + used, o, ol + 1);
        used += ol;
    }
    memcpy(list, out, used + 1);
    free(out);
    return 0;
}
