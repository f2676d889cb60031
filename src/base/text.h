/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Text from outside the JSON parser (request headers, command-line arguments, import
 * files): jansson checks the UTF-8 of a JSON body, nothing checks these. What is kept
 * and shown again must be valid UTF-8, or every list holding it fails to encode (and
 * PostgreSQL cannot store it at all); so it is made valid once, where it enters, by
 * these functions, the same way whichever backend stores it.
 */
#ifndef BASE_TEXT_H
#define BASE_TEXT_H

#include <stddef.h>

/* Length of the well-formed UTF-8 character at s (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF), 0 when s does not start one. s is
 * NUL-terminated: a NUL ends any sequence early, so this never reads past it. */
size_t text_utf8_char(const char *s);

/* The same for the n bytes at s (no NUL needed): the length of the well-formed UTF-8
 * character there (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF; 1 for
 * an ASCII byte), or 0 when there is none. n >= 1. */
size_t text_utf8_len(const char *s, size_t n);

/* The value of a hexadecimal digit (either case), -1 for any other byte. */
int text_hex_digit(int c);

/* 1 when s (NUL-terminated) is valid UTF-8. */
int text_utf8_valid(const char *s);

/* Text kept only to be shown (a User-Agent): copies in into out[size] (size >= 4)
 * with every byte that does not start a well-formed UTF-8 character, and every control
 * character (C0 and DEL), replaced by U+FFFD, cut back to a whole character when too
 * long. Valid text without control characters comes out unchanged (as much as fits). */
void text_clean(const char *in, char *out, size_t size);

#endif
