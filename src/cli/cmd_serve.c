/* SPDX-License-Identifier: Apache-2.0 */
/* tessera serve: its options; the server itself is src/server/daemon.h. */
#include <stdio.h>

#include "cli/cli.h"
#include "server/daemon.h"

static const char about[] =
#ifdef TESSERA_DEFAULT_CONFIG
    "Runs the tessera server as " TESSERA_DEFAULT_CONFIG " (or --config) says.\n"
    "It creates signing keys and, on an empty database, a user 'admin' whose\n"
    "password is TESSERA_BOOTSTRAP_PASSWORD or printed once.\n";
#else
    "Runs the tessera server. With no options it listens on 127.0.0.1:8080, keeps\n"
    "its data in ./tessera.db, creates signing keys and, on an empty database, a user\n"
    "'admin' whose password is TESSERA_BOOTSTRAP_PASSWORD or printed once.\n";
#endif

int cmd_serve(int argc, char **argv)
{
    struct cli_common co = { 0 };
    const char *compat = NULL;
    char set[CONFIG_STR + 16], err[512];
    struct config cfg;
    struct daemon *d;
    int check = 0, r;
    struct option opts[] = {
        OPT_STRING(0, "listen", &co.listen, "HOST:PORT",
                   "address to listen on (port 0: any free port)"),
        OPT_STRING(0, "compat", &compat, "LIST",
                   "compat profiles: api-login, oauth2-form, auth-v1, token"),
        CLI_COMMON_OPTIONS(&co),
        OPT_FLAG(0, "check-config", &check, "validate the configuration and exit"),
        OPT_END(),
    };
    const struct opt_command oc = { "serve", "tessera serve [options]", about, NULL,
                                    opts, 0, 0 };

    if ((r = options_parse(&oc, NULL, argc - 1, argv + 1, NULL)) < 0)
        return options_exit(r);
    if (compat) {
        snprintf(set, sizeof set, "server.compat=%s", compat);
        if (co.nsets == CLI_MAX_SETS)
            return cli_fail("too many --set options (at most %d)", CLI_MAX_SETS), 2;
        co.sets[co.nsets++] = set;
    }
    if (cli_load_config(&co, &cfg))
        return 2;
    if (daemon_check(&cfg, err, sizeof err))
        return cli_fail("%s", err), 2;
    if (check) {
        printf("configuration ok\n");
        return cli_finish(0);
    }
    if (daemon_start(&cfg, &d, err, sizeof err))
        return cli_fail("%s", err);
    daemon_wait(d);
    daemon_stop(d, 30);
    return 0;
}
