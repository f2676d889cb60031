/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Web origins (RFC 6454) for cors.allowed_origins: one canonical text per origin, so
 * that the configured list and a request's Origin header compare byte for byte.
 */
#ifndef BASE_ORIGIN_H
#define BASE_ORIGIN_H

#include <stddef.h>

/* The longest canonical origin, NUL included. */
#define ORIGIN_MAX 300

/* Canonicalises the n bytes of `in`, an origin "scheme://host[:port]": scheme http or
 * https, lowercased; host a DNS name (letters, digits, '-', '.') or an IPv4 address,
 * lowercased, or a bracketed IPv6 literal (hex digits, ':', '.'), lowercased; a port
 * of 1-65535 without leading zeros kept unless it is the scheme's default (80, 443),
 * which is dropped. No user info, path (not even "/"), query or fragment; "null" and
 * "*" are not origins. 0 with out (ORIGIN_MAX bytes) set, or -1. */
int origin_canonical(const char *in, size_t n, char out[ORIGIN_MAX]);

/* cors.allowed_origins: a comma- and/or space-separated list rewritten in place as its
 * canonical origins separated by one space, duplicates dropped. 0, or -1 with err
 * naming the bad entry. */
int origin_list_canonical(char *list, size_t size, char *err, size_t errlen);

/* 1 when the canonical origin `o` is one of the canonical list's entries. */
int origin_list_has(const char *list, const char *o);

#endif
