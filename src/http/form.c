/* SPDX-License-Identifier: Apache-2.0 */
/* application/x-www-form-urlencoded bodies: decoding, duplicate names, parameters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "http/http.h"

int http_form_decode(const char *in, size_t n, char *out, size_t *outlen)
{
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int h = text_hex_digit(in[i + 1]), l = text_hex_digit(in[i + 2]);
            if (h < 0 || l < 0)
                return -1;
            c = (char)(h << 4 | l);
            i += 2;
        }
        if (c == '\0')
            return -1;
        out[j++] = c;
    }
    out[j] = '\0';
    *outlen = j;
    return 0;
}

void http_form_free(struct form *f)
{
    free(f->buf);
    memset(f, 0, sizeof *f);
}

/* The parameters that may be given more than once: RFC 8707 2.1 asks for several
 * resources by repeating `resource`; `audience`, its alias, likewise. */
static int repeatable(const char *name)
{
    return strcmp(name, "resource") == 0 || strcmp(name, "audience") == 0;
}

ts_err http_form_parse(const char *body, size_t len, struct form *out, char *why,
                       size_t whylen)
{
    memset(out, 0, sizeof *out);
    if (!body || len == 0)
        return TS_OK;
    /* Decoding never grows the text; each pair needs at most two more NULs. */
    char *buf = malloc(len + 2 * HTTP_FORM_MAX_PARAMS + 2);
    if (!buf)
        return TS_ENOMEM;
    out->buf = buf;
    size_t at = 0, i = 0;
    while (i <= len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        if (end > i) {
            const char *eq = memchr(body + i, '=', end - i);
            size_t nlen = eq ? (size_t)(eq - (body + i)) : end - i;
            size_t vstart = eq ? nlen + 1 : end - i;
            size_t dn, dv;
            if (out->n == HTTP_FORM_MAX_PARAMS) {
                snprintf(why, whylen, "The form has more than %d parameters.",
                         HTTP_FORM_MAX_PARAMS);
                goto bad;
            }
            char *name = buf + at;
            if (http_form_decode(body + i, nlen, name, &dn) < 0) {
                snprintf(why, whylen, "The form has a malformed parameter name.");
                goto bad;
            }
            at += dn + 1;
            char *value = buf + at;
            if (http_form_decode(body + i + vstart, end - i - vstart, value, &dv) < 0) {
                snprintf(why, whylen, "The form parameter '%.64s' is malformed "
                         "(bad percent-encoding or a NUL byte).", name);
                goto bad;
            }
            at += dv + 1;
            for (int k = 0; k < out->n && !repeatable(name); k++)
                if (strcmp(out->p[k].name, name) == 0) {
                    snprintf(why, whylen, "The parameter '%.64s' is repeated.", name);
                    goto bad;
                }
            out->p[out->n].name = name;
            out->p[out->n].value = value;
            out->n++;
        }
        i = end + 1;
    }
    return TS_OK;
bad:
    http_form_free(out);
    return TS_EINVAL;
}

const char *http_param_next(const struct request *req, const char *name, int *k)
{
    for (; req->form && *k < req->form->n; (*k)++)
        if (strcmp(req->form->p[*k].name, name) == 0)
            return req->form->p[(*k)++].value;
    return NULL;
}

ts_err http_param(const struct request *req, const char *name, size_t max, int required,
                  struct response *res, const char **out)
{
    *out = NULL;
    for (int k = 0; req->form && k < req->form->n; k++)
        if (strcmp(req->form->p[k].name, name) == 0) {
            const char *v = req->form->p[k].value;
            if (strlen(v) > max)
                return http_fail(res, TS_EINVAL,
                                 "The parameter '%s' is longer than %zu bytes.", name, max);
            if (*v)
                *out = v;
            break;
        }
    if (!*out && required)
        return http_fail(res, TS_EINVAL, "The parameter '%s' is required.", name);
    return TS_OK;
}
