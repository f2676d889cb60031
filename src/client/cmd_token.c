/* SPDX-License-Identifier: Apache-2.0 */
/* tessera token: prints a valid access token, refreshing it first when needed. */
#include <stdio.h>
#include <string.h>

#include "base/cmdio.h"
#include "client/client.h"
#include "client/enduser.h"

static const char usage[] =
    "usage: tessera token [--profile NAME] [--cacert FILE]\n"
    "\n"
    "Prints a valid access token of the identity tessera login stored, for\n"
    "  curl -H \"Authorization: Bearer $(tessera token)\" ...\n"
    "When it expires within a minute it is refreshed first, and the new tokens\n"
    "(the rotated refresh token too) are saved.\n"
    "\n"
    "options:\n"
    ENDUSER_OPTS_HELP
    "  -h, --help           this help\n";

int cmd_token(int argc, char **argv)
{
    struct enduser_ctx ctx = { 0 };
    struct enduser_session s = { 0 };
    int rc;

    for (int i = 1; i < argc; i++) {
        int r = enduser_opt(&ctx, argc, argv, &i);
        if (r < 0)
            return 2;
        if (r)
            continue;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return fputs(usage, stdout), cli_finish(0);
        return cli_fail("token: unexpected argument '%s' (see tessera token --help)",
                        argv[i]), 2;
    }
    if (enduser_ctx_init(&ctx) || enduser_store_load(&ctx, &s))
        return 1;
    rc = enduser_session_fresh(&ctx, &s, 0);
    if (rc == ENDUSER_EXPIRED)
        rc = enduser_fail_expired(&ctx);
    else if (rc)
        rc = 1;
    else {
        fputs(s.access_token, stdout);
        fputc('\n', stdout);
        rc = cli_finish(0);
    }
    enduser_session_clear(&s);
    enduser_http_done();
    return rc;
}
