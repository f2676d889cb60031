/* SPDX-License-Identifier: Apache-2.0 */
/* Splitting a list of words: scopes, roles, audiences, addresses. */
#ifndef BASE_WORDS_H
#define BASE_WORDS_H

#include <stddef.h>

/* The words of a list: separated by spaces, and by commas too when `commas`. Returns 1
 * with the next word in *w (*n bytes, not NUL-terminated) and *p moved past it, 0 at
 * the end:  for (const char *p = list, *w; word_next(&p, 1, &w, &n);) ... */
int word_next(const char **p, int commas, const char **w, size_t *n);

#endif
