/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small JSON text writer for the hot paths (token claims, token responses, request
 * log lines), where building a jansson tree only to print it cost as much as the
 * signature. Writes into a growing buffer; any allocation failure is remembered and
 * reported once by jw_finish().
 */
#ifndef BASE_JSONW_H
#define BASE_JSONW_H

#include <stddef.h>
#include <stdint.h>

struct jw {
    char *buf;
    size_t len, cap;
    int oom;
    int first;                 /* no member written yet in the current object */
    char small[1024];          /* used until it is outgrown */
};

void jw_init(struct jw *w);                      /* ready for jw_open() */
void jw_open(struct jw *w);                      /* { */
void jw_close(struct jw *w);                     /* } */
/* A member whose value is a string (escaped), an integer, a boolean, or JSON text
 * written as is (the caller vouches for it: e.g. a stored roles array). */
void jw_str(struct jw *w, const char *key, const char *val);
void jw_strn(struct jw *w, const char *key, const char *val, size_t n);
void jw_int(struct jw *w, const char *key, int64_t val);
void jw_bool(struct jw *w, const char *key, int val);
void jw_raw(struct jw *w, const char *key, const char *json);
/* The text (malloc'd, NUL-terminated, *len set when len is not NULL), or NULL after an
 * allocation failure. Releases the writer either way. */
char *jw_finish(struct jw *w, size_t *len);

#endif
