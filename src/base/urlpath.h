/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The canonical forms of an HTTP request's method and path, so that rules are matched
 * against one spelling of each (forward auth, docs/forward-auth.md). Plain functions
 * on strings: no knowledge of the server or its configuration.
 *
 * The canonical path (RFC 3986 section 6.2.2, made stricter):
 *  - it starts with '/'; the query ('?' and what follows) is cut off first;
 *  - a percent-encoded byte that may also stand unencoded in a path segment (ALPHA,
 *    DIGIT, "-._~", the sub-delims "!$&'()*+,;=", ":" and "@") is decoded: "%73" is
 *    "s", "%3A" is ":";
 *  - every other byte is percent-encoded with upper-case hex, whether it came encoded
 *    or not: "%20", "%25", "%3F", "%C3%A9" (raw UTF-8 "é" too), "%7C" (raw "|" too);
 *  - "." and ".." segments are removed (section 5.2.4) and empty segments merged
 *    ("//" is "/"); a trailing "/" is kept.
 * So two spellings have one canonical form exactly when a server that decodes the path
 * once, resolves dot segments and merges slashes routes them to the same place.
 *
 * Refused, because servers do not agree on what they mean: a path not starting with
 * '/'; a '%' not followed by two hex digits; an encoded '/', '\' or NUL (%2F %5C %00);
 * an encoded '%' followed by two hex digits ("%2541", a double encoding); a raw '\',
 * '#', space or control byte; a ".." above the root; a ".." right after an empty
 * segment ("/a//../b" is "/b" where slashes are merged first, "/a/b" under RFC 3986);
 * a "." or ".." segment with ';' parameters ("/..;/", a dot segment to servlet
 * containers).
 */
#ifndef BASE_URLPATH_H
#define BASE_URLPATH_H

#include <stddef.h>

/* The longest path (before and after canonicalisation) and method taken, NUL included. */
#define URLPATH_MAX 2048
#define URLPATH_METHOD_MAX 32

/* The canonical form of the path of `uri` (a request target: path, then optionally
 * '?' and a query, ignored) into out[size]. 0, or -1 with *why set to a sentence
 * (static, quoting nothing from the input) when it is refused or does not fit. */
int urlpath_canonical(const char *uri, char *out, size_t size, const char **why);

/* A rule's path glob ('*' any run of characters, '?' one) in canonical form: spelled
 * as urlpath_canonical() spells paths, '?' kept as the wildcard. A pattern that could
 * never match a canonical path (a "." or ".." segment, an empty one before the end)
 * is refused like a path is: -1 with *why. */
int urlpath_pattern(const char *pattern, char *out, size_t size, const char **why);

/* The canonical method: an RFC 9110 token (letters, digits, "!#$%&'*+-.^_`|~") of at
 * most URLPATH_METHOD_MAX - 1 bytes, upper-cased, into out[URLPATH_METHOD_MAX].
 * Methods are case-sensitive in HTTP, but proxies pass them on as sent and some
 * frameworks upper-case them, so "post" is matched as "POST". -1 for anything else. */
int urlpath_method(const char *method, char out[URLPATH_METHOD_MAX]);

#endif
