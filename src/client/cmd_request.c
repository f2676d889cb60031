/* SPDX-License-Identifier: Apache-2.0 */
/* tessera request: calls an API with the stored access token, like a small curl. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/cmdio.h"
#include "client/client.h"
#include "client/enduser.h"

#define MAX_HEADERS 64
#define MAX_DATA (16L << 20)

static const char about[] =
    "Calls URL with 'Authorization: Bearer <access token>' of the identity tessera\n"
    "login stored, and prints the body of the answer. URL is absolute (http:// or\n"
    "https://) or a path (/v1/auth/me) on the server logged in to. On 401 the token\n"
    "is refreshed and the request sent once more. Exits 1 when the status is 400 or\n"
    "more (the body is still printed).\n";

struct request_args {
    struct enduser_ctx ctx;
    const char *method, *data, *url;
    const char *headers[MAX_HEADERS];
    size_t nheaders;
    int own_content_type;
};

static int is_tchar(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int check_header(struct request_args *a, const char *h)
{
    const char *colon = strchr(h, ':');
    if (!colon || colon == h)
        return cli_fail("request: a header is 'Name: value'"), -1;
    for (const char *p = h; p < colon; p++)
        if (!is_tchar(*p))
            return cli_fail("request: invalid header name"), -1;
    if (strpbrk(h, "\r\n"))
        return cli_fail("request: a header cannot hold a line break"), -1;
    if ((size_t)(colon - h) == 13 && !strncasecmp(h, "authorization", 13))
        return cli_fail("request: the Authorization header is the stored token's; do not "
                        "give one"), -1;
    if ((size_t)(colon - h) == 12 && !strncasecmp(h, "content-type", 12))
        a->own_content_type = 1;
    if (a->nheaders == MAX_HEADERS)
        return cli_fail("request: more than %d headers", MAX_HEADERS), -1;
    a->headers[a->nheaders++] = h;
    return 0;
}

/* -X METHOD: a token (RFC 9110), into the struct request_args in o->value. */
static int opt_method(const struct option *o, const char *val)
{
    struct request_args *a = o->value;
    if (!*val)
        return cli_fail("request: empty method"), -1;
    for (const char *p = val; *p; p++)
        if (!is_tchar(*p))
            return cli_fail("request: invalid method"), -1;
    a->method = val;
    return 0;
}

static int opt_header(const struct option *o, const char *val)
{
    return check_header(o->value, val);
}

static int opt_data(const struct option *o, const char *val)
{
    struct request_args *a = o->value;
    if (a->data)
        return cli_fail("request: give -d once"), -1;
    a->data = val;
    return 0;
}

/* 0; OPTIONS_HELP or OPTIONS_ERROR (printed) when the command stops here. */
static int parse(int argc, char **argv, struct request_args *a)
{
    int r;
    struct option opts[] = {
        OPT_CALLBACK('X', "request", a, "METHOD",
                     "the method (default GET, or POST with -d)", opt_method),
        OPT_CALLBACK('H', "header", a, "'N: V'",
                     "an extra header (repeatable); not Authorization", opt_header),
        OPT_CALLBACK('d', "data", a, "DATA",
                     "the request body; @FILE reads FILE, @- standard input;\n"
                     "Content-Type is application/json unless -H sets one", opt_data),
        ENDUSER_OPTIONS(&a->ctx),
        OPT_END(),
    };
    const struct opt_command oc = {
        "request",
        "tessera request [-X METHOD] [-H 'NAME: VALUE']... [-d DATA|@FILE] URL\n"
        "                       [--profile NAME] [--cacert FILE]",
        about, NULL, opts, 0, 1 };

    if ((r = options_parse(&oc, NULL, argc - 1, argv + 1, &a->url)) < 0)
        return r;
    if (!a->url)
        return cli_fail("request: give a URL (see tessera request --help)"), OPTIONS_ERROR;
    if (a->url[0] != '/' && strncmp(a->url, "http://", 7) != 0 &&
        strncmp(a->url, "https://", 8) != 0)
        return cli_fail("request: the URL must start with http://, https:// or /"),
               OPTIONS_ERROR;
    if (!a->method)
        a->method = a->data ? "POST" : "GET";
    return 0;
}

/* The body from -d: the text itself, or @FILE, or @- (stdin). malloc'd; NULL printed. */
static char *read_data(const char *d, size_t *len)
{
    FILE *f;
    char *buf;
    size_t n = 0;

    if (d[0] != '@') {
        *len = strlen(d);
        return strdup(d);
    }
    f = strcmp(d, "@-") ? fopen(d + 1, "rb") : stdin;
    if (!f)
        return cli_fail("request: cannot read %s: %s", d + 1, strerror(errno)), NULL;
    if (!(buf = malloc(MAX_DATA + 1))) {
        if (f != stdin)
            fclose(f);
        return cli_fail("out of memory"), NULL;
    }
    n = fread(buf, 1, MAX_DATA + 1, f);
    int bad = ferror(f);
    if (f != stdin)
        fclose(f);
    if (bad || n > MAX_DATA) {
        free(buf);
        return cli_fail("request: cannot read %s%s", d + 1,
                        bad ? "" : ": larger than 16 MiB"), NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int run(struct request_args *a)
{
    struct enduser_session s = { 0 };
    struct enduser_http_req rq = { .method = a->method, .headers = a->headers,
                                   .nheaders = a->nheaders,
                                   .max_response = ENDUSER_MAX_RESPONSE };
    struct enduser_http_resp r = { 0 };
    char *url = NULL, *body = NULL, shown[512];
    size_t body_len = 0;
    int rc = 1;

    if (a->data && !(body = read_data(a->data, &body_len)))
        return 1;
    if (enduser_store_load(&a->ctx, &s))
        goto out;
    if (a->url[0] == '/') {
        size_t n = strlen(s.server) + strlen(a->url) + 1;
        if (!(url = malloc(n))) {
            cli_fail("out of memory");
            goto out;
        }
        snprintf(url, n, "%s%s", s.server, a->url);
    } else if (!(url = strdup(a->url))) {
        cli_fail("out of memory");
        goto out;
    }
    rq.url = url;
    rq.body = body;
    rq.body_len = body_len;
    rq.content_type = a->own_content_type ? NULL : "application/json";
    rc = enduser_session_call(&a->ctx, &s, &rq, &r);
    if (rc == ENDUSER_EXPIRED) {
        rc = enduser_fail_expired(&a->ctx);
        goto out;
    }
    if (rc) {
        rc = 1;
        goto out;
    }
    if (r.len && fwrite(r.body, 1, r.len, stdout) != r.len) {
        rc = cli_finish(1);
        goto out;
    }
    if (r.len && r.body[r.len - 1] != '\n' && isatty(STDOUT_FILENO))
        fputc('\n', stdout);
    rc = cli_finish(0);
    if (!rc && r.status >= 400) {
        /* the URL as given, without its query string, which may carry anything */
        enduser_sanitize(a->url, strcspn(a->url, "?#"), shown, sizeof shown);
        rc = cli_fail("%s %s: HTTP %ld", a->method, shown, r.status);
    }
out:
    free(url);
    free(body);
    enduser_http_resp_clear(&r);
    enduser_session_clear(&s);
    return rc;
}

int cmd_request(int argc, char **argv)
{
    struct request_args a = { 0 };
    int rc;

    if ((rc = parse(argc, argv, &a)))
        return options_exit(rc);
    if (enduser_ctx_init(&a.ctx))
        return 1;
    rc = run(&a);
    enduser_http_done();
    return rc;
}
