/* SPDX-License-Identifier: Apache-2.0 */
/* tessera token: prints a valid access token, refreshing it first when needed. */
#include <stdio.h>
#include <string.h>

#include "base/cmdio.h"
#include "client/client.h"
#include "client/enduser.h"

static const char about[] =
    "Prints a valid access token of the identity tessera login stored, for\n"
    "  curl -H \"Authorization: Bearer $(tessera token)\" ...\n"
    "When it expires within a minute it is refreshed first, and the new tokens\n"
    "(the rotated refresh token too) are saved.\n";

int cmd_token(int argc, char **argv)
{
    struct enduser_ctx ctx = { 0 };
    struct enduser_session s = { 0 };
    int rc;

    struct option opts[] = {
        ENDUSER_OPTIONS(&ctx),
        OPT_END(),
    };
    const struct opt_command oc = { "token", "tessera token [--profile NAME] [--cacert FILE]",
                                    about, NULL, opts, 0, 0 };

    if ((rc = options_parse(&oc, NULL, argc - 1, argv + 1, NULL)) < 0)
        return options_exit(rc);
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
