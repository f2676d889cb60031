/* SPDX-License-Identifier: Apache-2.0 */
/* Building a response: JSON bodies, headers, error sentences. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

ts_err http_json(struct response *res, int status, json_t *value)
{
    char *s = value ? json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(value);
    if (!s)
        return TS_ENOMEM;
    free(res->body);
    res->body = s;
    res->body_len = strlen(s);
    res->content_type = "application/json";
    res->status = status;
    return TS_OK;
}

void http_no_content(struct response *res)
{
    free(res->body);
    res->body = NULL;
    res->body_len = 0;
    res->content_type = NULL;
    res->status = 204;
}

void http_add_header(struct response *res, const char *name, const char *value)
{
    if (res->nheaders == HTTP_MAX_HEADERS)
        return;
    res->headers[res->nheaders].name = name;
    snprintf(res->headers[res->nheaders].value, sizeof res->headers[0].value, "%s", value);
    res->nheaders++;
}

ts_err http_fail(struct response *res, ts_err e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->error_description, sizeof res->error_description, fmt, ap);
    va_end(ap);
    return e;
}
