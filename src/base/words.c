/* SPDX-License-Identifier: Apache-2.0 */
/* Splitting a list of words: scopes, roles, audiences, addresses. */
#include "base/words.h"

static int is_sep(char c, int commas)
{
    return c == ' ' || (commas && c == ',');
}

int word_next(const char **p, int commas, const char **w, size_t *n)
{
    const char *s = *p;
    while (*s && is_sep(*s, commas))
        s++;
    const char *e = s;
    while (*e && !is_sep(*e, commas))
        e++;
    *p = e;
    *w = s;
    *n = (size_t)(e - s);
    return e > s;
}
