/* SPDX-License-Identifier: Apache-2.0 */
/* tessera db migrate */
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: tessera db migrate [options]\n"
    "\n"
    "Applies the pending schema migrations (tessera serve also does this at start).\n"
    "\n"
    "options:\n"
    CLI_COMMON_HELP
    "  -h, --help           this help\n";

int cmd_db(int argc, char **argv)
{
    struct cli_common co = { 0 };
    struct config cfg;
    int applied = 0, version = 0;

    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
        return fputs(usage, argc < 2 ? stderr : stdout), cli_finish(argc < 2 ? 2 : 0);
    if (strcmp(argv[1], "migrate"))
        return cli_fail("db: unknown command '%s' (see tessera db --help)", argv[1]), 2;
    for (int i = 2; i < argc; i++) {
        int r = cli_common_opt(&co, argc, argv, &i);
        if (r < 0)
            return 2;
        if (r)
            continue;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return fputs(usage, stdout), cli_finish(0);
        return cli_fail("db migrate: unexpected argument '%s'", argv[i]), 2;
    }
    if (cli_load_config(&co, &cfg))
        return 2;
    char why[512];
    if (app_migrate(&cfg, &applied, &version, why, sizeof why))
        return cli_fail("%s", why);
    printf("applied %d migration(s); schema version %d\n", applied, version);
    return cli_finish(0);
}
