/* SPDX-License-Identifier: Apache-2.0 */
/* tessera whoami: the user behind the stored tokens (GET /v1/auth/me). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <stdio.h>

#include "base/cmdio.h"
#include "client/client.h"
#include "client/enduser.h"

static const char about[] =
    "Asks the server who the stored tokens belong to (GET /v1/auth/me) and prints\n"
    "one line: username, email, server, roles and scope.\n";

/* A string member of the user, made safe for a terminal ("-" when absent). */
static const char *field(json_t *u, const char *key, char *buf, size_t len)
{
    const char *v = json_string_value(json_object_get(u, key));
    if (!v || !*v)
        return "-";
    enduser_sanitize(v, strlen(v), buf, len);
    return buf;
}

static int print_user(const struct enduser_session *s, const struct enduser_http_resp *r,
                      int as_json)
{
    json_t *u = json_loadb(r->body, r->len, 0, NULL), *roles, *v;
    char name[256], email[256], role[64], scope[512];
    size_t i;

    if (!json_is_object(u)) {
        json_decref(u);
        return cli_fail("whoami: %s sent an answer that is not a user", s->server);
    }
    if (as_json) {
        char *text = json_dumps(u, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(u);
        if (!text)
            return cli_fail("out of memory");
        puts(text);
        free(text);
        return cli_finish(0);
    }
    printf("%s <%s> at %s; roles:", field(u, "username", name, sizeof name),
           field(u, "email", email, sizeof email), s->server);
    roles = json_object_get(u, "roles");
    if (!json_array_size(roles))
        fputs(" (none)", stdout);
    json_array_foreach(roles, i, v)
        if (json_is_string(v)) {
            enduser_sanitize(json_string_value(v), strlen(json_string_value(v)), role,
                             sizeof role);
            printf("%s%s", i ? ", " : " ", role);
        }
    enduser_sanitize(s->scope, strlen(s->scope), scope, sizeof scope);
    printf("; scope: %s\n", *scope ? scope : "(none)");
    json_decref(u);
    return cli_finish(0);
}

int cmd_whoami(int argc, char **argv)
{
    struct enduser_ctx ctx = { 0 };
    struct enduser_session s = { 0 };
    struct enduser_http_req rq = { .method = "GET",
                                   .max_response = ENDUSER_MAX_AUTH_RESPONSE };
    struct enduser_http_resp r = { 0 };
    char url[PATH_MAX];
    int as_json = 0, rc;

    struct option opts[] = {
        OPT_FLAG(0, "json", &as_json, "print the server's user object instead (JSON)"),
        ENDUSER_OPTIONS(&ctx),
        OPT_END(),
    };
    const struct opt_command oc = {
        "whoami", "tessera whoami [--json] [--profile NAME] [--cacert FILE]", about, NULL,
        opts, 0, 0 };

    if ((rc = options_parse(&oc, NULL, argc - 1, argv + 1, NULL)) < 0)
        return options_exit(rc);
    if (enduser_ctx_init(&ctx) || enduser_store_load(&ctx, &s))
        return 1;
    snprintf(url, sizeof url, "%s/v1/auth/me", s.server);
    rq.url = url;
    rc = enduser_session_call(&ctx, &s, &rq, &r);
    if (rc == ENDUSER_EXPIRED)
        rc = enduser_fail_expired(&ctx);
    else if (rc)
        rc = 1;
    else if (r.status == 401)
        rc = enduser_fail_expired(&ctx);     /* refreshed, yet refused: revoked */
    else if (r.status != 200)
        rc = enduser_fail_response("whoami", &r);
    else
        rc = print_user(&s, &r, as_json);
    enduser_http_resp_clear(&r);
    enduser_session_clear(&s);
    enduser_http_done();
    return rc;
}
