/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tessera logout: ends the session on the server (POST /v1/auth/logout), then removes
 * the token file.
 *
 * When the server cannot be told, the file stays: its refresh token is what lets a
 * later `tessera logout` end the session, which otherwise stays valid on the server
 * until it expires. `--local` removes the file without asking the server.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/cmdio.h"
#include "client/client.h"
#include "client/enduser.h"

static const char about[] =
    "Ends the session on the server (its access and refresh tokens stop working),\n"
    "then removes the token file. When the server cannot be reached the file is kept,\n"
    "so that logout can be tried again.\n";

static int forget_locally(const struct enduser_ctx *c)
{
    struct stat st;
    if (lstat(c->path, &st) != 0 && errno == ENOENT)
        return cli_fail("not logged in (no %s)", c->path);
    if (enduser_store_remove(c))
        return 1;
    printf("removed %s; the session stays valid on the server until it expires\n",
           c->path);
    return cli_finish(0);
}

static int logout(const struct enduser_ctx *c, int all)
{
    struct enduser_session s = { 0 };
    struct enduser_http_req rq = { .method = "POST", .content_type = "application/json",
                                   .max_response = ENDUSER_MAX_AUTH_RESPONSE };
    struct enduser_http_resp r = { 0 };
    char url[PATH_MAX];
    int rc;

    if (enduser_store_load(c, &s))
        return 1;
    snprintf(url, sizeof url, "%s/v1/auth/logout", s.server);
    rq.url = url;
    rq.body = all ? "{\"all\":true}" : "{}";
    rq.body_len = strlen(rq.body);
    enduser_session_net_hint("; still logged in (try again later, or tessera logout "
                             "--local to only remove the token file)");
    rc = enduser_session_call(c, &s, &rq, &r);
    if (rc == -1) {
        rc = 1;                         /* printed; the file stays */
    } else if (rc == ENDUSER_EXPIRED || r.status == 401) {
        /* the server no longer honours the session: nothing left to end */
        rc = enduser_store_remove(c) ? 1 : 0;
        if (!rc)
            printf("the session had already ended; removed %s\n", c->path);
    } else if (r.status >= 200 && r.status < 300) {
        rc = enduser_store_remove(c) ? 1 : 0;
        if (!rc)
            printf("logged out of %s%s\n", s.server,
                   all ? " (every session of the user ended)" : "");
    } else {
        rc = enduser_fail_response("logout", &r);
    }
    enduser_http_resp_clear(&r);
    enduser_session_clear(&s);
    return rc ? rc : cli_finish(0);
}

int cmd_logout(int argc, char **argv)
{
    struct enduser_ctx ctx = { 0 };
    int all = 0, local = 0, rc;

    struct option opts[] = {
        OPT_FLAG(0, "all", &all, "end every session of the user, on every device"),
        OPT_FLAG(0, "local", &local,
                 "only remove the token file; the session stays valid on\n"
                 "the server until it expires"),
        ENDUSER_OPTIONS(&ctx),
        OPT_END(),
    };
    const struct opt_command oc = {
        "logout", "tessera logout [--all] [--local] [--profile NAME] [--cacert FILE]",
        about, NULL, opts, 0, 0 };

    if ((rc = options_parse(&oc, NULL, argc - 1, argv + 1, NULL)) < 0)
        return options_exit(rc);
    if (all && local)
        return cli_fail("logout: --all needs the server; it cannot go with --local"), 2;
    if (enduser_ctx_init(&ctx))
        return 1;
    rc = local ? forget_locally(&ctx) : logout(&ctx, all);
    enduser_http_done();
    return rc;
}
