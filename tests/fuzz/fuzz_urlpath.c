/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Canonical request paths and methods (src/base/urlpath.c). Properties, the input
 * taken as an original URI, as a rule's pattern and as a method:
 *   - an accepted URI's canonical form starts with '/', has no empty, "." or ".."
 *     segment, holds only pchar bytes and upper-case %XX of bytes that are not, and is
 *     its own canonical form and its own pattern;
 *   - decoded, it is what an independent model makes of the input: the query cut,
 *     %XX decoded once, "." and empty segments dropped, ".." popping one segment, a
 *     trailing '/' where the last segment was empty, "." or "..";
 *   - a refusal always comes with a reason;
 *   - a method is accepted exactly when it is 1 to 31 token characters, and comes back
 *     upper-cased.
 */
#include <string.h>

#include "base/urlpath.h"
#include "fuzz.h"

static int hexv(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
           c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int pchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("-._~!$&'()*+,;=:@", c));
}

/* %XX-decodes s[0..n) into out; the decoded length, or -1 for a bad escape. */
static long decode(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        if (i + 2 >= n)
            return -1;
        int hi = hexv((unsigned char)s[i + 1]), lo = hexv((unsigned char)s[i + 2]);
        if (hi < 0 || lo < 0)
            return -1;
        out[o++] = (char)(hi << 4 | lo);
        i += 2;
    }
    return (long)o;
}

/* The model: the decoded path with dot segments resolved and slashes merged. */
static long model(const char *uri, char *out)
{
    size_t n = strcspn(uri, "?");
    char *d = malloc(n + 1);
    long dn;
    FUZZ_CHECK(d);
    if ((dn = decode(uri, n, d)) < 0) {
        free(d);
        return -1;
    }
    size_t o = 0, i = 1;
    out[o++] = '/';
    int dir = 0;                /* the last segment was "", "." or ".." */
    while (i <= (size_t)dn) {
        size_t j = i;
        while (j < (size_t)dn && d[j] != '/')
            j++;
        size_t len = j - i;
        dir = len == 0 || (len == 1 && d[i] == '.') ||
              (len == 2 && d[i] == '.' && d[i + 1] == '.');
        if (len == 2 && d[i] == '.' && d[i + 1] == '.') {
            if (o > 1) {
                o--;                            /* the '/' after the last segment */
                while (out[o - 1] != '/')
                    o--;
            }
        } else if (!dir) {
            memcpy(out + o, d + i, len);
            o += len;
            out[o++] = '/';
        }
        i = j + 1;
    }
    if (!dir && o > 1)
        o--;                                    /* no trailing '/' after a name */
    free(d);
    return (long)o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1), out[URLPATH_MAX], again[URLPATH_MAX];
    const char *why = NULL;
    FUZZ_CHECK(in);
    memcpy(in, data, size);
    in[size] = '\0';

    if (urlpath_canonical(in, out, sizeof out, &why) != 0) {
        FUZZ_CHECK(why && *why);
    } else {
        size_t n = strlen(out);
        FUZZ_CHECK(out[0] == '/' && !strstr(out, "//") && !strstr(out, "/./") &&
                   !strstr(out, "/../"));
        FUZZ_CHECK(strcmp(out + (n >= 2 ? n - 2 : 0), "/.") != 0);
        FUZZ_CHECK(n < 3 || strcmp(out + n - 3, "/..") != 0);
        for (size_t i = 1; i < n; i++) {
            unsigned char c = (unsigned char)out[i];
            if (c == '%') {
                FUZZ_CHECK(i + 2 < n && strchr("0123456789ABCDEF", out[i + 1]) &&
                           strchr("0123456789ABCDEF", out[i + 2]));
                FUZZ_CHECK(!pchar((unsigned char)(hexv(out[i + 1]) << 4 | hexv(out[i + 2]))));
                i += 2;
            } else {
                FUZZ_CHECK(c == '/' || pchar(c));
            }
        }
        FUZZ_CHECK(urlpath_canonical(out, again, sizeof again, &why) == 0);
        FUZZ_CHECK(strcmp(out, again) == 0);
        FUZZ_CHECK(urlpath_pattern(out, again, sizeof again, &why) == 0);
        FUZZ_CHECK(strcmp(out, again) == 0);

        char *want = malloc(size + 2), *got = malloc(n + 1);
        FUZZ_CHECK(want && got);
        long wn = model(in, want), gn = decode(out, n, got);
        FUZZ_CHECK(wn >= 0 && gn == wn && memcmp(want, got, (size_t)wn) == 0);
        free(want);
        free(got);
    }

    why = NULL;
    if (urlpath_pattern(in, out, sizeof out, &why) != 0)
        FUZZ_CHECK(why && *why);
    else
        FUZZ_CHECK(out[0] == '/' && !strstr(out, "//"));

    char m[URLPATH_METHOD_MAX];
    size_t mn = strlen(in), ok = mn > 0 && mn < URLPATH_METHOD_MAX;
    for (size_t i = 0; ok && i < mn; i++)
        ok = (in[i] >= 'a' && in[i] <= 'z') || (in[i] >= 'A' && in[i] <= 'Z') ||
             (in[i] >= '0' && in[i] <= '9') || strchr("!#$%&'*+-.^_`|~", in[i]);
    FUZZ_CHECK((urlpath_method(in, m) == 0) == (ok != 0));
    if (ok)
        for (size_t i = 0; i <= mn; i++)
            FUZZ_CHECK(m[i] == (in[i] >= 'a' && in[i] <= 'z' ? in[i] - 'a' + 'A' : in[i]));
    free(in);
    return 0;
}
