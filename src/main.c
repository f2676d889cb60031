/* SPDX-License-Identifier: Apache-2.0 */
/* tessera: picks the subcommand from the table; nothing else. */
#include <stdio.h>
#include <string.h>

#include "base/cmdio.h"
#include "base/log.h"
#include "cli/cli.h"
#include "client/client.h"
#include "tessera.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    { "serve", cmd_serve, "run the server" },
    { "user", cmd_user, "manage users (add, list, show, set-password, ...)" },
    { "client", cmd_client, "manage OAuth clients (add, list, show, rotate-secret, ...)" },
    { "keys", cmd_keys, "manage signing keys (list, rotate, retire)" },
    { "sessions", cmd_sessions, "list and revoke sessions (list, show, revoke)" },
    { "db", cmd_db, "database maintenance (migrate)" },
    { "dev-certs", cmd_devcerts, "create a development CA and TLS certificates" },
    { "login", cmd_login, "log in to a server; keeps the tokens for the commands below" },
    { "token", cmd_token, "print a valid access token (refreshed when needed)" },
    { "whoami", cmd_whoami, "show the user the stored tokens belong to" },
    { "request", cmd_request, "call an API with the stored access token" },
    { "logout", cmd_logout, "end the session on the server and remove the tokens" },
};

static int usage(FILE *f)
{
    fputs("usage: tessera COMMAND [options]\n\ncommands:\n", f);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fputs("\nRun 'tessera COMMAND --help' for the options of a command;\n"
          "'tessera --version' prints the version.\n", f);
    return f == stdout ? cli_finish(0) : 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
        return usage(stdout);
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V") ||
        !strcmp(argv[1], "version")) {
        if (argc > 2)
            return cli_fail("--version takes no arguments"), 2;
        printf("tessera %s\n", tessera_version());
        return cli_finish(0);
    }
    /* Operator commands speak in one line on stderr, not the server's JSON log;
     * serve turns logging on once it is listening. */
    log_quiet(1);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    cli_fail("unknown command '%s' (see tessera --help)", argv[1]);
    return 2;
}
