/* SPDX-License-Identifier: Apache-2.0 */
/* Canonical request paths and methods (contract in urlpath.h). */
#include "base/urlpath.h"

#include <string.h>

#include "base/text.h"

/* Byte classes. PLAIN: stands unencoded in a canonical path segment, i.e. RFC 3986
 * pchar without pct-encoded (unreserved, sub-delims, ':', '@'). TCHAR: RFC 9110 token
 * character. One table lookup a byte: this runs on every forward-auth request. */
enum { PLAIN = 1, TCHAR = 2 };
static const unsigned char cls[256] = {
    ['a' ... 'z'] = PLAIN | TCHAR, ['A' ... 'Z'] = PLAIN | TCHAR,
    ['0' ... '9'] = PLAIN | TCHAR,
    ['-'] = PLAIN | TCHAR, ['.'] = PLAIN | TCHAR, ['_'] = PLAIN | TCHAR,
    ['~'] = PLAIN | TCHAR, ['!'] = PLAIN | TCHAR, ['$'] = PLAIN | TCHAR,
    ['&'] = PLAIN | TCHAR, ['\''] = PLAIN | TCHAR, ['*'] = PLAIN | TCHAR,
    ['+'] = PLAIN | TCHAR, ['('] = PLAIN, [')'] = PLAIN, [','] = PLAIN, [';'] = PLAIN,
    ['='] = PLAIN, [':'] = PLAIN, ['@'] = PLAIN,
    ['#'] = TCHAR, ['%'] = TCHAR, ['^'] = TCHAR, ['`'] = TCHAR, ['|'] = TCHAR,
};

struct canon {
    char *out;
    size_t size, o;     /* out[0..o) written; o < size always (room for the NUL) */
    const char **why;
};

static int refuse(struct canon *c, const char *why)
{
    *c->why = why;
    return -1;
}

static int put(struct canon *c, const char *s, size_t n)
{
    if (n >= c->size - c->o)
        return refuse(c, "it is too long");
    memcpy(c->out + c->o, s, n);
    c->o += n;
    return 0;
}

/* One segment's bytes [p, end), canonically spelled, appended to the output. */
static int segment(struct canon *c, const unsigned char *p, const unsigned char *end,
                   int pattern)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t pct = (size_t)-1;    /* where the last "%25" was written */
    while (p < end) {
        unsigned char b = *p++;
        if (b == '%') {
            int hi = end - p >= 2 ? text_hex_digit(p[0]) : -1;
            int lo = hi >= 0 ? text_hex_digit(p[1]) : -1;
            if (lo < 0)
                return refuse(c, "a '%' is not followed by two hex digits");
            b = (unsigned char)(hi << 4 | lo);
            p += 2;
            if (b == '/' || b == '\\' || b == '\0')
                return refuse(c, "it has an encoded '/', '\\' or NUL (%2F, %5C, %00)");
        } else if (b < 0x20 || b == 0x7f || b == ' ' || b == '#' || b == '\\') {
            return refuse(c, "it has a control character, a space, '#' or '\\'");
        } else if (b == '?' && pattern) {
            if (put(c, "?", 1))         /* the glob's one-character wildcard */
                return -1;
            continue;
        }
        if (cls[b] & PLAIN) {
            if (c->o + 1 >= c->size)
                return refuse(c, "it is too long");
            c->out[c->o++] = (char)b;
            /* A '%' followed by two hex digits once decoded ("%2541", "%25%34%31") is
             * another path to a server that decodes twice. */
            if (pct != (size_t)-1 && c->o == pct + 5 &&
                text_hex_digit((unsigned char)c->out[pct + 3]) >= 0 && text_hex_digit(b) >= 0)
                return refuse(c, "it is percent-encoded twice ('%' and two hex "
                                 "digits, encoded)");
        } else {
            char e[3] = {'%', hex[b >> 4], hex[b & 15]};
            if (b == '%')
                pct = c->o;
            if (put(c, e, 3))
                return -1;
        }
    }
    return 0;
}

/* The path [p, end) (starting with '/') into c->out: segments spelled canonically, dot
 * segments removed, empty ones merged. out[0..o) always ends with '/' between
 * segments, and every kept segment is non-empty. */
static int canon_path(struct canon *c, const char *path, size_t n, int pattern)
{
    const unsigned char *p = (const unsigned char *)path, *end = p + n;
    int after_empty = 0;        /* an empty segment was merged, no segment since */

    if (n == 0 || *p != '/')
        return refuse(c, "it does not start with '/'");
    if (n >= c->size)
        return refuse(c, "it is too long");
    c->o = 0;
    if (put(c, "/", 1))
        return -1;
    for (p++;; p++) {
        const unsigned char *q = memchr(p, '/', (size_t)(end - p));
        int last = q == NULL;
        size_t start = c->o, len;
        if (last)
            q = end;
        if (segment(c, p, q, pattern))
            return -1;
        len = c->o - start;
        const char *s = c->out + start;
        int dot = len == 1 && s[0] == '.', dots = len == 2 && s[0] == '.' && s[1] == '.';
        if (len == 0 && !last) {
            if (pattern)
                return refuse(c, "it has an empty segment ('//'), which no canonical path "
                                 "has");
            after_empty = 1;
        } else if (dot || dots) {
            if (pattern)
                return refuse(c, "it has a '.' or '..' segment, which no canonical path "
                                 "has");
            c->o = start;
            if (dots) {
                if (after_empty)
                    return refuse(c, "it has '..' after an empty segment ('//..'), "
                                     "which servers resolve differently");
                if (start == 1)
                    return refuse(c, "its '..' climbs above the root");
                for (c->o = start - 1; c->out[c->o - 1] != '/'; c->o--)
                    ;
            }
        } else if ((len >= 2 && s[0] == '.' && s[1] == ';') ||
                   (len >= 3 && s[0] == '.' && s[1] == '.' && s[2] == ';')) {
            return refuse(c, "it has a '.' or '..' segment with ';' parameters");
        } else if (len) {
            after_empty = 0;
            if (!last && put(c, "/", 1))
                return -1;
        }
        if (last)
            break;
        p = q;
    }
    c->out[c->o] = '\0';
    return 0;
}

int urlpath_canonical(const char *uri, char *out, size_t size, const char **why)
{
    struct canon c = {out, size, 0, why};
    if (size == 0)
        return refuse(&c, "it is too long");
    return canon_path(&c, uri, strcspn(uri, "?"), 0);
}

int urlpath_pattern(const char *pattern, char *out, size_t size, const char **why)
{
    struct canon c = {out, size, 0, why};
    if (size == 0)
        return refuse(&c, "it is too long");
    return canon_path(&c, pattern, strlen(pattern), 1);
}

int urlpath_method(const char *method, char out[URLPATH_METHOD_MAX])
{
    size_t i = 0;
    for (; method[i]; i++) {
        unsigned char b = (unsigned char)method[i];
        if (i + 1 >= URLPATH_METHOD_MAX || !(cls[b] & TCHAR))
            return -1;
        out[i] = (char)(b >= 'a' && b <= 'z' ? b - 'a' + 'A' : b);
    }
    out[i] = '\0';
    return i ? 0 : -1;
}
