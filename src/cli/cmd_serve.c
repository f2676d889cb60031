/* SPDX-License-Identifier: Apache-2.0 */
/* tessera serve: run the server until SIGTERM or SIGINT. */
#include <string.h>

#include "cli/cli.h"
#include "server/daemon.h"

static const char usage[] =
    "usage: tessera serve [options]\n"
    "\n"
#ifdef TESSERA_DEFAULT_CONFIG
    "Runs the tessera server as " TESSERA_DEFAULT_CONFIG " (or --config) says.\n"
    "It creates signing keys and, on an empty database, a user 'admin' whose\n"
    "password is TESSERA_BOOTSTRAP_PASSWORD or printed once.\n"
#else
    "Runs the tessera server. With no options it listens on 127.0.0.1:8080, keeps\n"
    "its data in ./tessera.db, creates signing keys and, on an empty database, a user\n"
    "'admin' whose password is TESSERA_BOOTSTRAP_PASSWORD or printed once.\n"
#endif
    "\n"
    "options:\n"
    "  --listen HOST:PORT   address to listen on (port 0: any free port)\n"
    "  --compat LIST        compat profiles: api-login, oauth2-form, auth-v1, token\n"
    CLI_COMMON_HELP
    "  --check-config       validate the configuration and exit\n"
    "  -h, --help           this help\n";

int cmd_serve(int argc, char **argv)
{
    struct cli_common co = { 0 };
    struct config cfg;
    int check = 0;

    for (int i = 1; i < argc; i++) {
        int r = cli_common_opt(&co, argc, argv, &i);
        if (r < 0)
            return 2;
        if (r)
            continue;
        if (!strcmp(argv[i], "--check-config")) {
            check = 1;
        } else if (!strcmp(argv[i], "--compat")) {
            static char set[CONFIG_STR + 16];
            if (i + 1 >= argc)
                return cli_fail("--compat needs a list of profiles"), 2;
            snprintf(set, sizeof set, "server.compat=%s", argv[++i]);
            if (co.nsets == CLI_MAX_SETS)
                return cli_fail("too many --set options"), 2;
            co.sets[co.nsets++] = set;
        }
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return fputs(usage, stdout), cli_finish(0);
        else
            return cli_fail("serve: unknown option '%s' (see tessera serve --help)",
                            argv[i]), 2;
    }
    if (cli_load_config(&co, &cfg))
        return 2;
    char err[512];
    if (daemon_check(&cfg, err, sizeof err))
        return cli_fail("%s", err), 2;
    if (check) {
        printf("configuration ok\n");
        return cli_finish(0);
    }
    struct daemon *d;
    if (daemon_start(&cfg, &d, err, sizeof err))
        return cli_fail("%s", err);
    daemon_wait(d);
    daemon_stop(d, 30);
    return 0;
}
