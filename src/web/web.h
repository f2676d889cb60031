/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hosted pages' files (docs/oidc.md "The login page"): HTML templates, one
 * stylesheet and one script, embedded in the binary at build time
 * (mk/embed-web.sh), each replaceable at run time by a file of the same name in a
 * directory (web.templates_dir). No domain knowledge: the caller fills the values.
 *
 * Template syntax, nothing more: {{name}} is the value `name`, HTML-escaped;
 * {{{name}}} the value as is (HTML the caller built and escaped); {{t:key}} the
 * sentence `key` of the strings table (strings.c), escaped. A name without a value
 * renders as nothing.
 */
#ifndef WEB_WEB_H
#define WEB_WEB_H

#include <stddef.h>

#include "base/err.h"

/* An embedded file (the generated web_assets.c). */
struct web_asset {
    const char *name;          /* "login.html", "style.css" */
    const char *data;
    size_t len;
};
extern const struct web_asset web_assets[];   /* ends with { NULL, NULL, 0 } */

struct web_var {
    const char *name;
    const char *value;         /* NULL renders as "" */
};

/* The file `name`: dir/name when dir is set and that file exists (at most 256 KiB),
 * else the embedded one. *out is malloc'd (free() it), NUL-terminated, *len bytes.
 * TS_ENOTFOUND for a name that is neither, TS_ENOMEM, TS_EINTERNAL for a file that
 * exists but cannot be read (logged). */
ts_err web_file(const char *dir, const char *name, char **out, size_t *len);

/* Renders template `name` with the values vars[0..n). *out as for web_file. */
ts_err web_render(const char *dir, const char *name, const struct web_var *vars,
                  size_t n, char **out, size_t *len);

/* HTML-escapes s (& < > " ' as entities) into a malloc'd string; NULL on OOM. */
char *web_escape(const char *s);

/* The sentence `key` of the strings table, "" for an unknown key. */
const char *web_text(const char *key);

#endif
